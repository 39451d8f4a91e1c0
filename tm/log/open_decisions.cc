#include "tm/log/open_decisions.h"

#include <utility>

#include "tm/log/coding.h"

namespace xatm {
namespace {

// Every field, length-prefixed: equal keys mean equal records.
template <typename Resources>
std::string HeuristicKey(std::string_view gtrid, const Resources& resources,
                         int64_t time_ms, std::string_view detail) {
  std::string key;
  PutLengthPrefixed(&key, gtrid);
  PutVarint64(&key, static_cast<uint64_t>(time_ms));
  PutLengthPrefixed(&key, detail);
  for (const auto& r : resources) PutLengthPrefixed(&key, r);
  return key;
}

}  // namespace

void OpenDecisions::Apply(const RecordView& record) {
  switch (record.type) {
    case RecordType::kCommit:
      // Checked first so a duplicate costs no allocation.
      if (index_.count(record.gtrid) == 0) Apply(record.ToRecord());
      return;
    case RecordType::kEnd:
      Remove(record.gtrid);
      return;
    case RecordType::kHeuristic: {
      std::string key = HeuristicKey(record.gtrid, record.resources,
                                     record.time_ms, record.detail);
      if (heuristic_keys_.count(key) == 0) {
        AddHeuristic(std::move(key), record.ToRecord());
      }
      return;
    }
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
    case RecordType::kHeuristic: {
      std::string key = HeuristicKey(record.gtrid, record.resources,
                                     record.time_ms, record.detail);
      AddHeuristic(std::move(key), std::move(record));
      return;
    }
  }
}

void OpenDecisions::AddHeuristic(std::string key, DecisionRecord&& record) {
  if (heuristic_keys_.insert(std::move(key)).second) {
    heuristics_.push_back(std::move(record));
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
