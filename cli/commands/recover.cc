// xatm recover [--grace SECONDS] [--dry-run] [--all-nodes]
#include <unistd.h>

#include <optional>

#include "cli/command_line.h"
#include "cli/commands/commands.h"
#include "cli/commands/progress_line.h"
#include "cli/commands/recovery_output.h"
#include "cli/json_output.h"
#include "cli/manager.h"
#include "xatm/sweeper.h"

namespace xatm {
namespace {

// {"events": [...], "summary": {...}, "dry_run": bool, "settled": bool}
Json SweepJson(const SweepResult& result, bool dry_run, bool settled) {
  return {{"events", EventsJson(result.events)},
          {"summary",
           {{"committed", result.committed},
            {"rolled_back", result.rolled_back},
            {"ended", result.ended},
            {"heuristic", result.heuristics},
            {"remaining", result.remaining},
            {"deferred", result.deferred},
            {"sagas_committed", result.sagas_committed},
            {"sagas_compensated", result.sagas_compensated},
            {"sagas_failed_to_compensate", result.sagas_stuck}}},
          {"dry_run", dry_run},
          {"settled", settled}};
}

int Run(const Invocation& invocation) {
  CommandSpec spec(
      "recover [--grace SECONDS] [--dry-run] [--all-nodes]",
      "Runs one recovery sweep over every configured database: commits the\n"
      "prepared branches of this node whose COMMIT decision is logged, rolls\n"
      "back those without a decision that are older than the grace period,\n"
      "and ENDs every decision whose branches are all committed. Then it\n"
      "drives every unfinished saga on (one past its deadline and the grace\n"
      "period), forward or back as its record says. Prints one\n"
      "line per branch or saga acted on (GTRID RESOURCE ACTION) and a "
      "summary.\n"
      "Exit 0 when nothing in doubt remains, 4 when something remains (a\n"
      "database down, a branch younger than the grace period, a heuristic\n"
      "outcome, a saga failed to compensate), 1 when the sweep could not\n"
      "run, 2 for bad usage.\n"
      "With a database decision_store, --all-nodes resolves the branches of\n"
      "every node id (a node gone for good), through the same fence.");
  spec.options.add_options()(
      "grace", po::value<double>()->value_name("SECONDS"),
      "presume abort only for branches older than this (default: the "
      "config's grace_period)")("dry-run", po::bool_switch(),
                                "print what would be done, change nothing")(
      "all-nodes", po::bool_switch(),
      "resolve every node's branches (database decision_store only)");
  AddJsonOption(spec);
  return RunCommand(invocation, spec, [](CommandContext& ctx) {
    SweeperOptions options;
    options.grace_period_ms = ctx.config().grace_period_ms;
    options.takeover_after_ms = ctx.config().takeover_after_ms;
    options.key_retention_s = ctx.config().key_retention_s();
    options.saga_retention_s = ctx.config().saga_retention_s();
    if (ctx.vars().count("grace") != 0) {
      double grace = ctx.vars()["grace"].as<double>();
      if (!(grace >= 0) || grace > 1e9) {
        return ctx.Fail(kExitUsage, "--grace must be a number of seconds >= 0");
      }
      options.grace_period_ms = static_cast<int64_t>(grace * 1000);
    }
    options.dry_run = ctx.vars()["dry-run"].as<bool>();
    options.all_nodes = ctx.vars()["all-nodes"].as<bool>();
    if (options.all_nodes && ctx.config().file_store()) {
      return ctx.Fail(kExitUsage, kAllNodesNeedsDatabaseStore);
    }

    Result<std::unique_ptr<TransactionManager>> tm =
        OpenCommandManager(ctx.config());
    if (!tm.ok()) {
      return ctx.Fail(kExitFailed, "cannot open the decision log: " +
                                       tm.status().ToString());
    }
    // Thousands of branches take seconds: show how far the sweep is, on a
    // terminal only (a pipe or a log file gets no carriage returns).
    std::optional<ProgressLine> progress;
    if (::isatty(STDERR_FILENO) == 1) {
      progress.emplace(ctx.err(), "recover");
      options.on_progress = [&progress](size_t done, size_t total) {
        progress->Update(done, total);
      };
    }
    Result<std::unique_ptr<SagaManager>> sagas = SagaManager::Create(**tm);
    if (!sagas.ok()) {
      return ctx.Fail(kExitFailed, sagas.status().ToString());
    }
    options.sagas = sagas->get();
    SweepResult result = Sweeper(tm->get(), options).SweepOnce();
    if (progress.has_value()) progress->Finish();
    bool settled = result.clean() && result.deferred == 0;
    if (!ctx.json()) {
      PrintEvents(ctx.out(), result.events);
      ctx.out() << (options.dry_run ? "dry run: " : "") << result.Summary()
                << "\n";
    }
    return ctx.Finish(settled ? kExitOk : kExitUnresolved,
                      "not settled: " + result.Summary(),
                      SweepJson(result, options.dry_run, settled));
  });
}

}  // namespace

Command RecoverCommand() {
  return {"recover", "Resolve in-doubt branches after a crash (one sweep)",
          &Run};
}

}  // namespace xatm
