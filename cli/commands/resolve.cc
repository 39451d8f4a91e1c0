// xatm resolve GTRID --commit|--rollback [--force]
// xatm resolve SAGA_ID --retry | --mark-compensated --reason TEXT
#include "cli/command_line.h"
#include "cli/commands/commands.h"
#include "cli/commands/recovery_output.h"
#include "cli/commands/resolve_saga.h"
#include "cli/json_output.h"
#include "cli/manager.h"
#include "xatm/resolver.h"

namespace xatm {
namespace {

int Run(const Invocation& invocation) {
  CommandSpec spec(
      "resolve GTRID --commit|--rollback [--force]\n"
      "       xatm resolve SAGA_ID --retry | --mark-compensated --reason TEXT",
      "Resolves one global transaction by hand: this node's, or with a\n"
      "database decision_store any node's. --commit logs a COMMIT decision\n"
      "(unless one exists) naming every branch and commits every prepared\n"
      "branch; it needs an answer from every configured resource, and\n"
      "without a logged decision it refuses while a resource shows neither a\n"
      "prepared nor a committed branch (one may never have prepared) unless\n"
      "--force; a decision_store refuses it, even with --force, once abort is\n"
      "recorded there. --rollback records abort in a decision_store (unless\n"
      "a COMMIT is there first) and rolls every prepared branch back; it\n"
      "refuses to contradict a COMMIT decision unless --force, and a forced\n"
      "contradiction is recorded as a heuristic outcome.\n"
      "A saga failed to compensate (see in-doubt): --retry runs its\n"
      "compensation again from where it stopped, with fresh attempts;\n"
      "--mark-compensated --reason TEXT closes it as compensated without\n"
      "running anything (the money was put right by other means), keeping\n"
      "TEXT in its record.\n"
      "Exit 0 resolved, 1 refused or nothing to resolve, 2 bad usage, 4 "
      "some\nresource did not answer, the outcome is heuristic, or the saga\n"
      "is still not finished.");
  spec.options.add_options()("commit", po::bool_switch(),
                             "commit every branch")(
      "rollback", po::bool_switch(), "roll every branch back")(
      "retry", po::bool_switch(),
      "a saga failed to compensate: compensate again")(
      "mark-compensated", po::bool_switch(),
      "a saga failed to compensate: close it as compensated (needs "
      "--reason)")("reason", po::value<std::string>()->value_name("TEXT"),
                   "why it is marked compensated (kept for audit)")(
      "force", po::bool_switch(),
      "allow --rollback against a logged COMMIT decision (heuristic), or\n"
      "--commit although a resource shows no branch (it took no part)");
  spec.hidden.add_options()("gtrid", po::value<std::string>());
  spec.positional.add("gtrid", 1);
  AddJsonOption(spec);
  return RunCommand(invocation, spec, [](CommandContext& ctx) {
    const std::string* gtrid = ctx.Option("gtrid");
    if (gtrid == nullptr) return ctx.Fail(kExitUsage, "missing GTRID");
    bool commit = ctx.vars()["commit"].as<bool>();
    bool rollback = ctx.vars()["rollback"].as<bool>();
    const bool retry = ctx.vars()["retry"].as<bool>();
    const bool mark = ctx.vars()["mark-compensated"].as<bool>();
    const std::string* reason = ctx.Option("reason");
    if (retry || mark || reason != nullptr) {
      if (commit || rollback || ctx.vars()["force"].as<bool>() ||
          retry == mark) {
        return ctx.Fail(kExitUsage,
                        "give exactly one of --retry, --mark-compensated "
                        "(no --commit, --rollback or --force with them)");
      }
      if (mark && (reason == nullptr || reason->empty())) {
        return ctx.Fail(kExitUsage,
                        "--mark-compensated needs --reason TEXT (kept for "
                        "audit)");
      }
      if (retry && reason != nullptr) {
        return ctx.Fail(kExitUsage, "--reason goes with --mark-compensated");
      }
      return ResolveSaga(ctx, *gtrid, mark ? reason : nullptr);
    }
    if (commit == rollback) {
      return ctx.Fail(kExitUsage, "give exactly one of --commit, --rollback");
    }
    Result<Xid> xid = Xid::ParseGtrid(*gtrid);
    if (!xid.ok()) return ctx.Fail(kExitUsage, xid.status().message());

    ResolveOptions options;
    options.decision =
        commit ? ManualDecision::kCommit : ManualDecision::kRollback;
    options.force = ctx.vars()["force"].as<bool>();
    // What was asked, in every --json document.
    const Json request = {{"gtrid", *gtrid},
                          {"action", commit ? "commit" : "rollback"},
                          {"force", options.force}};

    Result<std::unique_ptr<TransactionManager>> tm =
        OpenCommandManager(ctx.config());
    if (!tm.ok()) {
      return ctx.Fail(kExitFailed,
                      "cannot open the decision log: " + tm.status().ToString(),
                      request);
    }
    Result<ResolveResult> result = ResolveManually(**tm, *gtrid, options);
    if (!result.ok()) {
      // A resource that did not answer leaves the transaction in doubt.
      return ctx.Fail(result.status().code() == StatusCode::kUnavailable
                          ? kExitUnresolved
                          : kExitFailed,
                      result.status().message(), request);
    }
    bool settled = result->remaining == 0 && result->heuristics == 0;
    Json doc = request;
    doc["events"] = EventsJson(result->events);
    doc["heuristic"] = result->heuristics;
    doc["remaining"] = result->remaining;
    doc["settled"] = settled;
    if (!ctx.json()) PrintEvents(ctx.out(), result->events);
    return ctx.Finish(settled ? kExitOk : kExitUnresolved,
                      "not settled: " + std::to_string(result->remaining) +
                          " remaining, " + std::to_string(result->heuristics) +
                          " heuristic",
                      doc);
  });
}

}  // namespace

Command ResolveCommand() {
  return {"resolve", "Commit or roll back one global transaction by hand",
          &Run};
}

}  // namespace xatm
