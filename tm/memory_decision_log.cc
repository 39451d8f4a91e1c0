#include "xatm/memory_decision_log.h"

#include <algorithm>

namespace xatm {

Status MemoryDecisionLog::LogCommit(const std::string& gtrid,
                                    const std::vector<std::string>& resources,
                                    int64_t time_ms) {
  DecisionRecord record{RecordType::kCommit, gtrid, resources, time_ms, ""};
  std::lock_guard<std::mutex> lock(mu_);
  open_.insert_or_assign(gtrid, std::move(record));
  return Status::Ok();
}

Status MemoryDecisionLog::LogEnd(const std::string& gtrid, int64_t,
                                 EndOrigin origin) {
  std::lock_guard<std::mutex> lock(mu_);
  open_.erase(gtrid);
  if (origin == EndOrigin::kRecovery) tombstones_.insert(gtrid);
  return Status::Ok();
}

Status MemoryDecisionLog::LogHeuristic(const std::string& gtrid,
                                       const std::vector<std::string>&,
                                       const std::string&, int64_t) {
  std::lock_guard<std::mutex> lock(mu_);
  tombstones_.insert(gtrid);
  return Status::Ok();
}

std::vector<DecisionRecord> MemoryDecisionLog::OpenCommits() const {
  std::vector<DecisionRecord> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [gtrid, record] : open_) out.push_back(record);
  }
  std::sort(out.begin(), out.end(),
            [](const DecisionRecord& a, const DecisionRecord& b) {
              return a.time_ms < b.time_ms;
            });
  return out;
}

std::optional<DecisionRecord> MemoryDecisionLog::FindOpenCommit(
    const std::string& gtrid) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = open_.find(gtrid);
  if (it == open_.end()) return std::nullopt;
  return it->second;
}

bool MemoryDecisionLog::HasCommitHistory(const std::string& gtrid) const {
  std::lock_guard<std::mutex> lock(mu_);
  return open_.count(gtrid) != 0 || tombstones_.count(gtrid) != 0;
}

Status MemoryDecisionLog::LogSaga(const std::string& saga_id,
                                  const std::string& snapshot, bool final, bool,
                                  int64_t time_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  if (final) {
    if (sagas_.erase(saga_id) != 0) {
      saga_order_.erase(
          std::find(saga_order_.begin(), saga_order_.end(), saga_id));
    }
    return Status::Ok();
  }
  auto [it, added] =
      sagas_.insert_or_assign(saga_id, DecisionRecord{RecordType::kSaga,
                                                      saga_id,
                                                      {},
                                                      time_ms,
                                                      snapshot,
                                                      EndOrigin::kCoordinator});
  (void)it;
  if (added) saga_order_.push_back(saga_id);
  return Status::Ok();
}

std::vector<DecisionRecord> MemoryDecisionLog::OpenSagas() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<DecisionRecord> out;
  for (const std::string& id : saga_order_) out.push_back(sagas_.at(id));
  return out;
}

}  // namespace xatm
