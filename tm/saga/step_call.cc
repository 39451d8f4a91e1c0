#include "tm/saga/step_call.h"

#include <spdlog/spdlog.h>

#include <random>
#include <thread>

#include "tm/crash_point.h"
#include "xatm/saga_barrier.h"

namespace xatm {
namespace {

// A database error that running the statements again would meet again (a
// constraint, a bad statement) is the step's "no"; anything else (a lost
// connection, a deadlock, a lock wait) may pass.
CallResult FromError(const Status& s, const std::string& context,
                     bool compensation) {
  const RetryRule rule = RetryRuleFor(s.code());
  const bool business =
      rule == RetryRule::kFixRequest || rule == RetryRule::kFixStateFirst;
  CallResult r;
  r.kind = business && !compensation ? CallResult::kFailed : CallResult::kRetry;
  r.message = context + ": " + s.ToString();
  return r;
}

CallResult Done(std::string note) {
  return CallResult{CallResult::kDone, std::move(note)};
}

// Whether the compensation's barrier row of the step is committed: an
// action meeting its own row may have been stopped by it.
bool Compensated(Resource& resource, const std::string& saga_id,
                 const std::string& step) {
  Result<std::vector<BarrierRow>> rows = ReadBarriers(resource, saga_id);
  if (!rows.ok()) return false;
  for (const BarrierRow& row : *rows) {
    if (row.step == step && row.op == BarrierOp::kCompensation) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> BoundParams(const SqlCall& call,
                                     const std::string& saga_id) {
  std::vector<std::string> params = call.params;
  for (std::string& p : params) {
    if (p == kSagaIdParam) p = saga_id;
  }
  return params;
}

namespace {

// The action when all goes well, in as few round trips as the database
// allows: the barrier row and the last statement are checked by their
// counts and sent with the next statement or the COMMIT. OK = committed;
// Aborted = rolled back, for any reason (the barrier row found, a count
// that did not fit, an error): the careful way finds out which; other =
// the commit's answer is unknown.
Status TryActionAtOnce(Resource& resource, const std::string& saga_id,
                       const SagaStep& step,
                       std::chrono::steady_clock::time_point deadline,
                       const BeforeCommit& before_commit) {
  XATM_ASSIGN_OR_RETURN(std::unique_ptr<Branch> begun, resource.BeginLocal());
  Branch& branch = *begun;
  branch.SetDeadline(deadline);
  Status s = InsertBarrierDeferred(branch, resource.type(), saga_id, step.name,
                                   BarrierOp::kAction);
  for (size_t i = 0; s.ok() && i < step.action.size(); ++i) {
    const SqlCall& call = step.action[i];
    if (i + 1 == step.action.size()) {
      s = branch.ExecuteDeferred(call.sql, BoundParams(call, saga_id),
                                 call.expected_rows);
      break;
    }
    Result<int64_t> rows = branch.Execute(call.sql, BoundParams(call, saga_id));
    if (!rows.ok()) {
      s = rows.status();
    } else {
      s = CheckAffectedRows(call.sql, *rows, call.expected_rows);
    }
  }
  if (!s.ok()) {
    (void)branch.Rollback();
    return Status::Aborted(s.message());
  }
  if (before_commit) {
    Status ready = before_commit();
    if (!ready.ok()) {
      (void)branch.Rollback();
      return ready.code() == StatusCode::kAborted
                 ? Status::Unavailable(ready.message())
                 : ready;
    }
  }
  CrashPoint("saga-before-action-commit");
  Status committed = branch.CommitOnePhase();
  if (committed.ok()) CrashPoint("saga-after-action");
  return committed;
}

}  // namespace

CallResult CallDatabaseStep(Resource& resource, const std::string& saga_id,
                            const SagaStep& step, bool compensation,
                            std::chrono::steady_clock::time_point deadline,
                            const BeforeCommit& before_commit) {
  if (!compensation) {
    Status quick =
        TryActionAtOnce(resource, saga_id, step, deadline, before_commit);
    if (quick.ok()) return Done("");
    if (quick.code() != StatusCode::kAborted) {
      // The barrier makes the next call safe whatever happened.
      return CallResult{CallResult::kRetry, "action of step " + step.name +
                                                " on " + resource.name() +
                                                ": " + quick.ToString()};
    }
  }
  return CallDatabaseStepCarefully(resource, saga_id, step, compensation,
                                   deadline, before_commit);
}

CallResult CallDatabaseStepCarefully(
    Resource& resource, const std::string& saga_id, const SagaStep& step,
    bool compensation, std::chrono::steady_clock::time_point deadline,
    const BeforeCommit& before_commit) {
  const char* side = compensation ? "compensation" : "action";
  const std::string context =
      std::string(side) + " of step " + step.name + " on " + resource.name();
  Result<std::unique_ptr<Branch>> begun = resource.BeginLocal();
  if (!begun.ok()) return FromError(begun.status(), context, compensation);
  Branch& branch = **begun;
  branch.SetDeadline(deadline);
  auto rollback = [&branch](CallResult r) {
    (void)branch.Rollback();
    return r;
  };

  // The action's row first, in both directions: during a compensation,
  // inserting it proves the action never ran and stops it for good.
  Result<bool> action_row = InsertBarrier(branch, resource.type(), saga_id,
                                          step.name, BarrierOp::kAction);
  if (!action_row.ok()) {
    return rollback(FromError(action_row.status(), context + " (barrier)",
                              /*compensation=*/true));
  }
  const std::vector<SqlCall>* calls = &step.action;
  if (!compensation) {
    if (!*action_row) {
      (void)branch.Rollback();
      if (Compensated(resource, saga_id, step.name)) {
        return CallResult{CallResult::kFailed,
                          context + ": compensated before it arrived"};
      }
      return Done("ran already");
    }
  } else {
    Result<bool> own_row = InsertBarrier(branch, resource.type(), saga_id,
                                         step.name, BarrierOp::kCompensation);
    if (!own_row.ok()) {
      return rollback(
          FromError(own_row.status(), context + " (barrier)", true));
    }
    if (!*own_row) return rollback(Done("compensated already"));
    // Null compensation: the two rows commit alone.
    calls = *action_row ? nullptr : &step.compensation;
  }
  if (calls != nullptr) {
    for (size_t i = 0; i < calls->size(); ++i) {
      const SqlCall& call = (*calls)[i];
      Result<int64_t> rows =
          branch.Execute(call.sql, BoundParams(call, saga_id));
      if (!rows.ok()) {
        return rollback(FromError(
            rows.status(), context + ", statement " + std::to_string(i + 1),
            compensation));
      }
      if (call.expected_rows && *rows != *call.expected_rows) {
        CallResult r;
        r.kind = compensation ? CallResult::kRetry : CallResult::kFailed;
        r.message = context + ", statement " + std::to_string(i + 1) +
                    " affected " + std::to_string(*rows) + " rows, not " +
                    std::to_string(*call.expected_rows);
        return rollback(std::move(r));
      }
    }
  }
  if (before_commit) {
    Status ready = before_commit();
    if (!ready.ok()) {
      return rollback(
          CallResult{CallResult::kRetry, context + ": " + ready.ToString()});
    }
  }
  CrashPoint(compensation ? "saga-before-compensation-commit"
                          : "saga-before-action-commit");
  Status committed = branch.CommitOnePhase();
  if (!committed.ok()) {
    // Aborted or unknown: the barrier makes the next call safe either way.
    return CallResult{CallResult::kRetry,
                      context + ": commit: " + committed.ToString()};
  }
  CrashPoint(compensation ? "saga-after-compensation" : "saga-after-action");
  return Done(calls == nullptr ? "never ran: nothing to undo" : "");
}

Result<bool> StopActionIfNotRun(
    Resource& resource, const std::string& saga_id, const std::string& step,
    std::chrono::steady_clock::time_point deadline) {
  XATM_ASSIGN_OR_RETURN(std::unique_ptr<Branch> begun, resource.BeginLocal());
  Branch& branch = *begun;
  branch.SetDeadline(deadline);
  Result<bool> inserted =
      InsertBarrier(branch, resource.type(), saga_id, step, BarrierOp::kAction);
  if (!inserted.ok() || !*inserted) {
    (void)branch.Rollback();
    if (!inserted.ok()) return inserted.status();
    return false;
  }
  // A null compensation, as its rows say: the action did not run.
  Result<bool> undone = InsertBarrier(branch, resource.type(), saga_id, step,
                                      BarrierOp::kCompensation);
  if (!undone.ok()) {
    (void)branch.Rollback();
    return undone.status();
  }
  XATM_RETURN_IF_ERROR(branch.CommitOnePhase());
  return true;
}

CallResult CallService(const ServiceHandler& handler, const ServiceCall& call) {
  const std::string context =
      std::string(call.compensation ? "compensation" : "action") + " of step " +
      call.step;
  ServiceAnswer answer = ServiceAnswer::kUnknown;
  try {
    answer = handler(call);
  } catch (const std::exception& e) {
    return CallResult{CallResult::kRetry,
                      context + ": handler threw: " + e.what()};
  } catch (...) {
    return CallResult{CallResult::kRetry, context + ": handler threw"};
  }
  switch (answer) {
    case ServiceAnswer::kDone:
      return Done("");
    case ServiceAnswer::kFailed:
      // A compensation must succeed in the end: its "no" is retried.
      return CallResult{
          call.compensation ? CallResult::kRetry : CallResult::kFailed,
          context + ": the service answered failed"};
    case ServiceAnswer::kNotYet:
      return CallResult{CallResult::kRetry,
                        context + ": the service answered not yet"};
    case ServiceAnswer::kUnknown:
      break;
  }
  return CallResult{CallResult::kRetry,
                    context + ": the service's answer is unknown"};
}

CallResult CallWithRetry(const RetryPolicy& policy,
                         const std::function<int64_t()>& ms_left,
                         const std::function<CallResult(int attempt)>& call) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  CallResult last;
  for (int attempt = 1; attempt <= policy.attempts; ++attempt) {
    last = call(attempt);
    if (last.kind != CallResult::kRetry || attempt == policy.attempts) break;
    double wait = static_cast<double>(BackoffMs(policy, attempt));
    if (policy.jitter > 0) {
      std::uniform_real_distribution<double> spread(-policy.jitter,
                                                    policy.jitter);
      wait *= 1.0 + spread(random);
    }
    if (ms_left && static_cast<int64_t>(wait) > ms_left()) {
      last.message += " (the saga's deadline comes first)";
      break;
    }
    std::this_thread::sleep_for(
        std::chrono::milliseconds(static_cast<int64_t>(wait)));
  }
  return last;
}

}  // namespace xatm
