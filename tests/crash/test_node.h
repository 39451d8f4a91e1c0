// One transaction-manager node of a crash test: a unique node id, a fresh
// temporary directory with its config file and decision log, and ways to run
// the real `xatm` binary (or open the manager in process) on that config.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/crash/child_process.h"
#include "xatm/config.h"
#include "xatm/transaction_manager.h"

namespace xatm::crash {

// Paths compiled in by tests/crash/CMakeLists.txt.
const std::string& XatmBinary();
const std::string& NoVoteBinary();
const std::string& DbScript();

// `tag` (1-3 characters) followed by a random part: unique per process and
// run, so runs on shared servers never touch each other's branches. At most
// 13 characters, leaving room for a suffix.
std::string NewNodeId(const std::string& tag);

// What a node's config holds beyond the resources themselves.
struct NodeSettings {
  int grace_period_s = 10;
  // Lines added to every [resource.NAME] section, e.g.
  // "request_timeout_ms = 2000\n".
  std::string resource_lines;
  // Where COMMIT decisions live: "file" (the node's own log) or a resource,
  // "pg" or "my" (its table xatm_decisions, shared by every node).
  std::string decision_store = "file";
};

class TestNode {
 public:
  // Writes the config for node `node_id`: [resource.pg] and [resource.my]
  // on the test servers, the decision log in a fresh directory (or, with a
  // database decision store, runs `xatm init` so its table exists).
  explicit TestNode(std::string node_id, int grace_period_s = 10);
  TestNode(std::string node_id, const NodeSettings& settings);
  // Rolls back or commits (by a sweep) whatever the node left prepared, so
  // a failed test leaves no locks behind on shared servers; keeps the
  // directory of a failed test for inspection.
  ~TestNode();
  TestNode(const TestNode&) = delete;
  TestNode& operator=(const TestNode&) = delete;

  const std::string& id() const { return id_; }
  const std::string& config_path() const { return config_path_; }
  const std::string& log_dir() const { return log_dir_; }

  // {xatm, --config, FILE, args...}
  std::vector<std::string> XatmCommand(
      const std::vector<std::string>& args) const;
  ChildExit Xatm(const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env = {},
                 int timeout_ms = 60000) const;
  // `xatm recover --grace 0`: one sweep presuming every orphan aborted.
  ChildExit Recover(const std::map<std::string, std::string>& env = {}) const;
  // `xatm recover --grace SECONDS`.
  ChildExit RecoverWithGrace(const std::string& seconds,
                             int timeout_ms = 60000) const;

  // Adds top-level keys (e.g. "takeover_after = 3\n") to the config file.
  void AddTopLevelLines(const std::string& lines) const;

  // The config as the CLI reads it, and a manager opened the way the CLI
  // opens it (holds the log until destroyed).
  Result<Config> LoadedConfig() const;
  Result<std::unique_ptr<TransactionManager>> OpenManager() const;

 private:
  std::string id_;
  std::string dir_;
  std::string config_path_;
  std::string log_dir_;
};

// `xatm init` once per program (idempotent in the databases as well).
void InitSchemaOnce();

}  // namespace xatm::crash
