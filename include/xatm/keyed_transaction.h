/// @file
/// A global transaction that claims an idempotency key in every branch it
/// enlists: the claim is the branch's first statement, so the key commits
/// or rolls back with the branch's work, and the databases' primary keys,
/// not a read before the write, keep a second transaction with the same key
/// from committing.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>

#include "xatm/idempotency_key.h"
#include "xatm/transaction.h"
#include "xatm/transaction_manager.h"

namespace xatm {

/// A Transaction whose Enlist also claims an idempotency key in the branch
/// (ClaimKeyInBranch). Made by RunKeyed, which also commits it. Used by one
/// thread at a time, like the Transaction it wraps.
class KeyedTransaction {
 public:
  /// How the claims went so far.
  enum class Claim {
    kClaimed,  ///< every branch enlisted so far holds the key (or no key)
    kTaken,    ///< a branch found a committed claim of the key
    kFailed,   ///< a claim failed (a lock wait limit, a lost connection...)
  };

  /// Wraps `transaction`, begun on `manager`, which outlives this object.
  /// `key` nullopt: a plain transaction, Enlist claims nothing.
  KeyedTransaction(TransactionManager& manager,
                   std::unique_ptr<Transaction> transaction,
                   std::optional<IdempotencyKey> key);

  /// The branch on `resource`, with the key claimed in it on first use.
  /// AlreadyExists when the key was already used (claim() == kTaken); the
  /// claim's error when it failed (claim() == kFailed). Either way the
  /// transaction must be rolled back.
  Result<Branch*> Enlist(const std::string& resource);

  /// The wrapped transaction (to commit it, or roll it back).
  Transaction& transaction() { return *transaction_; }
  /// The transaction's gtrid.
  const std::string& gtrid() const { return transaction_->gtrid(); }
  /// How the claims went so far.
  Claim claim() const { return claim_; }
  /// Why the claim failed (claim() == kFailed).
  const Status& claim_error() const { return claim_error_; }

 private:
  TransactionManager& manager_;
  std::unique_ptr<Transaction> transaction_;
  std::optional<IdempotencyKey> key_;
  std::set<std::string> claimed_in_;
  Claim claim_ = Claim::kClaimed;
  Status claim_error_;
};

}  // namespace xatm
