// xatm log verify | log dump: the decision log's segments, or the rows of a
// database decision store's table.
#include <ctime>

#include "xatm/resource_factory.h"
#include "cli/command_line.h"
#include "cli/commands/commands.h"
#include "xatm/decision_log.h"
#include "tm/names.h"
#include "xatm/database_decision_log.h"
#include "xatm/xid.h"

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

// "GTRID OUTCOME resources=R1,R2 node=N decided=TIME ended=yes|no
// [detail="..."]"
void PrintRow(std::ostream& out, const StoredDecision& row) {
  out << row.gtrid << " " << row.outcome << " resources="
      << (row.resources.empty() ? "-" : JoinNames(row.resources))
      << " node=" << row.node << " decided=" << FormatTime(row.decided_ms)
      << " ended=" << (row.ended ? "yes" : "no");
  if (!row.detail.empty()) out << " detail=\"" << row.detail << "\"";
  out << "\n";
}

// Why a row of the decision table is malformed; "" when it is well formed.
std::string RowProblem(const StoredDecision& row, const Config& config) {
  if (row.outcome != "commit" && row.outcome != "abort") {
    return "unknown outcome '" + row.outcome + "'";
  }
  Result<Xid> xid = Xid::ParseGtrid(row.gtrid);
  if (!xid.ok()) return xid.status().message();
  if (row.node != xid->node) {
    return "node '" + row.node + "' is not the gtrid's node '" + xid->node +
           "'";
  }
  if (row.outcome == "commit" && row.resources.empty()) {
    return "a commit naming no resource";
  }
  for (const std::string& name : row.resources) {
    if (config.FindResource(name) == nullptr) {
      return "unknown resource '" + name + "'";
    }
  }
  return "";
}

// The table of `decision_store = NAME`: every row checked (and printed by
// dump), then a summary. Exit 1 when a row is malformed.
int StoreLog(CommandContext& ctx, bool dump) {
  const Config& config = ctx.config();
  // The config names a configured resource (checked when it was read).
  const ResourceConfig* store_config =
      config.FindResource(config.decision_store);
  if (store_config == nullptr) {
    return ctx.Fail(kExitUsage, "decision_store '" + config.decision_store +
                                    "' is not a configured resource");
  }
  Result<std::shared_ptr<Resource>> store = MakeResource(*store_config);
  if (!store.ok()) return ctx.Fail(kExitUsage, store.status().message());
  const std::string table =
      "decision store " + config.decision_store + " (table xatm_decisions)";
  Result<std::vector<StoredDecision>> rows =
      DatabaseDecisionLog::ReadAll(**store);
  if (!rows.ok()) {
    return ctx.Fail(kExitFailed, table + ": " + rows.status().message());
  }
  size_t open_commits = 0, aborts = 0, ended = 0, heuristics = 0;
  size_t malformed = 0;
  for (const StoredDecision& row : *rows) {
    if (dump) PrintRow(ctx.out(), row);
    std::string problem = RowProblem(row, config);
    if (!problem.empty()) {
      ctx.out() << "malformed row " << row.gtrid << ": " << problem << "\n";
      ++malformed;
    }
    open_commits += row.outcome == "commit" && !row.ended;
    aborts += row.outcome == "abort";
    ended += row.ended;
    heuristics += !row.detail.empty();  // only a heuristic outcome sets it
  }
  ctx.out() << table << ": " << rows->size() << " row(s) (" << open_commits
            << " open commit, " << aborts << " abort, " << ended << " ended, "
            << heuristics << " heuristic)\n";
  if (malformed != 0) {
    return ctx.Fail(kExitFailed, table + ": " + std::to_string(malformed) +
                                     " malformed row(s)");
  }
  ctx.out() << "ok\n";
  return static_cast<int>(kExitOk);
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
      "is not an error.\n"
      "With a database decision_store they read its table xatm_decisions:\n"
      "verify checks every row (known outcome, an xatm gtrid, the gtrid's\n"
      "node, configured resource names) and prints a summary; dump also\n"
      "prints every row (GTRID OUTCOME resources=R1,R2 node=NODE\n"
      "decided=TIME ended=yes|no [detail=\"...\"]). A malformed row exits 1.");
  spec.hidden.add_options()("action", po::value<std::string>());
  spec.positional.add("action", 1);
  return RunCommand(invocation, spec, [](CommandContext& ctx) {
    const std::string* action = ctx.Option("action");
    if (action == nullptr || (*action != "verify" && *action != "dump")) {
      return ctx.Fail(kExitUsage, "expected 'log verify' or 'log dump'");
    }
    if (!ctx.config().file_store()) return StoreLog(ctx, *action == "dump");
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
