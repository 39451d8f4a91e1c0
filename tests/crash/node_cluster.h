// The node processes of a takeover test: each an `xatm_node_process` with a
// node id and config of its own (TestNode), all moving money between the
// same accounts. The cluster keeps reading every child's output (a full
// pipe would stall a node), notices deaths (waitpid), and parses the
// outcome lines the nodes print.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cli/bank/account_ref.h"
#include "tests/crash/child_process.h"
#include "tests/crash/test_node.h"

namespace xatm::crash {

// Path compiled in by tests/crash/CMakeLists.txt.
const std::string& NodeProcessBinary();

// What one node printed, by outcome word (acked, decided, aborted, unknown).
struct NodeOutcomes {
  std::map<std::string, std::set<std::string>> gtrids;  // word -> gtrids
  int lines = 0;
};
NodeOutcomes ParseOutcomes(const std::string& stdout_text);

class NodeCluster {
 public:
  using Clock = std::chrono::steady_clock;

  struct Member {
    std::unique_ptr<TestNode> node;
    std::unique_ptr<Child> child;
    bool ended = false;
    Clock::time_point ended_at;  // when the cluster noticed the end
    ChildExit exit;              // valid once ended
  };

  // Every node gets `settings` (its own id, config and `xatm init`) and
  // `top_lines` at the top of its config (takeover_after...).
  NodeCluster(NodeSettings settings, std::string top_lines)
      : settings_(std::move(settings)), top_lines_(std::move(top_lines)) {}
  // Kills (SIGCONT first, then SIGKILL) whatever still runs.
  ~NodeCluster();

  // Starts a node doing transfers on `accounts` with `args` added (e.g.
  // {"--threads", "3"}) and `env` (crash points); waits until its sweeper
  // has started. The index of the new member; -1 (and a test failure) when
  // it did not start.
  int Start(const std::string& tag, const std::vector<AccountRef>& accounts,
            const std::vector<std::string>& args,
            const std::map<std::string, std::string>& env = {});

  Member& operator[](int i) { return members_[static_cast<size_t>(i)]; }
  int size() const { return static_cast<int>(members_.size()); }

  // Reads every running child's output for about `ms`, noting ends.
  void Pump(int ms);
  // Pumps until member `i` has ended or `timeout_ms` passed; true if ended.
  bool WaitForEnd(int i, int timeout_ms);
  // Pumps for `ms`.
  void PumpFor(int ms);
  // Sends `signal` to member `i` while it runs (its pid is still its own).
  void Signal(int i, int signal);
  // SIGTERM to every running member, then waits for each (up to
  // `timeout_ms` in all, then SIGKILL).
  void StopAll(int timeout_ms);

 private:
  void NoteEnd(Member& m);

  NodeSettings settings_;
  std::string top_lines_;
  std::vector<Member> members_;
};

}  // namespace xatm::crash
