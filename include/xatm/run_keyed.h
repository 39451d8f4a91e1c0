/// @file
/// Running one request as a global transaction at most once per idempotency
/// key: the seam both the transfer command and applications use.
///
/// @code{.cpp}
///   IdempotencyKey key{"order-1234", "pay 42 -> 7 10.00"};
///   Result<KeyedOutcome> r = RunKeyed(tm, key, [&](KeyedTransaction& txn) {
///     Result<Branch*> pg = txn.Enlist("pg");  // claims the key in pg first
///     if (!pg.ok()) return pg.status();
///     ...
///     return Status::Ok();
///   });
///   if (!r.ok()) ...          // InvalidArgument: bad key, or the key was used
///                             // for another request; nothing changed
///   r->gtrid, r->status       // of this run, or of the original (replayed)
/// @endcode
///
/// A key already committed runs nothing and answers the original's gtrid and
/// outcome (replayed = true). A key still held by a transaction in progress
/// or prepared (a crash before its outcome was settled) is waited for up to
/// the resources' lock wait limit; then the answer is InDoubt and nothing
/// ran: retrying later with the same key is safe, always.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "xatm/idempotency_key.h"
#include "xatm/keyed_transaction.h"
#include "xatm/status.h"
#include "xatm/transaction_manager.h"

namespace xatm {

/// The answer of RunKeyed (and LookupKey): which transaction holds the key
/// and how it ended.
struct KeyedOutcome {
  /// The transaction that ran now or, replayed, the one that holds the key;
  /// empty when the holder is not known (still in progress or prepared).
  std::string gtrid;
  /// OK: committed everywhere. Aborted: rolled back, nothing changed.
  /// InDoubt: committed but not finished (recovery finishes it), or the key
  ///   is held by a transaction whose outcome is not settled yet; nothing
  ///   ran now either way. UnknownOutcome: as Transaction::Commit.
  Status status;
  /// The key had been used: nothing ran now; gtrid and status are the
  /// original transaction's.
  bool replayed = false;
};

/// The work of the request inside `txn`: enlist through txn.Enlist, return
/// OK to commit, anything else to roll back (that status is the outcome's).
using KeyedWork = std::function<Status(KeyedTransaction& txn)>;

/// Runs `work` once in a new transaction. With `key`: first reads the key in
/// every resource (a committed claim: replayed, or InvalidArgument "key K
/// was used for another request" when the fingerprint differs, nothing
/// attempted), then claims it in every branch the work enlists.
/// InvalidArgument for a malformed key; FailedPrecondition when the manager
/// refuses new transactions. Thread-safe: any number of threads may run
/// requests at once, with the same key or different ones.
Result<KeyedOutcome> RunKeyed(TransactionManager& manager,
                              const std::optional<IdempotencyKey>& key,
                              const KeyedWork& work);

/// The committed claim of `key` in any resource of `manager`, checked
/// against `fingerprint`: nullopt when none; InvalidArgument when another
/// request holds it; otherwise the original's gtrid and its outcome now (OK,
/// or InDoubt while a branch of it is still prepared or cannot be checked).
Result<std::optional<KeyedOutcome>> LookupKey(TransactionManager& manager,
                                              const IdempotencyKey& key);

}  // namespace xatm
