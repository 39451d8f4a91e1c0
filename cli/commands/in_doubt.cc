// xatm in-doubt
#include "xatm/in_doubt.h"

#include "cli/command_line.h"
#include "cli/commands/commands.h"
#include "cli/commands/recovery_output.h"
#include "cli/json_output.h"
#include "cli/manager.h"
#include "tm/names.h"

namespace xatm {
namespace {

// {"branches": [{"gtrid", "resource", "age", "age_ms", "decision"}],
//  "decisions": [{"gtrid", "resources", "age", "age_ms"}],
//  "unreachable": [{"resource", "error"}], "settled": bool}
Json InDoubtJson(const InDoubtReport& report, int64_t now_ms, bool settled) {
  Json branches = Json::array();
  for (const InDoubtBranch& b : report.branches) {
    branches.push_back({{"gtrid", b.gtrid},
                        {"resource", b.resource},
                        {"age", FormatAge(b.age_ms)},
                        {"age_ms", b.age_ms},
                        {"decision", b.decided_commit ? "commit" : "none"}});
  }
  Json decisions = Json::array();
  for (const DecisionRecord& d : report.open_decisions) {
    decisions.push_back({{"gtrid", d.gtrid},
                         {"resources", d.resources},
                         {"age", FormatAge(now_ms - d.time_ms)},
                         {"age_ms", now_ms - d.time_ms}});
  }
  Json unreachable = Json::array();
  for (const ResourceFailure& f : report.unreachable) {
    unreachable.push_back(
        {{"resource", f.resource}, {"error", f.status.message()}});
  }
  return {{"branches", std::move(branches)},
          {"decisions", std::move(decisions)},
          {"unreachable", std::move(unreachable)},
          {"settled", settled}};
}

int Run(const Invocation& invocation) {
  CommandSpec spec(
      "in-doubt [--all-nodes]",
      "Lists this node's prepared branches in every configured database with\n"
      "their age and logged decision ('branch GTRID RESOURCE age=AGE\n"
      "decision=commit|none'), then the COMMIT decisions not yet ENDed\n"
      "('decision GTRID resources=R1,R2 age=AGE'), or 'nothing in doubt'.\n"
      "Changes nothing.\n"
      "With a database decision_store, --all-nodes lists every node's.\n"
      "Exit 0 when nothing is in doubt, 4 when something is, 1 on error.");
  spec.options.add_options()(
      "all-nodes", po::bool_switch(),
      "list every node's branches and decisions (database decision_store "
      "only)");
  AddJsonOption(spec);
  return RunCommand(invocation, spec, [](CommandContext& ctx) {
    const bool all_nodes = ctx.vars()["all-nodes"].as<bool>();
    if (all_nodes && ctx.config().file_store()) {
      return ctx.Fail(kExitUsage, kAllNodesNeedsDatabaseStore);
    }
    Result<std::unique_ptr<TransactionManager>> tm =
        OpenTransactionManager(ctx.config());
    if (!tm.ok()) {
      return ctx.Fail(kExitFailed, "cannot open the decision log: " +
                                       tm.status().ToString());
    }
    InDoubtReport report = ListInDoubt(**tm, all_nodes);
    const int64_t now_ms = (*tm)->clock().NowMs();
    const bool clear = report.branches.empty() &&
                       report.open_decisions.empty() &&
                       report.unreachable.empty();
    const int code = clear ? kExitOk : kExitUnresolved;
    const std::string why =
        std::to_string(report.branches.size()) + " branch(es) and " +
        std::to_string(report.open_decisions.size()) +
        " decision(s) in doubt, " + std::to_string(report.unreachable.size()) +
        " resource(s) unreachable";
    if (ctx.json()) {
      return ctx.Finish(code, why, InDoubtJson(report, now_ms, clear));
    }
    for (const InDoubtBranch& b : report.branches) {
      ctx.out() << "branch " << b.gtrid << " " << b.resource
                << " age=" << FormatAge(b.age_ms)
                << " decision=" << (b.decided_commit ? "commit" : "none")
                << "\n";
    }
    for (const DecisionRecord& d : report.open_decisions) {
      ctx.out() << "decision " << d.gtrid
                << " resources=" << JoinNames(d.resources)
                << " age=" << FormatAge(now_ms - d.time_ms) << "\n";
    }
    for (const ResourceFailure& f : report.unreachable) {
      ctx.out() << "unreachable " << f.resource << ": " << f.status.message()
                << "\n";
    }
    // Silence would read like a command that did not run.
    if (clear) ctx.out() << "nothing in doubt\n";
    return ctx.Finish(code, why, {});
  });
}

}  // namespace

Command InDoubtCommand() {
  return {"in-doubt", "List prepared branches and unfinished decisions", &Run};
}

}  // namespace xatm
