// xatm init: the decision log (with its identity) and the transfer schema
// in every configured database.
#include "cli/bank/schema.h"
#include "cli/command_line.h"
#include "cli/commands/commands.h"
#include "cli/manager.h"
#include "tm/saga/database_saga_journal.h"
#include "xatm/saga_barrier.h"

namespace xatm {
namespace {

int Run(const Invocation& invocation) {
  CommandSpec spec(
      "init",
      "Creates the decision log in log_dir (for this node), or the tables\n"
      "xatm_decisions, xatm_nodes and xatm_sagas in the decision_store "
      "resource,\nand the xatm tables (accounts, ledger, idempotency keys, "
      "saga barriers) in\nevery configured database. Idempotent: an existing "
      "log and existing\ntables are kept as they are. The only command that "
      "creates a decision\nlog: the others refuse a missing one.");
  return RunCommand(invocation, spec, [](CommandContext& ctx) {
    Status log = CreateDecisionLog(ctx.config());
    if (!log.ok()) {
      return ctx.Fail(kExitFailed,
                      "cannot create the decision log: " + log.ToString());
    }
    if (ctx.config().file_store()) {
      ctx.out() << "decision log " << ctx.config().log_dir << ": ready (node "
                << ctx.config().node << ")\n";
    } else {
      ctx.out() << "decision store " << ctx.config().decision_store
                << ": tables xatm_decisions and xatm_nodes ready\n";
    }
    Result<std::vector<std::shared_ptr<Resource>>> resources =
        MakeResources(ctx.config());
    if (!resources.ok()) {
      return ctx.Fail(kExitUsage, resources.status().message());
    }
    int code = kExitOk;
    for (const std::shared_ptr<Resource>& r : *resources) {
      if (ctx.config().file_store() ||
          r->name() != ctx.config().decision_store) {
        continue;
      }
      Status sagas = DatabaseSagaJournal::CreateTable(*r);
      if (!sagas.ok()) {
        code = ctx.Fail(kExitFailed, r->name() + ": " + sagas.ToString());
        continue;
      }
      ctx.out() << "decision store " << r->name()
                << ": table xatm_sagas ready\n";
    }
    for (const std::shared_ptr<Resource>& r : *resources) {
      Status s = InitSchema(*r);
      // The saga barriers of the steps that run here.
      if (s.ok()) s = CreateSagaBarrierTable(*r);
      if (!s.ok()) {
        code = ctx.Fail(kExitFailed, r->name() + ": " + s.ToString());
        continue;
      }
      ctx.out() << r->name() << ": schema ready (" << r->type() << ")\n";
    }
    return code;
  });
}

}  // namespace

Command InitCommand() {
  return {"init",
          "Create the decision log and the xatm tables in every configured "
          "database",
          &Run};
}

}  // namespace xatm
