// xatm init: the transfer schema in every configured database.
#include "cli/bank/schema.h"
#include "cli/command_line.h"
#include "cli/commands/commands.h"
#include "cli/manager.h"

namespace xatm {
namespace {

int Run(const Invocation& invocation) {
  CommandSpec spec("init",
                   "Creates the xatm tables (accounts, ledger) in every "
                   "configured database.\nIdempotent: existing tables are "
                   "kept as they are.");
  return RunCommand(invocation, spec, [](CommandContext& ctx) {
    Result<std::vector<std::shared_ptr<Resource>>> resources =
        MakeResources(ctx.config());
    if (!resources.ok()) {
      return ctx.Fail(kExitUsage, resources.status().message());
    }
    int code = kExitOk;
    for (const std::shared_ptr<Resource>& r : *resources) {
      Status s = InitSchema(*r);
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
  return {"init", "Create the xatm tables in every configured database", &Run};
}

}  // namespace xatm
