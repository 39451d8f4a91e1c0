// xatm log verify | log dump: the decision log's segments, or the rows of a
// database decision store's table.
#include <ctime>

#include "cli/command_line.h"
#include "cli/commands/commands.h"
#include "cli/json_output.h"
#include "tm/names.h"
#include "xatm/database_decision_log.h"
#include "xatm/decision_log.h"
#include "xatm/resource_factory.h"
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

// COMMIT, END, RECOVERY-END (an END made by recovery), HEURISTIC, SAGA or
// SAGA-END.
const char* RecordTypeText(const DecisionRecord& record) {
  const bool recovery_end = record.type == RecordType::kEnd &&
                            record.end_origin == EndOrigin::kRecovery;
  return recovery_end ? "RECOVERY-END" : RecordTypeName(record.type);
}

void PrintRecord(std::ostream& out, const ScannedRecord& r) {
  out << r.segment << "@" << r.offset << " " << RecordTypeText(r.record) << " "
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

// {"segment", "offset", "type", "gtrid", "time", "time_ms", "resources",
//  "detail"}: the facts of PrintRecord's line.
Json RecordJson(const ScannedRecord& r) {
  return {{"segment", r.segment},
          {"offset", r.offset},
          {"type", RecordTypeText(r.record)},
          {"gtrid", r.record.gtrid},
          {"time", FormatTime(r.record.time_ms)},
          {"time_ms", r.record.time_ms},
          {"resources", r.record.resources},
          {"detail", r.record.detail}};
}

// {"gtrid", "outcome", "resources", "node", "decided", "decided_ms",
//  "ended", "detail"}: the facts of PrintRow's line.
Json RowJson(const StoredDecision& row) {
  return {{"gtrid", row.gtrid},
          {"outcome", row.outcome},
          {"resources", row.resources},
          {"node", row.node},
          {"decided", FormatTime(row.decided_ms)},
          {"decided_ms", row.decided_ms},
          {"ended", row.ended},
          {"detail", row.detail}};
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
  Json doc = {{"ok", false},
              {"store", "database"},
              {"resource", config.decision_store},
              {"table", "xatm_decisions"}};
  Result<std::vector<StoredDecision>> rows =
      DatabaseDecisionLog::ReadAll(**store);
  if (!rows.ok()) {
    return ctx.Fail(kExitFailed, table + ": " + rows.status().message(), doc);
  }
  size_t open_commits = 0, aborts = 0, ended = 0, heuristics = 0;
  Json records = Json::array(), malformed = Json::array();
  for (const StoredDecision& row : *rows) {
    if (dump && ctx.json()) records.push_back(RowJson(row));
    if (dump && !ctx.json()) PrintRow(ctx.out(), row);
    std::string problem = RowProblem(row, config);
    if (!problem.empty()) {
      if (!ctx.json()) {
        ctx.out() << "malformed row " << row.gtrid << ": " << problem << "\n";
      }
      malformed.push_back({{"gtrid", row.gtrid}, {"problem", problem}});
    }
    open_commits += row.outcome == "commit" && !row.ended;
    aborts += row.outcome == "abort";
    ended += row.ended;
    heuristics += !row.detail.empty();  // only a heuristic outcome sets it
  }
  doc["summary"] = {{"records", rows->size()},
                    {"open_commit", open_commits},
                    {"abort", aborts},
                    {"ended", ended},
                    {"heuristic", heuristics}};
  doc["malformed"] = malformed;
  if (dump) doc["records"] = std::move(records);
  if (!ctx.json()) {
    ctx.out() << table << ": " << rows->size() << " row(s) (" << open_commits
              << " open commit, " << aborts << " abort, " << ended << " ended, "
              << heuristics << " heuristic)\n";
  }
  if (!malformed.empty()) {
    return ctx.Fail(
        kExitFailed,
        table + ": " + std::to_string(malformed.size()) + " malformed row(s)",
        doc);
  }
  doc["ok"] = true;
  if (ctx.json()) {
    WriteJson(ctx.out(), doc);
  } else {
    ctx.out() << "ok\n";
  }
  return static_cast<int>(kExitOk);
}

// The segments of the file decision log: identity, every record (dump),
// a summary. Exit 1 when the log is damaged.
int FileLog(CommandContext& ctx, bool dump) {
  const std::string& dir = ctx.config().log_dir;
  Json doc = {{"ok", false}, {"store", "file"}, {"log_dir", dir}};
  Result<LogScan> scan = ScanDecisionLog(dir);
  if (!scan.ok()) {
    return ctx.Fail(kExitFailed,
                    "decision log " + dir + ": " + scan.status().message(),
                    doc);
  }
  // A recovery END counts as an END (it may be a checkpoint's tombstone).
  size_t commits = 0, ends = 0, heuristics = 0, sagas = 0;
  for (const ScannedRecord& r : scan->records) {
    commits += r.record.type == RecordType::kCommit;
    ends += r.record.type == RecordType::kEnd;
    heuristics += r.record.type == RecordType::kHeuristic;
    sagas += r.record.type == RecordType::kSaga ||
             r.record.type == RecordType::kSagaEnd;
  }
  if (ctx.json()) {
    doc["ok"] = true;
    doc["identity"] = scan->has_identity
                          ? Json{{"node", scan->node_id},
                                 {"created", FormatTime(scan->created_ms)},
                                 {"created_ms", scan->created_ms}}
                          : Json(nullptr);
    doc["summary"] = {{"segments", scan->segments.size()},
                      {"records", scan->records.size()},
                      {"commit", commits},
                      {"end", ends},
                      {"heuristic", heuristics},
                      {"saga", sagas}};
    doc["torn_tail"] =
        scan->torn_tail.has_value() ? Json(*scan->torn_tail) : Json(nullptr);
    if (dump) {
      Json records = Json::array();
      for (const ScannedRecord& r : scan->records) {
        records.push_back(RecordJson(r));
      }
      doc["records"] = std::move(records);
    }
    WriteJson(ctx.out(), doc);
    return static_cast<int>(kExitOk);
  }
  if (scan->has_identity) {
    ctx.out() << "identity: node " << scan->node_id << ", created "
              << FormatTime(scan->created_ms) << "\n";
  } else {
    ctx.out() << "identity: none (no xatm-log.id; commands refuse the log)\n";
  }
  if (dump) {
    for (const ScannedRecord& r : scan->records) PrintRecord(ctx.out(), r);
  }
  ctx.out() << "decision log " << dir << ": " << scan->segments.size()
            << " segment(s), " << scan->records.size() << " record(s) ("
            << commits << " commit, " << ends << " end, " << heuristics
            << " heuristic, " << sagas << " saga)\n";
  if (scan->torn_tail.has_value()) {
    ctx.out() << "torn tail (ignored): " << *scan->torn_tail << "\n";
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
  AddJsonOption(spec);
  return RunCommand(invocation, spec, [](CommandContext& ctx) {
    const std::string* action = ctx.Option("action");
    if (action == nullptr || (*action != "verify" && *action != "dump")) {
      return ctx.Fail(kExitUsage, "expected 'log verify' or 'log dump'");
    }
    const bool dump = *action == "dump";
    return ctx.config().file_store() ? FileLog(ctx, dump) : StoreLog(ctx, dump);
  });
}

}  // namespace

Command LogCommand() {
  return {"log", "Verify or dump the decision log", &Run};
}

}  // namespace xatm
