// Moving money between two accounts as one global transaction.
//
//   Result<TransferResult> r = Transfer(tm, from, to, amount);
//   if (!r.ok()) ...            // nothing began (bad arguments, log failed)
//   r->status                   // OK | Aborted | InDoubt, see below
//
// Both accounts are touched in canonical (resource, id) order, so two
// transfers in opposite directions queue on the same first row instead of
// deadlocking across two databases (which neither database could detect);
// the resources' lock wait limit (ResourceConfig::lock_timeout_ms, set on
// every connection) is the safety net. Each account side writes a ledger
// row inside its branch, the proof afterwards that the branch committed.
// Accounts in one database make one branch: one-phase commit.
//
// With an idempotency key (include/xatm/run_keyed.h) the transfer runs at
// most once per key: the key is claimed in each branch before its work, and
// a retry of a committed transfer moves nothing and answers the original.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/bank/account_ref.h"
#include "cli/bank/amount.h"
#include "xatm/resource.h"
#include "xatm/status.h"
#include "xatm/transaction_manager.h"

namespace xatm {

// One account's part of a transfer.
struct TransferSide {
  AccountRef account;
  Amount delta;  // negative for the debit
};

// The debit of `from` and the credit of `to`, in canonical order.
std::vector<TransferSide> TransferSides(const AccountRef& from,
                                        const AccountRef& to,
                                        const Amount& amount);

// The statements of one side, inside `branch` (the same SQL whether the
// branch belongs to a global transaction or is a local one): the balance
// update - for a debit with the funds check in the UPDATE itself - and the
// ledger row naming `gtrid`. The ledger row is deferred
// (Branch::ExecuteDeferred): if it fails, the branch votes no. OK, or
// Aborted with the reason ("insufficient funds in pg:alice", "unknown
// account my:bob", "debit on pg:alice failed: ...").
Status RunTransferSide(Branch& branch, const std::string& gtrid,
                       const TransferSide& side);

// What a transfer request is, for its idempotency key: the same accounts
// and amount always give the same text ("transfer pg:a -> my:b 7.25").
std::string TransferFingerprint(const AccountRef& from, const AccountRef& to,
                                const Amount& amount);

struct TransferResult {
  // The transfer's transaction; with a key already used, the original's;
  // empty when the key is held by a transaction not finished yet.
  std::string gtrid;
  // OK: committed in every branch.
  // Aborted: rolled back everywhere, nothing changed; the message says why
  //   ("insufficient funds in pg:alice", "unknown account my:bob", a no
  //   vote, a database that could not be reached before the decision).
  // InDoubt: the commit decision is durable but some branch is not yet
  //   committed (recovery finishes it), or a one-phase commit's outcome is
  //   unknown. Never retry an in-doubt transfer (with a key: retrying
  //   with the same key is safe; also when the key is held by another
  //   transaction not finished yet, which is InDoubt too).
  // UnknownOutcome: see Transaction::Commit.
  Status status;
  // The key had been used: nothing moved now; gtrid and status are the
  // original transfer's.
  bool replayed = false;
  // "2pc" or "saga".
  std::string protocol = "2pc";
};

// InvalidArgument when no transfer may be attempted: amount not positive,
// the same account on both sides, a resource the manager does not know.
Status CheckTransferRequest(const TransactionManager& tm,
                            const AccountRef& from, const AccountRef& to,
                            const Amount& amount);

// Moves `amount` from `from` to `to`. InvalidArgument when no transaction
// was attempted: amount not positive, the same account on both sides, a
// resource the manager does not know. FailedPrecondition when the manager
// refuses new transactions (failed decision log). Otherwise a TransferResult.
// With `key`: also InvalidArgument for a malformed key, or a key used for
// another transfer (nothing moved).
Result<TransferResult> Transfer(
    TransactionManager& tm, const AccountRef& from, const AccountRef& to,
    const Amount& amount, const std::optional<std::string>& key = std::nullopt);

}  // namespace xatm
