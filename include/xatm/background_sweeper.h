/// @file
/// Runs the sweeper at start-up and then every `interval_ms` on a thread of
/// its own, for applications that link the library. With a database
/// decision store the node also announces itself (NodeHeartbeat): other
/// nodes take it over only once it is silent for takeover_after, and a
/// second running process with its node id is refused.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "xatm/node_heartbeat.h"
#include "xatm/sweeper.h"

namespace xatm {

/// The sweeper on a thread of its own (see xatm/background_sweeper.h).
/// Start() and Stop() must not run at the same time (call them where the
/// application starts and stops); status() and sweeper() may be used from
/// any thread.
class BackgroundSweeper {
 public:
  /// REQUIRES: `manager` outlives this object.
  BackgroundSweeper(TransactionManager* manager, SweeperOptions options,
                    int64_t interval_ms, int64_t heartbeat_interval_ms = 5000);
  ~BackgroundSweeper();  ///< Calls Stop().

  /// First refuses (InvalidArgument) a manager whose decision deadline is
  /// above half of the grace period (CheckDecisionDeadline), and any
  /// resource CheckResources cannot use (a wrong password, a server down):
  /// nothing is started then, and Start() may be called again.
  /// With a database decision store, then claims the node id and starts
  /// the heartbeat (NodeHeartbeat::Start's errors: another live process
  /// holds the node id, the store cannot be asked). Then sweeps once on the
  /// calling thread (start-up recovery) and starts the periodic thread.
  /// Returns the start-up sweep's result. FailedPrecondition once status()
  /// is not OK.
  Result<SweepResult> Start();
  /// Wakes the thread and joins it, and stops the heartbeat. Idempotent.
  void Stop();

  /// The sweeper the thread runs (say for a pass on demand: SweepOnce is
  /// thread-safe).
  Sweeper& sweeper() { return sweeper_; }
  /// nullptr without a database decision store, or when not started.
  /// Not thread-safe against Start() and Stop().
  const NodeHeartbeat* heartbeat() const { return heartbeat_.get(); }
  /// FailedPrecondition once another process took the node id (this one
  /// was silent, say stopped, past takeover_after): the periodic thread
  /// has stopped, and no sweep acts in the node's name any more.
  Status status() const;

 private:
  void Loop();
  // `options` asking the heartbeat whether the node id is still held.
  SweeperOptions WithNodeHealth(SweeperOptions options);

  TransactionManager* manager_;
  Sweeper sweeper_;
  int64_t interval_ms_;
  Status settings_;  // CheckDecisionDeadline's answer
  NodeHeartbeatOptions heartbeat_options_;
  mutable std::mutex heartbeat_mu_;  // heartbeat_ against the sweeps
  std::unique_ptr<NodeHeartbeat> heartbeat_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace xatm
