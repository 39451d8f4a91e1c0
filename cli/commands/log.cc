// xatm log verify | log dump
#include <ctime>

#include "cli/command_line.h"
#include "cli/commands/commands.h"
#include "tm/decision_log.h"

namespace xatm {
namespace {

std::string FormatTime(int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[40];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &utc);
  char out[48];
  std::snprintf(out, sizeof(out), "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

void PrintRecord(std::ostream& out, const ScannedRecord& r) {
  const bool recovery_end = r.record.type == RecordType::kEnd &&
                            r.record.end_origin == EndOrigin::kRecovery;
  out << r.segment << "@" << r.offset << " "
      << (recovery_end ? "RECOVERY-END" : RecordTypeName(r.record.type)) << " "
      << r.record.gtrid << " " << FormatTime(r.record.time_ms);
  if (!r.record.resources.empty()) {
    out << " resources=";
    for (size_t i = 0; i < r.record.resources.size(); ++i) {
      out << (i ? "," : "") << r.record.resources[i];
    }
  }
  if (!r.record.detail.empty()) out << " detail=\"" << r.record.detail << "\"";
  out << "\n";
}

int Run(const Invocation& invocation) {
  CommandSpec spec(
      "log verify|dump",
      "Reads the identity and every segment of the decision log without\n"
      "changing it.\n"
      "verify checks framing and checksums and prints a summary; dump also\n"
      "prints every record (SEGMENT@OFFSET TYPE GTRID TIME ...). A damaged\n"
      "log is reported with its segment and offset and exits 1; a torn tail\n"
      "(a record cut short by a crash, never acknowledged) is reported and\n"
      "is not an error.");
  spec.hidden.add_options()("action", po::value<std::string>());
  spec.positional.add("action", 1);
  return RunCommand(invocation, spec, [](CommandContext& ctx) {
    const std::string* action = ctx.Option("action");
    if (action == nullptr || (*action != "verify" && *action != "dump")) {
      return ctx.Fail(kExitUsage, "expected 'log verify' or 'log dump'");
    }
    Result<LogScan> scan = ScanDecisionLog(ctx.config().log_dir);
    if (!scan.ok()) {
      return ctx.Fail(kExitFailed, "decision log " + ctx.config().log_dir +
                                       ": " + scan.status().message());
    }
    if (scan->has_identity) {
      ctx.out() << "identity: node " << scan->node_id << ", created "
                << FormatTime(scan->created_ms) << "\n";
    } else {
      ctx.out() << "identity: none (no xatm-log.id; commands refuse the log)\n";
    }
    if (*action == "dump") {
      for (const ScannedRecord& r : scan->records) PrintRecord(ctx.out(), r);
    }
    // A recovery END counts as an END (it may be a checkpoint's tombstone).
    size_t commits = 0, ends = 0, heuristics = 0;
    for (const ScannedRecord& r : scan->records) {
      commits += r.record.type == RecordType::kCommit;
      ends += r.record.type == RecordType::kEnd;
      heuristics += r.record.type == RecordType::kHeuristic;
    }
    ctx.out() << "decision log " << ctx.config().log_dir << ": "
              << scan->segments.size() << " segment(s), "
              << scan->records.size() << " record(s) (" << commits
              << " commit, " << ends << " end, " << heuristics
              << " heuristic)\n";
    if (scan->torn_tail.has_value()) {
      ctx.out() << "torn tail (ignored): " << *scan->torn_tail << "\n";
    }
    ctx.out() << "ok\n";
    return static_cast<int>(kExitOk);
  });
}

}  // namespace

Command LogCommand() {
  return {"log", "Verify or dump the decision log", &Run};
}

}  // namespace xatm
