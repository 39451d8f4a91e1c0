/// @file
/// The recovery sweeper: resolves this node's in-doubt branches from the
/// decision log and what the databases hold (presumed abort).
///
/// For each prepared branch whose gtrid carries this node's id:
///   running in this process          -> leave it
///   a COMMIT decision is logged      -> commit it
///   no decision, older than grace    -> claim abort (a log presumes it; a
///                                       database store fences), then
///                                       roll it back, or commit it when a
///                                       COMMIT got there first
///   no decision, younger than grace  -> leave it for the next pass
/// Then every COMMIT decision whose branches are all confirmed committed gets
/// its END record; a branch that was rolled back although the decision is
/// commit is a heuristic outcome: recorded, logged at error level, reported,
/// and never blocks the others.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "xatm/node_registry.h"
#include "xatm/own_branches.h"
#include "xatm/saga.h"
#include "xatm/sweep_result.h"
#include "xatm/transaction_manager.h"

namespace xatm {

/// Settings of a Sweeper (and of a BackgroundSweeper's passes).
struct SweeperOptions {
  /// Branches without a decision younger than this are left alone. Must be
  /// well above the manager's decision deadline.
  int64_t grace_period_ms = 10000;
  /// Report what would be done, change nothing.
  bool dry_run = false;
  /// Resolve the branches of every node id, not only this node's: only with
  /// a decision store that every node shares (DecisionLog::shared()).
  bool all_nodes = false;
  /// With such a store, also resolve the branches of every node whose
  /// heartbeat row (xatm_nodes, see node_registry.h) is older than this,
  /// and finish its decisions: it is presumed dead and taken over. The
  /// fence keeps a node that was only slow safe. A node that never
  /// announced itself is not taken over (`xatm recover --all-nodes` does that).
  /// 0: never.
  int64_t takeover_after_ms = 30000;
  /// A resource whose listing failed is skipped for this long, doubling on
  /// each failure up to max_backoff_ms.
  int64_t initial_backoff_ms = 1000;
  int64_t max_backoff_ms = 60000;  ///< the longest skip (see above)
  /// Transactions resolved at the same time: at most this many round trips
  /// in flight per database. A pass with one transaction starts no thread.
  int workers = 8;
  /// Idempotency keys (key_table.h) older than this are deleted from every
  /// resource, at most every 10 minutes; a retry with a pruned key
  /// is a new request. 0: never (a resource without the key table).
  int64_t key_retention_s = 0;
  /// Called after each prepared branch is dealt with (done of total listed
  /// in this pass), from the pass's worker threads, one call at a time.
  std::function<void(size_t done, size_t total)> on_progress;
  /// Whether this process still holds its node id (NodeHeartbeat::health):
  /// asked before each pass and right before each fence, commit, rollback
  /// and decision write. Unavailable ends the pass there (tried again by
  /// the next one); FailedPrecondition, the id taken by another process,
  /// stops the sweeper for good (health()). Unset: always held.
  std::function<Status()> node_health;
  /// The sagas each pass drives on (SagaManager::Resume: this node's, and
  /// those of nodes taken over), with the grace period above; nullptr:
  /// none. Not owned.
  SagaManager* sagas = nullptr;
  /// Finished sagas' records and barrier rows older than this are pruned,
  /// with the keys. 0: never.
  int64_t saga_retention_s = 0;
};

/// The recovery sweeper of one TransactionManager (see xatm/sweeper.h).
/// Applications usually run it through a BackgroundSweeper; `xatm recover`
/// runs one pass.
class Sweeper {
 public:
  /// REQUIRES: `manager` outlives the sweeper.
  Sweeper(TransactionManager* manager, SweeperOptions options);

  /// One pass over every resource. Thread-safe: concurrent calls run one
  /// after the other.
  SweepResult SweepOnce();
  /// FailedPrecondition once node_health said the node id was taken: every
  /// later pass does nothing. Thread-safe.
  Status health() const;

 private:
  struct Backoff {
    int64_t next_try_ms = 0;
    int64_t delay_ms = 0;
  };
  struct Pass;
  struct Txn;
  struct BranchWork;

  bool ShouldSkip(const std::string& resource, int64_t now_ms) const;
  void NoteDown(const std::string& resource, int64_t now_ms);
  void NoteUp(const std::string& resource);

  void ListBranches(Pass& pass);
  // In parallel over transactions (options_.workers), each transaction's
  // branches in listing order on one worker; the events come out in
  // listing order as if resolved one by one.
  void ResolveBranches(Pass& pass);
  void ResolveBranch(BranchWork& work);
  void FinishDecisions(Pass& pass);
  // Drives the unfinished sagas (options_.sagas).
  void SweepSagas(Pass& pass);
  void PruneSagas();

  // A branch whose transaction has no open COMMIT decision.
  enum class Verdict { kCommit, kPresumeAbort, kLater };
  Verdict DecideWithoutOpenDecision(BranchWork& work);
  // Once abort is claimed: whether the transaction committed before the
  // fence after all (the abort is then withdrawn for the commit).
  Verdict CheckAfterClaim(BranchWork& work);
  // The nodes taken over in this pass (silent past takeover_after).
  std::set<std::string> NodesToTakeOver(Pass& pass);
  // Removes the rows of taken-over nodes of which nothing is left (no
  // branch prepared, no open decision), so the table holds live nodes and
  // those with work left; only after a pass that read the store and listed
  // every resource.
  void ForgetSettledNodes(const Pass& pass);
  // Whether branches and decisions of node `node` are this pass's to
  // resolve: this node's, a taken-over node's, or any with all_nodes.
  bool CoversNode(const Pass& pass, const std::string& node) const;
  bool Covers(const Pass& pass, const std::string& gtrid) const;
  // A sibling committed although the log shows no decision: logs a fresh
  // COMMIT naming every branch seen, and says loudly that one was lost.
  void RecordLostDecision(BranchWork& work,
                          const std::vector<std::string>& committed_on);
  void CommitBranch(BranchWork& work);
  // False when the pass may no longer act in the node's name
  // (options_.node_health); the first refusal ends the pass.
  bool MayAct(Pass& pass);
  // MayAct for one branch: a refusal is its event (the caller counts it).
  bool MayAct(BranchWork& work);

  TransactionManager* manager_;
  SweeperOptions options_;
  // Keys are pruned at most this often; the first pass prunes.
  static constexpr int64_t kKeyPruneIntervalMs = 10 * 60 * 1000;
  int64_t next_key_prune_ms_ = 0;           // under sweep_mu_
  std::mutex sweep_mu_;                     // one pass at a time
  std::map<std::string, Backoff> backoff_;  // guarded by sweep_mu_
  // The node table of the shared store, when takeover is on.
  std::unique_ptr<NodeRegistry> registry_;
  std::set<std::string> taken_over_;  // guarded by sweep_mu_ (for logs)
  mutable std::mutex health_mu_;
  Status health_;  // guarded by health_mu_
};

}  // namespace xatm
