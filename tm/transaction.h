// One global transaction. Used by one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tm/resource.h"
#include "tm/status.h"
#include "tm/xid.h"

namespace xatm {

class TransactionManager;

class Transaction {
 public:
  enum class State { kActive, kCommitted, kRolledBack, kInDoubt };

  // Rolls back when neither Commit() nor Rollback() ran.
  ~Transaction();

  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  const Xid& xid() const { return xid_; }
  const std::string& gtrid() const { return gtrid_; }
  State state() const { return state_; }

  // The branch of this transaction on `resource`, started on first use.
  // NotFound for an unknown resource name. The branch lives as long as the
  // transaction.
  Result<Branch*> Enlist(const std::string& resource);

  // OK: committed in every branch.
  // Aborted: rolled back everywhere (a no vote, an error before the
  //   decision); nothing changed.
  // InDoubt: the COMMIT decision is durable but some branch is not yet
  //   committed (the sweeper finishes it), or the decision log failed while
  //   deciding (recovery decides from what reached the disk).
  Status Commit();

  // Rolls back every branch. Branches that cannot be reached now stay
  // prepared at worst and are rolled back by the sweeper (presumed abort).
  Status Rollback();

 private:
  friend class TransactionManager;
  Transaction(TransactionManager* manager, Xid xid);

  Status CommitOnePhase();
  Status CommitTwoPhase();
  // Prepares every branch; OK only for a yes vote from each.
  Status PrepareAll();
  // Commits every prepared branch; names of those left unfinished go to
  // `unfinished`.
  void CommitAll(std::vector<std::string>* unfinished);
  Status CommitBranch(size_t i);
  Status RollbackAll();
  std::vector<std::string> ResourceNames() const;
  void Finish(State state);

  TransactionManager* manager_;
  Xid xid_;
  std::string gtrid_;
  State state_ = State::kActive;
  struct Enlisted {
    Resource* resource;
    std::unique_ptr<Branch> branch;
  };
  std::vector<Enlisted> branches_;
};

}  // namespace xatm
