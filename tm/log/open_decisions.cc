#include "tm/log/open_decisions.h"

#include <utility>

namespace xatm {

void OpenDecisions::Apply(const RecordView& record) {
  switch (record.type) {
    case RecordType::kCommit:
      // Checked first so a duplicate costs no allocation.
      if (index_.count(record.gtrid) == 0) Apply(record.ToRecord());
      return;
    case RecordType::kEnd:
      Remove(record.gtrid);
      return;
    case RecordType::kHeuristic:
      return;
  }
}

void OpenDecisions::Apply(DecisionRecord&& record) {
  switch (record.type) {
    case RecordType::kCommit: {
      if (index_.count(record.gtrid) != 0) return;
      order_.push_back(std::move(record));
      auto it = std::prev(order_.end());
      index_.emplace(std::string_view(it->gtrid), it);
      return;
    }
    case RecordType::kEnd:
      Remove(record.gtrid);
      return;
    case RecordType::kHeuristic:
      return;
  }
}

void OpenDecisions::Remove(std::string_view gtrid) {
  auto found = index_.find(gtrid);
  if (found == index_.end()) return;
  auto node = found->second;
  index_.erase(found);  // before the node that holds the key's bytes
  order_.erase(node);
}

std::vector<DecisionRecord> OpenDecisions::List() const {
  return std::vector<DecisionRecord>(order_.begin(), order_.end());
}

std::optional<DecisionRecord> OpenDecisions::Find(
    std::string_view gtrid) const {
  auto found = index_.find(gtrid);
  if (found == index_.end()) return std::nullopt;
  return *found->second;
}

}  // namespace xatm
