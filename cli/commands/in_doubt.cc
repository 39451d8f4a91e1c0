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

// The step phases that say where a saga stands: "debit=done,credit=started".
std::string StepSummary(const SagaRecord& r) {
  std::string out;
  std::vector<const SagaStep*> steps = r.FlatSteps();
  for (size_t i = 0; i < steps.size(); ++i) {
    if (!out.empty()) out += ",";
    out += steps[i]->name + "=" + StepPhaseName(r.steps[i]);
  }
  return out;
}

Json SagasJson(const std::vector<SagaRecord>& sagas, int64_t now_ms) {
  Json list = Json::array();
  for (const SagaRecord& r : sagas) {
    Json steps = Json::object();
    std::vector<const SagaStep*> flat = r.FlatSteps();
    for (size_t i = 0; i < flat.size(); ++i) {
      steps[flat[i]->name] = StepPhaseName(r.steps[i]);
    }
    list.push_back({{"id", r.id},
                    {"name", r.definition.name},
                    {"node", r.node},
                    {"phase", SagaPhaseName(r.phase)},
                    {"steps", std::move(steps)},
                    {"age", FormatAge(now_ms - r.begun_ms)},
                    {"age_ms", now_ms - r.begun_ms},
                    {"reason", r.reason}});
  }
  return list;
}

// {"branches": [{"gtrid", "resource", "age", "age_ms", "decision"}],
//  "decisions": [{"gtrid", "resources", "age", "age_ms"}],
//  "unreachable": [{"resource", "error"}], "settled": bool}
//  "sagas": [{"id", "name", "node", "phase", "steps", "age", "age_ms",
//  "reason"}],
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
          {"sagas", SagasJson(report.sagas, now_ms)},
          {"settled", settled}};
}

int Run(const Invocation& invocation) {
  CommandSpec spec(
      "in-doubt [--all-nodes]",
      "Lists this node's prepared branches in every configured database with\n"
      "their age and logged decision ('branch GTRID RESOURCE age=AGE\n"
      "decision=commit|none'), then the COMMIT decisions not yet ENDed\n"
      "('decision GTRID resources=R1,R2 age=AGE'), then the sagas not\n"
      "finished ('saga ID NAME phase=PHASE steps=S1=P1,S2=P2 age=AGE:\n"
      "REASON'; phase failed-to-compensate waits for `xatm resolve ID\n"
      "--retry` or `--mark-compensated --reason TEXT`), or 'nothing in\n"
      "doubt'.\n"
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
        OpenCommandManager(ctx.config());
    if (!tm.ok()) {
      return ctx.Fail(kExitFailed, "cannot open the decision log: " +
                                       tm.status().ToString());
    }
    InDoubtReport report = ListInDoubt(**tm, all_nodes);
    const int64_t now_ms = (*tm)->clock().NowMs();
    const bool clear = report.branches.empty() &&
                       report.open_decisions.empty() &&
                       report.unreachable.empty() && report.sagas.empty() &&
                       report.sagas_error.empty();
    const int code = clear ? kExitOk : kExitUnresolved;
    const std::string why =
        std::to_string(report.branches.size()) + " branch(es) and " +
        std::to_string(report.open_decisions.size()) +
        " decision(s) in doubt, " + std::to_string(report.unreachable.size()) +
        " resource(s) unreachable, " + std::to_string(report.sagas.size()) +
        " saga(s) not finished" +
        (report.sagas_error.empty() ? "" : " (" + report.sagas_error + ")");
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
    for (const SagaRecord& r : report.sagas) {
      ctx.out() << "saga " << r.id << " " << r.definition.name
                << " phase=" << SagaPhaseName(r.phase)
                << " steps=" << StepSummary(r)
                << " age=" << FormatAge(now_ms - r.begun_ms);
      if (r.node != ctx.config().node) ctx.out() << " node=" << r.node;
      if (!r.reason.empty()) ctx.out() << ": " << r.reason;
      ctx.out() << "\n";
    }
    if (!report.sagas_error.empty()) {
      ctx.out() << "sagas unreadable: " << report.sagas_error << "\n";
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
