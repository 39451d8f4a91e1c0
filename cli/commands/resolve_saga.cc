#include "cli/commands/resolve_saga.h"

#include "cli/json_output.h"
#include "cli/manager.h"
#include "xatm/saga.h"

namespace xatm {

int ResolveSaga(CommandContext& ctx, const std::string& saga_id,
                const std::string* reason) {
  Json request = {{"saga", saga_id},
                  {"action", reason ? "mark-compensated" : "retry"}};
  if (reason) request["reason"] = *reason;
  Result<std::unique_ptr<TransactionManager>> tm =
      OpenCommandManager(ctx.config());
  if (!tm.ok()) {
    return ctx.Fail(kExitFailed,
                    "cannot open the decision log: " + tm.status().ToString(),
                    request);
  }
  Result<std::unique_ptr<SagaManager>> sagas = SagaManager::Create(**tm);
  if (!sagas.ok()) return ctx.Fail(kExitFailed, sagas.status().ToString());
  Result<SagaOutcome> outcome =
      reason ? (*sagas)->MarkCompensated(saga_id, *reason)
             : (*sagas)->Retry(saga_id);
  if (!outcome.ok()) {
    const StatusCode code = outcome.status().code();
    return ctx.Fail(code == StatusCode::kInvalidArgument ? kExitUsage
                    : code == StatusCode::kUnavailable   ? kExitUnresolved
                                                         : kExitFailed,
                    outcome.status().message(), request);
  }
  const bool settled = IsFinal(outcome->phase);
  Json doc = request;
  doc["phase"] = SagaPhaseName(outcome->phase);
  doc["settled"] = settled;
  if (!outcome->reason.empty()) doc["detail"] = outcome->reason;
  if (!ctx.json()) {
    ctx.out() << saga_id << " " << SagaPhaseName(outcome->phase);
    if (reason) {
      ctx.out() << " (marked by an operator: " << *reason << ")";
    } else if (!settled) {
      ctx.out() << ": " << outcome->reason;
    }
    ctx.out() << "\n";
  }
  return ctx.Finish(settled ? kExitOk : kExitUnresolved,
                    std::string("saga ") + saga_id + " is " +
                        SagaPhaseName(outcome->phase) + ": " + outcome->reason,
                    doc);
}

}  // namespace xatm
