/// @file
/// One global transaction. Used by one thread at a time.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "xatm/resource.h"
#include "xatm/status.h"
#include "xatm/xid.h"

namespace xatm {

class TransactionManager;

/// One global transaction, made by TransactionManager::Begin(): enlist
/// branches, work in them, then Commit() or Rollback(). Used by one thread
/// at a time (it may be handed to another thread, never called from two at
/// once).
class Transaction {
 public:
  /// Where the transaction stands: `kActive` until Commit() or Rollback()
  /// finished it; then `kCommitted`, `kRolledBack`, or `kInDoubt` (decided
  /// commit, some branch left to recovery, or the outcome unknown).
  enum class State { kActive, kCommitted, kRolledBack, kInDoubt };

  /// Rolls back when neither Commit() nor Rollback() ran.
  ~Transaction();

  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  /// Its global transaction id.
  const Xid& xid() const { return xid_; }
  /// xid().Gtrid(), the id every log line about it carries (`xid=`).
  const std::string& gtrid() const { return gtrid_; }
  /// Where it stands now.
  State state() const { return state_; }

  /// The branch of this transaction on `resource`, started on first use.
  /// NotFound for an unknown resource name. The branch lives as long as the
  /// transaction. A failed Enlist dooms the transaction: Commit() then rolls
  /// every branch back and answers Aborted.
  Result<Branch*> Enlist(const std::string& resource);

  /// Commits every branch: one phase for a single branch, else prepare,
  /// decide, commit. Answers:
  /// - OK: committed in every branch.
  /// - Aborted: rolled back everywhere (a no vote, an error or a timeout
  ///   before the decision); nothing changed.
  /// - InDoubt: the COMMIT decision is durable but some branch is not yet
  ///   committed; recovery finishes it. Never retry the transaction.
  /// - UnknownOutcome: no durable decision settles it and the answer that
  ///   would was lost: the decision log failed while deciding (recovery
  ///   decides from what reached the disk), or a one-phase commit's answer
  ///   was lost and the branch's ledger could not prove it committed.
  /// - FailedPrecondition: the transaction is finished already.
  Status Commit();

  /// Rolls back every branch. Branches that cannot be reached now stay
  /// prepared at worst and are rolled back by the sweeper (presumed abort).
  /// FailedPrecondition when the transaction is finished already.
  Status Rollback();

 private:
  friend class TransactionManager;
  Transaction(TransactionManager* manager, Xid xid);

  Status CommitOnePhase();
  Status CommitTwoPhase();
  // Remembers the first failed Enlist; returns `failure`.
  Status EnlistFailed(Status failure);
  // Prepares every branch; OK only for a yes vote from each.
  Status PrepareAll();
  // Commits every prepared branch; names of those left unfinished go to
  // `unfinished`.
  void CommitAll(std::vector<std::string>* unfinished);
  Status CommitBranch(size_t i);
  // Why the votes came too late to decide, or "" (wall clock, steady clock
  // and the caller's deadline all count: the safe reading wins).
  std::string LateForDecision() const;
  // The branches that changed something: a read-only branch finished at
  // prepare and takes no part in the decision or phase 2.
  std::vector<size_t> WritingBranches() const;
  // Moves the decision store's branch (if enlisted) out of branches_ into
  // carrier_: it is committed in one phase with the decision.
  void SetCarrierAside();
  // Rolls back every branch, carrier_ included.
  Status RollbackAll();
  std::vector<std::string> ResourceNames() const;
  void Finish(State state);
  // Metrics: the outcome and duration of Commit(); a failed resource call.
  void CountCommit(const Status& s,
                   std::chrono::steady_clock::time_point started);
  void CountError(const Resource& resource, const Status& s);

  TransactionManager* manager_;
  Xid xid_;
  std::string gtrid_;
  State state_ = State::kActive;
  bool decided_ = false;   // the COMMIT decision was made durable
  Status enlist_failure_;  // the first failed Enlist, or OK
  std::chrono::steady_clock::time_point started_ =
      std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  struct Enlisted {
    Resource* resource;
    std::unique_ptr<Branch> branch;
  };
  std::vector<Enlisted> branches_;
  std::optional<Enlisted> carrier_;
};

}  // namespace xatm
