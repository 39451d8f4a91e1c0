/// @file
/// A long-running node's presence in the shared decision store: claims the
/// node id in the table xatm_nodes (NodeRegistry) and refreshes it every
/// `interval_ms` on a thread of its own, so other nodes take this one over
/// only once it is silent. BackgroundSweeper and `xatm serve` run one.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "xatm/node_registry.h"
#include "xatm/status.h"
#include "xatm/transaction_manager.h"

namespace xatm {

/// How often a NodeHeartbeat beats, and how long a beat holds the node id.
struct NodeHeartbeatOptions {
  int64_t interval_ms = 5000;  ///< between two beats
  /// A row of another process that beat more recently than this holds the
  /// node id (the other nodes' takeover_after: they consider it alive).
  int64_t alive_within_ms = 30000;
};

/// The options of a node beating every `interval_ms` whose sweepers take
/// over nodes silent for `takeover_after_ms`: alive for this node exactly as
/// long as the others leave a node alone (0, takeover off: the default).
NodeHeartbeatOptions HeartbeatOptionsFor(int64_t interval_ms,
                                         int64_t takeover_after_ms);

/// A node's heartbeat thread (see xatm/node_heartbeat.h). Made by Start; the
/// destructor stops it.
class NodeHeartbeat {
 public:
  /// Claims manager->node_id() in the table of manager->log()'s shared store
  /// and starts beating. FailedPrecondition when the log is not a shared
  /// store, or when another live process holds the node id (its host, pid
  /// and last heartbeat named), or a running heartbeat of this process; a
  /// holder proven dead by its instance token (this machine's boot, pid
  /// namespace, pid and start time: see recovery/process_identity.h) is
  /// replaced at once (a restart after a crash), any other one only once
  /// silent for alive_within. Unavailable when the store cannot be asked.
  /// REQUIRES: `manager` outlives this object.
  static Result<std::unique_ptr<NodeHeartbeat>> Start(
      TransactionManager* manager, NodeHeartbeatOptions options);
  ~NodeHeartbeat();  ///< Calls Stop().
  NodeHeartbeat(const NodeHeartbeat&) = delete;
  NodeHeartbeat& operator=(const NodeHeartbeat&) = delete;

  /// Stops beating (the row stays and goes silent). Idempotent.
  void Stop();
  /// FailedPrecondition once another process has taken the node id (this
  /// one was silent past takeover_after, and a new process started with
  /// its id; the new holder named); beating stops then, for good.
  /// Unavailable while no beat has confirmed the id for three quarters of
  /// alive_within (a stopped process that just resumed, a store out of
  /// reach): nothing may be decided in the node's name then. Thread-safe.
  Status health() const;
  /// This process's row: node id, instance token, host and pid.
  const NodeRecord& self() const { return self_; }

 private:
  NodeHeartbeat(std::unique_ptr<NodeRegistry> registry, NodeRecord self,
                NodeHeartbeatOptions options);
  void Loop();
  // One beat; false when the node id is lost for good.
  bool BeatOnce();
  // A beat that could not be made (the store unreachable): keep trying.
  bool Failed(const Status& status);
  // A beat begun at `since_ms` (steady clock) found the row ours.
  void Confirm(int64_t since_ms);

  std::unique_ptr<NodeRegistry> registry_;
  const NodeRecord self_;
  const NodeHeartbeatOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;     // guarded by mu_
  Status health_;             // guarded by mu_
  int64_t confirmed_ms_ = 0;  // guarded by mu_
  bool failing_ = false;      // the last beat failed (loop thread only)
  std::thread thread_;
};

}  // namespace xatm
