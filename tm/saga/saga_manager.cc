#include "tm/crash_point.h"
#include "tm/saga/saga_driver.h"
#include "xatm/logging.h"
#include "xatm/saga.h"

namespace xatm {

const char* ServiceAnswerName(ServiceAnswer answer) {
  switch (answer) {
    case ServiceAnswer::kDone:
      return "done";
    case ServiceAnswer::kFailed:
      return "failed";
    case ServiceAnswer::kNotYet:
      return "not yet";
    case ServiceAnswer::kUnknown:
      break;
  }
  return "unknown";
}

Status SagaOutcome::status() const {
  switch (phase) {
    case SagaPhase::kCommitted:
      return Status::Ok();
    case SagaPhase::kCompensated:
      return Status::Aborted("saga " + id + " compensated: " + reason);
    case SagaPhase::kFailedToCompensate:
      return Status::InDoubt("saga " + id +
                             " failed to compensate (an operator must "
                             "resolve it): " +
                             reason);
    case SagaPhase::kForward:
    case SagaPhase::kCompensating:
      break;
  }
  return Status::InDoubt("saga " + id + " is not finished (" +
                         SagaPhaseName(phase) +
                         "); recovery drives it on: " + reason);
}

Result<std::unique_ptr<SagaManager>> SagaManager::Create(
    TransactionManager& tm) {
  XATM_ASSIGN_OR_RETURN(std::unique_ptr<SagaJournal> journal,
                        SagaJournal::For(tm.log()));
  return std::unique_ptr<SagaManager>(new SagaManager(tm, std::move(journal)));
}

SagaManager::SagaManager(TransactionManager& tm,
                         std::unique_ptr<SagaJournal> journal)
    : tm_(tm),
      journal_(std::move(journal)),
      ids_(tm.node_id(), tm.log().home()) {}

SagaManager::~SagaManager() = default;

void SagaManager::RegisterService(const std::string& name,
                                  ServiceHandler action,
                                  ServiceHandler compensation) {
  std::lock_guard<std::mutex> lock(mu_);
  services_[name] = {std::move(action), std::move(compensation)};
}

std::optional<std::pair<ServiceHandler, ServiceHandler>>
SagaManager::FindService(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = services_.find(name);
  if (it == services_.end()) return std::nullopt;
  return it->second;
}

bool SagaManager::MarkInFlight(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_.insert(id).second;
}

void SagaManager::MarkDone(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  in_flight_.erase(id);
}

bool SagaManager::IsInFlight(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_.count(id) != 0;
}

SagaOutcome SagaManager::Drive(SagaRecord record, bool resumed,
                               bool unflushed) {
  const std::string id = record.id;
  const auto start = std::chrono::steady_clock::now();
  SagaDriver driver(
      tm_, *journal_,
      [this](const std::string& name) { return FindService(name); },
      std::move(record), resumed, unflushed);
  SagaOutcome outcome = driver.Run();
  MarkDone(id);
  Metrics::SagaEnd end = Metrics::SagaEnd::kStopped;
  switch (outcome.phase) {
    case SagaPhase::kCommitted:
      end = Metrics::SagaEnd::kCommitted;
      break;
    case SagaPhase::kCompensated:
      end = Metrics::SagaEnd::kCompensated;
      break;
    case SagaPhase::kFailedToCompensate:
      end = Metrics::SagaEnd::kFailedToCompensate;
      break;
    default:
      break;
  }
  tm_.metrics().CountSaga(end, start);
  return outcome;
}

Result<SagaOutcome> SagaManager::Run(const SagaDefinition& definition) {
  XATM_RETURN_IF_ERROR(CheckSagaDefinition(definition));
  for (const std::vector<SagaStep>& stage : definition.stages) {
    for (const SagaStep& step : stage) {
      if (step.is_service() && !FindService(step.service)) {
        return Status::InvalidArgument(
            "step '" + step.name + "': no handler registered for service '" +
            step.service + "'");
      }
      if (!step.is_service() && tm_.FindResource(step.resource) == nullptr) {
        return Status::InvalidArgument("step '" + step.name +
                                       "': unknown resource '" + step.resource +
                                       "'");
      }
    }
  }
  for (const SagaXaWork& w : definition.xa_group) {
    if (tm_.FindResource(w.resource) == nullptr) {
      return Status::InvalidArgument("XA group: unknown resource '" +
                                     w.resource + "'");
    }
  }
  XATM_RETURN_IF_ERROR(tm_.health());
  const Xid xid = ids_.Next(tm_.clock().NowMs());
  SagaRecord record;
  record.id = xid.Gtrid();
  record.node = tm_.node_id();
  record.definition = definition;
  record.steps.assign(record.FlatSteps().size(), StepPhase::kPending);
  record.begun_ms = xid.begin_ms;
  record.updated_ms = xid.begin_ms;
  MarkInFlight(record.id);
  // Durable before the first step commits: at once, or (a log) flushed by
  // the driver right before that commit, the sync overlapping the step.
  const bool deferred = journal_->defers_durability();
  Status begun = journal_->Save(record, /*forced=*/!deferred);
  if (!begun.ok()) {
    MarkDone(record.id);
    if (begun.code() == StatusCode::kFailedPrecondition ||
        begun.code() == StatusCode::kInvalidArgument) {
      return begun.WithContext("saga " + record.id + " not begun");
    }
    // The record may have reached the store: recovery would then run it.
    return Status::UnknownOutcome("saga " + record.id +
                                  ": its first record may or may not be "
                                  "saved (" +
                                  begun.ToString() + "); see `xatm in-doubt`");
  }
  if (!deferred) CrashPoint("saga-begun");
  return Drive(std::move(record), /*resumed=*/false, deferred);
}

SagaResumeResult SagaManager::Resume(const SagaResumeOptions& options) {
  SagaResumeResult result;
  Result<std::vector<SagaRecord>> sagas = journal_->Unfinished();
  if (!sagas.ok()) {
    result.errors.push_back("sagas: " + sagas.status().ToString());
    return result;
  }
  const std::string& self = tm_.node_id();
  for (SagaRecord& record : *sagas) {
    if (record.phase == SagaPhase::kFailedToCompensate) {
      ++result.stuck;
      result.stuck_ids.push_back(record.id);
      continue;
    }
    if (IsInFlight(record.id)) continue;
    // A node's own log is held by one process: a saga not in flight here
    // has no driver. A shared store's may have one in another process.
    if (journal_->shared() &&
        tm_.clock().NowMs() - record.begun_ms <
            record.definition.deadline_ms + options.grace_ms) {
      ++result.waiting;
      continue;
    }
    if (record.node != self) {
      if (!journal_->shared() || !options.node_is_gone ||
          !options.node_is_gone(record.node)) {
        continue;
      }
      Result<bool> claimed = journal_->Claim(record.id, record.node, self);
      if (!claimed.ok()) {
        result.errors.push_back("saga " + record.id + ": " +
                                claimed.status().ToString());
        continue;
      }
      if (!*claimed) continue;
      Logger()->warn("xid={} saga {}: taken over from node {}", record.id,
                     record.definition.name, record.node);
      record.node = self;
      ++result.taken_over;
    }
    if (!MarkInFlight(record.id)) continue;
    ++result.resumed;
    SagaOutcome outcome = Drive(std::move(record), /*resumed=*/true);
    switch (outcome.phase) {
      case SagaPhase::kCommitted:
        ++result.committed;
        break;
      case SagaPhase::kCompensated:
        ++result.compensated;
        break;
      case SagaPhase::kFailedToCompensate:
        ++result.stuck;
        result.stuck_ids.push_back(outcome.id);
        break;
      default:
        result.errors.push_back("saga " + outcome.id + ": " + outcome.reason);
    }
    result.driven.push_back(std::move(outcome));
  }
  return result;
}

Result<std::vector<SagaRecord>> SagaManager::Unfinished() const {
  return journal_->Unfinished();
}

namespace {

Result<SagaRecord> FindStuck(const SagaJournal& journal, const std::string& id,
                             const std::string& self) {
  XATM_ASSIGN_OR_RETURN(std::optional<SagaRecord> found, journal.Find(id));
  if (!found) return Status::NotFound("no unfinished saga " + id);
  SagaRecord& record = *found;
  if (record.phase != SagaPhase::kFailedToCompensate) {
    return Status::FailedPrecondition(
        "saga " + id + " is " + SagaPhaseName(record.phase) +
        ", not failed to compensate: recovery drives it");
  }
  if (record.node != self) {
    return Status::FailedPrecondition("saga " + id + " is driven by node " +
                                      record.node + ", not " + self);
  }
  return std::move(record);
}

}  // namespace

Result<SagaOutcome> SagaManager::Retry(const std::string& id) {
  XATM_ASSIGN_OR_RETURN(SagaRecord record,
                        FindStuck(*journal_, id, tm_.node_id()));
  if (!MarkInFlight(id)) {
    return Status::FailedPrecondition("saga " + id +
                                      " is being driven in this process");
  }
  bool compensation_failed = false;
  for (StepPhase& p : record.steps) {
    if (p == StepPhase::kCompensationFailed) {
      p = StepPhase::kDone;  // compensated again, with fresh attempts
      compensation_failed = true;
    }
  }
  if (compensation_failed) {
    record.phase = SagaPhase::kCompensating;
  } else {
    // A step that said no after the pivot: forward again.
    record.phase = SagaPhase::kForward;
    for (StepPhase& p : record.steps) {
      if (p == StepPhase::kFailed) p = StepPhase::kStarted;
    }
  }
  Logger()->warn("xid={} saga {}: retried by an operator ({})", id,
                 record.definition.name, SagaPhaseName(record.phase));
  record.updated_ms = tm_.clock().NowMs();
  Status saved = journal_->Save(record, /*forced=*/true);
  if (!saved.ok()) {
    MarkDone(id);
    return saved;
  }
  return Drive(std::move(record), /*resumed=*/true);
}

Result<SagaOutcome> SagaManager::MarkCompensated(const std::string& id,
                                                 const std::string& reason) {
  if (reason.empty()) {
    return Status::InvalidArgument(
        "marking saga " + id + " compensated needs a reason (kept for audit)");
  }
  XATM_ASSIGN_OR_RETURN(SagaRecord record,
                        FindStuck(*journal_, id, tm_.node_id()));
  if (IsInFlight(id)) {
    return Status::FailedPrecondition("saga " + id +
                                      " is being driven in this process");
  }
  for (StepPhase& p : record.steps) {
    if (p == StepPhase::kCompensationFailed) p = StepPhase::kCompensated;
  }
  record.phase = SagaPhase::kCompensated;
  record.operator_reason = reason;
  record.updated_ms = tm_.clock().NowMs();
  Logger()->warn("xid={} saga {}: marked compensated by an operator: {}", id,
                 record.definition.name, reason);
  XATM_RETURN_IF_ERROR(journal_->Save(record, /*forced=*/true));
  return SagaOutcome{id, record.phase, record.reason};
}

}  // namespace xatm
