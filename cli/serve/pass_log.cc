#include "cli/serve/pass_log.h"

namespace xatm {

Status PassLog::Closed() const {
  return Status::FailedPrecondition("decision log " + dir_ +
                                    " is closed between recovery passes");
}

Status PassLog::LogCommit(const std::string& gtrid,
                          const std::vector<std::string>& resources,
                          int64_t time_ms) {
  return held() ? log_->LogCommit(gtrid, resources, time_ms) : Closed();
}

Status PassLog::LogEnd(const std::string& gtrid, int64_t time_ms,
                       EndOrigin origin) {
  return held() ? log_->LogEnd(gtrid, time_ms, origin) : Closed();
}

Status PassLog::LogHeuristic(const std::string& gtrid,
                             const std::vector<std::string>& resources,
                             const std::string& detail, int64_t time_ms) {
  return held() ? log_->LogHeuristic(gtrid, resources, detail, time_ms)
                : Closed();
}

Status PassLog::LogSaga(const std::string& saga_id, const std::string& snapshot,
                        bool final, bool forced, int64_t time_ms) {
  return held() ? log_->LogSaga(saga_id, snapshot, final, forced, time_ms)
                : Closed();
}

Status PassLog::Flush() { return held() ? log_->Flush() : Closed(); }

std::vector<DecisionRecord> PassLog::OpenSagas() const {
  return held() ? log_->OpenSagas() : std::vector<DecisionRecord>{};
}

std::vector<DecisionRecord> PassLog::OpenCommits() const {
  return held() ? log_->OpenCommits() : std::vector<DecisionRecord>{};
}

std::optional<DecisionRecord> PassLog::FindOpenCommit(
    const std::string& gtrid) const {
  return held() ? log_->FindOpenCommit(gtrid) : std::nullopt;
}

bool PassLog::HasCommitHistory(const std::string& gtrid) const {
  // Unknown between passes: never a ground to presume abort.
  return held() ? log_->HasCommitHistory(gtrid) : true;
}

Status PassLog::health() const { return held() ? log_->health() : Closed(); }

const std::string& PassLog::carrier() const {
  return held() ? log_->carrier() : DecisionLog::carrier();
}

Status PassLog::CommitCarrying(Branch& branch, const std::string& gtrid,
                               const std::vector<std::string>& resources,
                               int64_t time_ms) {
  return held() ? log_->CommitCarrying(branch, gtrid, resources, time_ms)
                : Closed();
}

Result<bool> PassLog::ClaimAbort(const std::string& gtrid) {
  if (!held()) return Closed();
  return log_->ClaimAbort(gtrid);
}

Status PassLog::LogCommitAfterTheFact(const std::string& gtrid,
                                      const std::vector<std::string>& resources,
                                      int64_t time_ms) {
  return held() ? log_->LogCommitAfterTheFact(gtrid, resources, time_ms)
                : Closed();
}

Status PassLog::WithdrawAbort(const std::string& gtrid,
                              const std::vector<std::string>& resources,
                              int64_t time_ms) {
  return held() ? log_->WithdrawAbort(gtrid, resources, time_ms) : Closed();
}

bool PassLog::shared() const { return held() && log_->shared(); }

Status PassLog::Prune() { return held() ? log_->Prune() : Closed(); }

}  // namespace xatm
