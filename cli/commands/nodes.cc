// xatm nodes
#include <algorithm>
#include <map>

#include "cli/command_line.h"
#include "cli/commands/commands.h"
#include "cli/commands/recovery_output.h"
#include "cli/json_output.h"
#include "cli/manager.h"
#include "xatm/node_heartbeat.h"
#include "xatm/node_registry.h"
#include "xatm/own_branches.h"
#include "xatm/saga_journal.h"

namespace xatm {
namespace {

// A node shown: its row, if it has one, and its prepared branches.
struct NodeLine {
  std::optional<NodeRecord> row;
  int64_t prepared = 0;
  int64_t sagas = 0;  // unfinished sagas it drives
};

// Silent: no longer alive by the rule a starting node applies (with
// takeover off, the heartbeat's default window).
int64_t SilentAfterMs(const Config& config) {
  return HeartbeatOptionsFor(config.heartbeat_interval_ms,
                             config.takeover_after_ms)
      .alive_within_ms;
}

std::string State(const NodeLine& line, int64_t silent_after_ms) {
  if (!line.row.has_value()) return "no-heartbeat";
  return line.row->age_ms < silent_after_ms ? "alive" : "silent";
}

// {"nodes": [{"node", "host", "pid", "last_heartbeat", "age_ms", "state",
//   "taken_over", "prepared", "sagas"}], "unreachable": [{"resource",
//   "error"}],
//  "takeover_after_ms"}
Json NodesJson(const std::map<std::string, NodeLine>& lines,
               const std::vector<ResourceFailure>& unreachable,
               const Config& config) {
  Json nodes = Json::array();
  for (const auto& [node, line] : lines) {
    const std::string state = State(line, SilentAfterMs(config));
    Json j = {{"node", node}};
    if (line.row.has_value()) {
      j["host"] = line.row->host;
      j["pid"] = line.row->pid;
      j["last_heartbeat"] = FormatAge(line.row->age_ms) + " ago";
      j["age_ms"] = line.row->age_ms;
    } else {
      j["host"] = nullptr;
      j["pid"] = nullptr;
      j["last_heartbeat"] = nullptr;
      j["age_ms"] = nullptr;
    }
    j["state"] = state;
    j["taken_over"] = state == "silent" && config.takeover_after_ms > 0;
    j["prepared"] = line.prepared;
    j["sagas"] = line.sagas;
    nodes.push_back(std::move(j));
  }
  Json failed = Json::array();
  for (const ResourceFailure& f : unreachable) {
    failed.push_back({{"resource", f.resource}, {"error", f.status.message()}});
  }
  return {{"nodes", std::move(nodes)},
          {"unreachable", std::move(failed)},
          {"takeover_after_ms", config.takeover_after_ms}};
}

void WriteTable(std::ostream& out, const std::map<std::string, NodeLine>& lines,
                const std::vector<ResourceFailure>& unreachable,
                const Config& config) {
  std::vector<std::vector<std::string>> rows = {
      {"NODE", "HOST", "PID", "LAST HEARTBEAT", "STATE", "PREPARED", "SAGAS"}};
  for (const auto& [node, line] : lines) {
    std::string state = State(line, SilentAfterMs(config));
    if (state == "silent" && config.takeover_after_ms > 0) {
      state = "silent (taken over)";
    }
    rows.push_back({node, line.row ? line.row->host : "-",
                    line.row ? std::to_string(line.row->pid) : "-",
                    line.row ? FormatAge(line.row->age_ms) + " ago" : "never",
                    state, std::to_string(line.prepared),
                    std::to_string(line.sagas)});
  }
  std::vector<size_t> width(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  for (const auto& row : rows) {
    std::string text;
    for (size_t i = 0; i < row.size(); ++i) {
      text += row[i];
      if (i + 1 < row.size())
        text += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out << text << "\n";
  }
  for (const ResourceFailure& f : unreachable) {
    out << "unreachable " << f.resource << ": " << f.status.message()
        << " (prepared counts leave it out)\n";
  }
}

int Run(const Invocation& invocation) {
  CommandSpec spec(
      "nodes",
      "Lists the nodes that share the database decision_store: each node's\n"
      "host, pid and last heartbeat (from the table xatm_nodes, by the\n"
      "database's clock), its state (alive; silent once its heartbeat is\n"
      "older than takeover_after, when the other nodes take it over; or\n"
      "no-heartbeat for a node that only has prepared branches) and how\n"
      "many prepared branches it owns in the configured databases and how\n"
      "many unfinished sagas it drives (in the table xatm_sagas).\n"
      "Changes nothing. Exit 0, 1 on error (the store or a database\n"
      "unreachable), 2 for bad usage (decision_store = file).");
  AddJsonOption(spec);
  return RunCommand(invocation, spec, [](CommandContext& ctx) {
    if (ctx.config().file_store()) {
      return ctx.Fail(kExitUsage,
                      "nodes needs a database decision_store: with "
                      "decision_store = file a node is alone");
    }
    Result<std::unique_ptr<TransactionManager>> tm =
        OpenCommandManager(ctx.config());
    if (!tm.ok()) {
      return ctx.Fail(kExitFailed, "cannot open the decision store: " +
                                       tm.status().ToString());
    }
    Result<std::unique_ptr<NodeRegistry>> registry =
        NodeRegistry::Open(*(*tm)->log().store_resource());
    Result<std::vector<NodeRecord>> rows =
        registry.ok() ? (*registry)->List()
                      : Result<std::vector<NodeRecord>>(registry.status());
    if (!rows.ok()) {
      return ctx.Fail(
          kExitFailed,
          rows.status().ToString() + " (run `xatm init` to create the table)");
    }
    std::map<std::string, NodeLine> lines;
    for (NodeRecord& row : *rows) lines[row.node].row = std::move(row);
    OwnBranches prepared =
        ListBranchesOf(**tm, nullptr, [](const std::string&) { return true; });
    for (const OwnBranch& b : prepared.branches) {
      ++lines[b.branch.id.xid.node].prepared;
    }
    Result<std::unique_ptr<SagaJournal>> journal =
        SagaJournal::For((*tm)->log());
    Result<std::vector<SagaRecord>> sagas =
        journal.ok() ? (*journal)->Unfinished()
                     : Result<std::vector<SagaRecord>>(journal.status());
    if (!sagas.ok()) {
      return ctx.Fail(kExitFailed, "sagas: " + sagas.status().ToString());
    }
    for (const SagaRecord& r : *sagas) ++lines[r.node].sagas;
    if (!ctx.json()) {
      WriteTable(ctx.out(), lines, prepared.failed, ctx.config());
    }
    std::string why;
    for (const ResourceFailure& f : prepared.failed) {
      why += (why.empty() ? "" : ", ") + f.resource;
    }
    return ctx.Finish(prepared.failed.empty() ? kExitOk : kExitFailed,
                      "unreachable: " + why + " (prepared counts leave it out)",
                      NodesJson(lines, prepared.failed, ctx.config()));
  });
}

}  // namespace

Command NodesCommand() {
  return {"nodes", "List the nodes sharing the decision store", &Run};
}

}  // namespace xatm
