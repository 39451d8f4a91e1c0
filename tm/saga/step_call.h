// One call of a saga step's action or compensation, and its retries.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "xatm/resource.h"
#include "xatm/saga.h"
#include "xatm/saga_record.h"

namespace xatm {

// The statement's parameters with kSagaIdParam bound to `saga_id`.
std::vector<std::string> BoundParams(const SqlCall& call,
                                     const std::string& saga_id);

struct CallResult {
  enum Kind {
    kDone,    // it happened (or had happened already)
    kFailed,  // a business "no"; for a compensation never final
    kRetry,   // not known to have happened: the same call again, later
  };
  Kind kind = kRetry;
  std::string message;  // why, for kFailed and kRetry; a note for kDone
};

// The step's action (or compensation) on `resource` in one local
// transaction with its barrier row (xatm/saga_barrier.h). Every round trip
// is bounded by `deadline`. An action is first tried in as few round trips
// as can be (its barrier row and last statement sent with what follows);
// anything unexpected rolls that back and the careful way runs it.
// `before_commit` (may be empty) runs right before the COMMIT; its error
// rolls the call back (kRetry).
using BeforeCommit = std::function<Status()>;
CallResult CallDatabaseStep(Resource& resource, const std::string& saga_id,
                            const SagaStep& step, bool compensation,
                            std::chrono::steady_clock::time_point deadline,
                            const BeforeCommit& before_commit = {});
// Statement by statement, reading each answer: tells a barrier row that
// exists from a business "no" from a failure.
CallResult CallDatabaseStepCarefully(
    Resource& resource, const std::string& saga_id, const SagaStep& step,
    bool compensation, std::chrono::steady_clock::time_point deadline,
    const BeforeCommit& before_commit = {});

// Settles whether a database step's action ran: inserts its barrier row
// alone. true = it had not run, and now never will; false = it ran.
Result<bool> StopActionIfNotRun(Resource& resource, const std::string& saga_id,
                                const std::string& step,
                                std::chrono::steady_clock::time_point deadline);

// One handler call; an exception is an unknown answer.
CallResult CallService(const ServiceHandler& handler, const ServiceCall& call);

// Calls `call(attempt)` until it is done or failed, at most policy.attempts
// times, waiting the policy's backoff (with jitter) between calls; a wait
// longer than `ms_left()` (the saga's deadline; nullptr: none) stops the
// retries. The last kRetry when they run out.
CallResult CallWithRetry(const RetryPolicy& policy,
                         const std::function<int64_t()>& ms_left,
                         const std::function<CallResult(int attempt)>& call);

}  // namespace xatm
