#include "tm/log/open_decisions.h"

#include <utility>

#include "tm/log/coding.h"
#include "xatm/logging.h"

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
      if (record.end_origin == EndOrigin::kRecovery) {
        AddTombstone(record.gtrid, record.time_ms);
      }
      return;
    case RecordType::kHeuristic: {
      std::string key = HeuristicKey(record.gtrid, record.resources,
                                     record.time_ms, record.detail);
      if (heuristic_keys_.count(key) == 0) {
        AddHeuristic(std::move(key), record.ToRecord());
      }
      return;
    }
    case RecordType::kSaga:
      SetSaga(record.ToRecord());
      return;
    case RecordType::kSagaEnd:
      EndSaga(record.gtrid);
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
      if (record.end_origin == EndOrigin::kRecovery) {
        AddTombstone(record.gtrid, record.time_ms);
      }
      return;
    case RecordType::kHeuristic: {
      std::string key = HeuristicKey(record.gtrid, record.resources,
                                     record.time_ms, record.detail);
      AddHeuristic(std::move(key), std::move(record));
      return;
    }
    case RecordType::kSaga:
      SetSaga(std::move(record));
      return;
    case RecordType::kSagaEnd:
      EndSaga(record.gtrid);
      return;
  }
}

void OpenDecisions::SetSaga(DecisionRecord&& record) {
  auto found = saga_index_.find(record.gtrid);
  if (found != saga_index_.end()) {
    // Same gtrid bytes: the key keeps viewing the node's string.
    found->second->resources = std::move(record.resources);
    found->second->time_ms = record.time_ms;
    found->second->detail = std::move(record.detail);
    return;
  }
  saga_order_.push_back(std::move(record));
  auto it = std::prev(saga_order_.end());
  saga_index_.emplace(std::string_view(it->gtrid), it);
}

void OpenDecisions::EndSaga(std::string_view saga_id) {
  auto found = saga_index_.find(saga_id);
  if (found == saga_index_.end()) return;
  auto node = found->second;
  saga_index_.erase(found);
  saga_order_.erase(node);
}

std::vector<DecisionRecord> OpenDecisions::Sagas() const {
  return std::vector<DecisionRecord>(saga_order_.begin(), saga_order_.end());
}

void OpenDecisions::AddHeuristic(std::string key, DecisionRecord&& record) {
  if (heuristic_keys_.insert(std::move(key)).second) {
    heuristic_gtrids_.insert(record.gtrid);
    heuristics_.push_back(std::move(record));
  }
}

void OpenDecisions::AddTombstone(std::string_view gtrid, int64_t time_ms) {
  if (max_tombstones_ == 0) return;
  if (!tombstones_.emplace(gtrid).second) return;
  DecisionRecord tombstone;
  tombstone.type = RecordType::kEnd;
  tombstone.end_origin = EndOrigin::kRecovery;
  tombstone.gtrid.assign(gtrid);
  tombstone.time_ms = time_ms;
  tombstone_order_.push_back(std::move(tombstone));
  while (tombstone_order_.size() > max_tombstones_) {
    const DecisionRecord& oldest = tombstone_order_.front();
    Logger()->warn(
        "xid={} decision log: more than {} tombstones, dropping the oldest "
        "(a prepared branch of it would now be presumed aborted)",
        oldest.gtrid, max_tombstones_);
    tombstones_.erase(oldest.gtrid);
    tombstone_order_.pop_front();
  }
}

bool OpenDecisions::HasCommitHistory(std::string_view gtrid) const {
  if (index_.count(gtrid) != 0) return true;
  const std::string key(gtrid);
  return heuristic_gtrids_.count(key) != 0 || tombstones_.count(key) != 0;
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
