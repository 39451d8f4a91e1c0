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

}  // namespace xatm
