#include "tm/saga/saga_driver.h"

#include <algorithm>
#include <map>
#include <thread>

#include "tm/crash_point.h"
#include "xatm/logging.h"
#include "xatm/saga_barrier.h"

namespace xatm {
namespace {

using SteadyClock = std::chrono::steady_clock;

bool Pending(StepPhase p) { return p == StepPhase::kPending; }

}  // namespace

SagaDriver::SagaDriver(TransactionManager& tm, SagaJournal& journal,
                       ServiceLookup services, SagaRecord record, bool resumed,
                       bool unflushed)
    : tm_(tm),
      journal_(journal),
      services_(std::move(services)),
      r_(std::move(record)),
      resumed_(resumed),
      unflushed_(unflushed) {
  steps_ = r_.FlatSteps();
  size_t start = 0;
  for (const std::vector<SagaStep>& stage : r_.definition.stages) {
    stage_start_.push_back(start);
    start += stage.size();
  }
  stage_start_.push_back(start);
}

std::vector<size_t> SagaDriver::StageIndexes(size_t s) const {
  std::vector<size_t> out;
  for (size_t i = stage_start_[s]; i < stage_start_[s + 1]; ++i) {
    out.push_back(i);
  }
  return out;
}

void SagaDriver::CatchUpFromBarriers() {
  std::map<std::string, std::vector<BarrierRow>> rows;  // per resource
  for (size_t i = 0; i < steps_.size(); ++i) {
    const SagaStep& step = *steps_[i];
    if (step.is_service() || (r_.steps[i] != StepPhase::kPending &&
                              r_.steps[i] != StepPhase::kStarted)) {
      continue;
    }
    auto found = rows.find(step.resource);
    if (found == rows.end()) {
      Resource* resource = tm_.FindResource(step.resource);
      if (resource == nullptr) continue;
      Result<std::vector<BarrierRow>> read = ReadBarriers(*resource, r_.id);
      if (!read.ok()) continue;  // the steps themselves will tell
      found = rows.emplace(step.resource, std::move(*read)).first;
    }
    bool action = false, compensation = false;
    for (const BarrierRow& row : found->second) {
      if (row.step != step.name) continue;
      (row.op == BarrierOp::kAction ? action : compensation) = true;
    }
    if (action && !compensation) r_.steps[i] = StepPhase::kDone;
  }
}

SagaOutcome SagaDriver::Run() {
  if (resumed_ && r_.phase == SagaPhase::kForward) CatchUpFromBarriers();
  for (;;) {
    Next next = Next::kStop;
    if (r_.phase == SagaPhase::kForward) {
      next = Forward();
    } else if (r_.phase == SagaPhase::kCompensating) {
      next = Backward();
    }
    if (next == Next::kStop) break;
  }
  return SagaOutcome{r_.id, r_.phase, stopped_.value_or(r_.reason)};
}

SagaOutcome SagaDriver::Stop(std::string reason) {
  stopped_ = std::move(reason);
  return SagaOutcome{r_.id, r_.phase, *stopped_};
}

Status SagaDriver::EnsureDurable() {
  std::lock_guard<std::mutex> lock(durable_mu_);
  if (!unflushed_) return flush_failed_;
  Status flushed = journal_.Flush();
  if (!flushed.ok()) {
    flush_failed_ = flushed;
    unflushed_ = false;
    return flushed;
  }
  unflushed_ = false;
  CrashPoint("saga-begun");
  return Status::Ok();
}

bool SagaDriver::Save(bool forced) {
  if (Status durable = EnsureDurable(); !durable.ok()) {
    Stop("its first record could not be made durable: " + durable.ToString());
    return false;
  }
  r_.updated_ms = tm_.clock().NowMs();
  Status s = journal_.Save(r_, forced);
  if (s.ok()) return true;
  Logger()->warn("xid={} saga {}: its record could not be saved, stopping: {}",
                 r_.id, r_.definition.name, s.ToString());
  Stop("its record could not be saved: " + s.ToString());
  return false;
}

int64_t SagaDriver::MsLeft() const {
  return r_.begun_ms + r_.definition.deadline_ms - tm_.clock().NowMs();
}

CallResult SagaDriver::CallStep(const SagaStep& step, bool compensation) {
  const RetryPolicy& policy =
      compensation ? step.compensation_retry : step.retry;
  // Compensations have no deadline: they must happen.
  std::function<int64_t()> ms_left;
  if (!compensation) ms_left = [this] { return MsLeft(); };
  return CallWithRetry(policy, ms_left, [&](int attempt) -> CallResult {
    const auto deadline =
        SteadyClock::now() + std::chrono::milliseconds(policy.call_timeout_ms);
    if (step.is_service()) {
      if (Status durable = EnsureDurable(); !durable.ok()) {
        return CallResult{CallResult::kRetry,
                          "its record is not durable: " + durable.ToString()};
      }
      auto handlers = services_(step.service);
      if (!handlers) {
        return CallResult{
            CallResult::kRetry,
            "no handler for service '" + step.service + "' in this process"};
      }
      ServiceCall call;
      call.saga_id = r_.id;
      call.step = step.name;
      call.payload = step.payload;
      call.idempotency_key = r_.id + "/" + step.name +
                             (compensation ? "/compensation" : "/action");
      call.compensation = compensation;
      call.attempt = attempt;
      call.deadline = deadline;
      return CallService(compensation ? handlers->second : handlers->first,
                         call);
    }
    Resource* resource = tm_.FindResource(step.resource);
    if (resource == nullptr) {
      return CallResult{
          CallResult::kRetry,
          "resource '" + step.resource + "' is not configured in this process"};
    }
    return CallDatabaseStep(*resource, r_.id, step, compensation, deadline,
                            [this] { return EnsureDurable(); });
  });
}

std::vector<CallResult> SagaDriver::CallAll(const std::vector<size_t>& indexes,
                                            bool compensation) {
  std::vector<CallResult> results(indexes.size());
  std::vector<std::thread> threads;
  for (size_t k = 1; k < indexes.size(); ++k) {
    threads.emplace_back(
        [&, k] { results[k] = CallStep(*steps_[indexes[k]], compensation); });
  }
  if (!indexes.empty()) {
    results[0] = CallStep(*steps_[indexes[0]], compensation);
  }
  for (std::thread& t : threads) t.join();
  return results;
}

bool SagaDriver::PivotRan() {
  for (size_t i = 0; i < steps_.size(); ++i) {
    if (!steps_[i]->pivot) continue;
    const StepPhase phase = r_.steps[i];
    if (phase == StepPhase::kDone) return true;
    if (phase != StepPhase::kStarted && !(resumed_ && Pending(phase))) {
      return false;
    }
    // It may have run. A service cannot say; a database's barrier can.
    if (steps_[i]->is_service()) return phase == StepPhase::kStarted;
    Resource* resource = tm_.FindResource(steps_[i]->resource);
    if (resource == nullptr) return true;
    Result<bool> stopped = StopActionIfNotRun(
        *resource, r_.id, steps_[i]->name,
        SteadyClock::now() +
            std::chrono::milliseconds(steps_[i]->retry.call_timeout_ms));
    if (!stopped.ok()) return true;  // unknown: forward is the safe way
    if (*stopped) {
      r_.steps[i] = StepPhase::kCompensated;
      return false;
    }
    r_.steps[i] = StepPhase::kDone;
    return true;
  }
  return false;
}

SagaDriver::Next SagaDriver::Stuck(const std::string& reason) {
  r_.phase = SagaPhase::kFailedToCompensate;
  r_.reason = reason;
  Logger()->error("xid={} saga {} failed to compensate: {}", r_.id,
                  r_.definition.name, reason);
  Save(true);
  return Next::kStop;
}

SagaDriver::Next SagaDriver::BeginCompensating(const std::string& reason) {
  if (PivotRan()) {
    // Forward only: the step is tried again by a later pass.
    Logger()->warn("xid={} saga {}: {}; its pivot ran, so it goes forward only",
                   r_.id, r_.definition.name, reason);
    if (!Save(false)) return Next::kStop;
    Stop(reason + "; the pivot ran: retried forward later");
    return Next::kStop;
  }
  Logger()->debug("xid={} saga {} compensates: {}", r_.id, r_.definition.name,
                  reason);
  r_.phase = SagaPhase::kCompensating;
  r_.reason = reason;
  if (!Save(true)) return Next::kStop;
  CrashPoint("saga-compensating");
  return Next::kContinue;
}

SagaDriver::Next SagaDriver::Forward() {
  for (size_t s = 0; s + 1 < stage_start_.size(); ++s) {
    std::vector<size_t> todo;
    for (size_t i : StageIndexes(s)) {
      if (r_.steps[i] != StepPhase::kDone) todo.push_back(i);
    }
    if (todo.empty()) continue;
    if (MsLeft() <= 0) {
      return BeginCompensating("its deadline of " +
                               std::to_string(r_.definition.deadline_ms) +
                               " ms passed");
    }
    // A service step's start is forced: its compensation runs only for a
    // step known to have started. A database step's barrier rows say all
    // there is to know (recovery reads them), so a stage of database steps
    // alone writes nothing: its progress rides with the next record.
    bool forced = false;
    for (size_t i : todo) {
      if (r_.steps[i] == StepPhase::kPending ||
          r_.steps[i] == StepPhase::kFailed) {
        r_.steps[i] = StepPhase::kStarted;
        forced |= steps_[i]->is_service() || steps_[i]->pivot;
      }
    }
    if (forced && !Save(true)) return Next::kStop;
    std::vector<CallResult> results = CallAll(todo, /*compensation=*/false);
    {
      std::lock_guard<std::mutex> lock(durable_mu_);
      if (!flush_failed_.ok()) {
        Stop("its first record could not be made durable: " +
             flush_failed_.ToString());
        return Next::kStop;
      }
    }
    std::string failed, retried;
    for (size_t k = 0; k < todo.size(); ++k) {
      const size_t i = todo[k];
      switch (results[k].kind) {
        case CallResult::kDone:
          r_.steps[i] = StepPhase::kDone;
          break;
        case CallResult::kFailed:
          r_.steps[i] = StepPhase::kFailed;
          if (failed.empty()) failed = results[k].message;
          break;
        case CallResult::kRetry:
          if (retried.empty()) retried = results[k].message;
          break;
      }
    }
    if (failed.empty() && retried.empty()) continue;
    if (!failed.empty()) {
      for (size_t i = 0; i < steps_.size(); ++i) {
        if (steps_[i]->pivot && r_.steps[i] == StepPhase::kDone) {
          // A step after the pivot must not say no: an operator decides.
          return Stuck(failed +
                       ", after the pivot ran: it can only go "
                       "forward");
        }
      }
      return BeginCompensating(failed);
    }
    return BeginCompensating(retried + " (gave up)");
  }
  return r_.definition.xa_group.empty() ? Finish() : FinishWithXaGroup();
}

SagaDriver::Next SagaDriver::Finish() {
  CrashPoint("saga-before-final");
  r_.phase = SagaPhase::kCommitted;
  r_.reason.clear();
  Save(false);
  Logger()->debug("xid={} saga {} committed", r_.id, r_.definition.name);
  return Next::kStop;
}

Result<bool> SagaDriver::XaGroupCommitted() {
  if (tm_.log().FindOpenCommit(r_.xa_gtrid)) return true;
  // A decision already ENDed: every branch committed, barrier rows too.
  XATM_ASSIGN_OR_RETURN(bool committed, XaBarrierFound());
  if (committed) return true;
  XATM_ASSIGN_OR_RETURN(bool aborted, tm_.log().ClaimAbort(r_.xa_gtrid));
  if (!aborted) return true;
  // From now on no COMMIT can be decided. One decided before the fence and
  // ENDed by its coordinator (a node that seemed gone) between the read
  // above and the fence left only its barrier rows: read them again.
  XATM_ASSIGN_OR_RETURN(committed, XaBarrierFound());
  if (!committed) return false;
  // A COMMIT is ENDed only once every branch committed, so none was rolled
  // back on this abort: it becomes the COMMIT it should be, ended at once.
  std::vector<std::string> resources;
  for (const SagaXaWork& w : r_.definition.xa_group) {
    resources.push_back(w.resource);
  }
  Logger()->warn(
      "xid={} saga {}: its XA group {} committed before the abort fence: "
      "withdrawing the abort just claimed",
      r_.id, r_.definition.name, r_.xa_gtrid);
  const int64_t now_ms = tm_.clock().NowMs();
  XATM_RETURN_IF_ERROR(tm_.log().WithdrawAbort(r_.xa_gtrid, resources, now_ms));
  XATM_RETURN_IF_ERROR(
      tm_.log().LogEnd(r_.xa_gtrid, now_ms, EndOrigin::kRecovery));
  return true;
}

Result<bool> SagaDriver::XaBarrierFound() {
  for (const SagaXaWork& w : r_.definition.xa_group) {
    Resource* resource = tm_.FindResource(w.resource);
    if (resource == nullptr) {
      return Status::Unavailable("resource '" + w.resource +
                                 "' is not configured in this process");
    }
    XATM_ASSIGN_OR_RETURN(std::vector<BarrierRow> rows,
                          ReadBarriers(*resource, r_.id));
    for (const BarrierRow& row : rows) {
      if (row.step == kXaGroupStep) return true;
    }
  }
  return false;
}

Status SagaDriver::RunXaGroup(Transaction& txn) {
  for (const SagaXaWork& w : r_.definition.xa_group) {
    Result<Branch*> branch = txn.Enlist(w.resource);
    if (!branch.ok()) return branch.status();
    Resource* resource = tm_.FindResource(w.resource);
    Result<bool> barrier = InsertBarrier(**branch, resource->type(), r_.id,
                                         kXaGroupStep, BarrierOp::kAction);
    if (!barrier.ok()) return barrier.status();
    if (!*barrier) {
      return Status::Aborted("XA group on " + w.resource +
                             ": its barrier row exists already");
    }
    // The group writes no ledger row: recovery finds its branch committed
    // by a barrier row named by the gtrid (LookupBranchOutcome), fresh, so
    // sent with the next statement.
    XATM_RETURN_IF_ERROR(InsertBarrierDeferred(**branch, resource->type(),
                                               txn.gtrid(), kXaGroupStep,
                                               BarrierOp::kAction));
    for (size_t i = 0; i < w.statements.size(); ++i) {
      const SqlCall& call = w.statements[i];
      Result<int64_t> rows =
          (*branch)->Execute(call.sql, BoundParams(call, r_.id));
      if (!rows.ok()) {
        return rows.status().WithContext("XA group on " + w.resource +
                                         ", statement " +
                                         std::to_string(i + 1));
      }
      if (call.expected_rows && *rows != *call.expected_rows) {
        return Status::Aborted("XA group on " + w.resource + ", statement " +
                               std::to_string(i + 1) + " affected " +
                               std::to_string(*rows) + " rows, not " +
                               std::to_string(*call.expected_rows));
      }
    }
  }
  return Status::Ok();
}

SagaDriver::Next SagaDriver::FinishWithXaGroup() {
  if (!r_.xa_gtrid.empty()) {
    // A group begun before this driver: what became of it decides.
    Result<bool> committed = XaGroupCommitted();
    if (!committed.ok()) {
      Stop("the outcome of its XA group " + r_.xa_gtrid +
           " is not known yet: " + committed.status().ToString());
      return Next::kStop;
    }
    if (*committed) return Finish();
    r_.xa_gtrid.clear();  // rolled back for good
  }
  if (MsLeft() <= 0) {
    return BeginCompensating("its deadline of " +
                             std::to_string(r_.definition.deadline_ms) +
                             " ms passed before its XA group");
  }
  Result<std::unique_ptr<Transaction>> txn =
      tm_.Begin(std::chrono::milliseconds(MsLeft()));
  if (!txn.ok()) {
    Stop("its XA group cannot begin: " + txn.status().ToString());
    return Next::kStop;
  }
  // Recorded before any branch exists: recovery looks for this decision.
  r_.xa_gtrid = (*txn)->gtrid();
  if (!Save(true)) {
    (void)(*txn)->Rollback();
    return Next::kStop;
  }
  Status work = RunXaGroup(**txn);
  if (!work.ok()) {
    (void)(*txn)->Rollback();
    r_.xa_gtrid.clear();
    return BeginCompensating(work.message());
  }
  Status decided = (*txn)->Commit();
  if (decided.ok() || decided.code() == StatusCode::kInDoubt) {
    // InDoubt: the decision is durable; the sweeper commits the rest.
    return Finish();
  }
  if (decided.code() == StatusCode::kAborted) {
    r_.xa_gtrid.clear();
    return BeginCompensating("its XA group rolled back: " + decided.message());
  }
  Result<bool> committed = XaGroupCommitted();
  if (!committed.ok()) {
    Stop("the outcome of its XA group is not known: " + decided.ToString());
    return Next::kStop;
  }
  if (*committed) return Finish();
  r_.xa_gtrid.clear();
  return BeginCompensating("its XA group did not commit: " + decided.message());
}

SagaDriver::Next SagaDriver::Backward() {
  for (size_t s = stage_start_.size() - 1; s-- > 0;) {
    std::vector<size_t> todo;
    for (size_t i : StageIndexes(s)) {
      const StepPhase p = r_.steps[i];
      const bool database = !steps_[i]->is_service();
      const bool may_have_run =
          p == StepPhase::kStarted || p == StepPhase::kDone ||
          p == StepPhase::kCompensationFailed ||
          // A database step's record may lag (unforced saves, or another
          // driver of the saga): its compensation does nothing when it
          // never ran, and stops its action for good, so every one not
          // undone is compensated, the last first.
          (database && (p == StepPhase::kFailed || Pending(p)));
      if (may_have_run) todo.push_back(i);
    }
    if (todo.empty()) continue;
    std::vector<CallResult> results = CallAll(todo, /*compensation=*/true);
    std::string failed;
    for (size_t k = 0; k < todo.size(); ++k) {
      if (results[k].kind == CallResult::kDone) {
        r_.steps[todo[k]] = StepPhase::kCompensated;
      } else {
        r_.steps[todo[k]] = StepPhase::kCompensationFailed;
        if (failed.empty()) failed = results[k].message;
      }
    }
    if (!failed.empty()) return Stuck(failed + " (gave up)");
    if (!Save(false)) return Next::kStop;
  }
  CrashPoint("saga-before-final");
  r_.phase = SagaPhase::kCompensated;
  Save(false);
  Logger()->debug("xid={} saga {} compensated: {}", r_.id, r_.definition.name,
                  r_.reason);
  return Next::kStop;
}

}  // namespace xatm
