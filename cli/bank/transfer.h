// Moving money between two accounts as one global transaction.
//
//   Result<TransferResult> r = Transfer(tm, from, to, amount);
//   if (!r.ok()) ...            // nothing began (bad arguments, log failed)
//   r->status                   // OK | Aborted | InDoubt, see below
//
// Both accounts are touched in canonical (resource, id) order, so two
// transfers in opposite directions queue on the same first row instead of
// deadlocking across two databases (which neither database could detect);
// a lock wait limit per branch is the safety net. Each account leg writes a
// ledger row inside its branch, the proof afterwards that the branch
// committed. Accounts in one database make one branch: one-phase commit.
#pragma once

#include <string>

#include "cli/bank/account_ref.h"
#include "cli/bank/amount.h"
#include "tm/status.h"
#include "tm/transaction_manager.h"

namespace xatm {

// Seconds a branch waits for a row lock before its statement fails.
inline constexpr int kTransferLockTimeoutSeconds = 5;

struct TransferResult {
  std::string gtrid;
  // OK: committed in every branch.
  // Aborted: rolled back everywhere, nothing changed; the message says why
  //   ("insufficient funds in pg:alice", "unknown account my:bob", a no
  //   vote, a database that could not be reached before the decision).
  // InDoubt: the commit decision is durable but some branch is not yet
  //   committed (recovery finishes it), or a one-phase commit's outcome is
  //   unknown. Never retry an in-doubt transfer.
  Status status;
};

// Moves `amount` from `from` to `to`. InvalidArgument when no transaction
// was attempted: amount not positive, the same account on both sides, a
// resource the manager does not know. FailedPrecondition when the manager
// refuses new transactions (failed decision log). Otherwise a TransferResult.
Result<TransferResult> Transfer(TransactionManager& tm, const AccountRef& from,
                                const AccountRef& to, const Amount& amount);

}  // namespace xatm
