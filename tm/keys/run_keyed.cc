#include "xatm/run_keyed.h"

#include <chrono>
#include <thread>
#include <vector>

#include "tm/names.h"
#include "xatm/key_table.h"
#include "xatm/logging.h"

namespace xatm {
namespace {

// How long a replay waits for the original's phase 2 (another process, or
// another thread, finishing its commit) before answering InDoubt.
constexpr auto kPhaseTwoWait = std::chrono::seconds(1);
constexpr auto kPhaseTwoPoll = std::chrono::milliseconds(50);

// A committed claim means the original decided commit (a branch commits
// only after the decision). OK once no branch of it is left prepared.
Status CommittedOutcome(TransactionManager& manager, const std::string& gtrid) {
  const auto give_up = std::chrono::steady_clock::now() + kPhaseTwoWait;
  while (true) {
    std::vector<std::string> prepared_in;
    std::vector<std::string> unchecked;
    for (const std::shared_ptr<Resource>& r : manager.resources()) {
      Result<std::vector<PreparedBranch>> prepared = r->ListPrepared();
      if (!prepared.ok()) {
        unchecked.push_back(r->name() + " (" + prepared.status().ToString() +
                            ")");
        continue;
      }
      for (const PreparedBranch& b : *prepared) {
        if (b.id.xid.Gtrid() == gtrid) prepared_in.push_back(r->name());
      }
    }
    if (prepared_in.empty() && unchecked.empty()) return Status::Ok();
    if (!unchecked.empty()) {
      return Status::InDoubt(
          "committed, but whether every branch is cannot "
          "be checked now: " +
          JoinNames(unchecked, ", "));
    }
    if (std::chrono::steady_clock::now() >= give_up) {
      return Status::InDoubt("committed, still prepared in " +
                             JoinNames(prepared_in, ", ") +
                             ": recovery finishes it");
    }
    std::this_thread::sleep_for(kPhaseTwoPoll);
  }
}

// LookupKey, where a key that cannot be read is an InDoubt outcome: that
// says nothing of a transaction holding it. A key used for another request
// (InvalidArgument) is a definite answer and stays an error.
Result<std::optional<KeyedOutcome>> LookupOrUnknown(TransactionManager& manager,
                                                    const IdempotencyKey& key) {
  Result<std::optional<KeyedOutcome>> found = LookupKey(manager, key);
  if (found.ok() || found.status().code() == StatusCode::kInvalidArgument) {
    return found;
  }
  KeyedOutcome unknown;
  unknown.status = Status::InDoubt(
      "key " + key.key + " cannot be read now (" + found.status().message() +
      "); nothing ran now: retry later with the same key");
  return std::optional<KeyedOutcome>(unknown);
}

// After the claim did not succeed: what holds the key now.
Result<KeyedOutcome> Settle(TransactionManager& manager,
                            const IdempotencyKey& key,
                            const KeyedTransaction& txn) {
  XATM_ASSIGN_OR_RETURN(std::optional<KeyedOutcome> found,
                        LookupOrUnknown(manager, key));
  if (found.has_value()) return *found;
  KeyedOutcome outcome;
  if (txn.claim() == KeyedTransaction::Claim::kTaken) {
    // A committed claim that no resource shows now: one went away.
    outcome.status = Status::InDoubt(
        "the key was used by a committed transaction that cannot be read "
        "now; nothing ran now: retry later with the same key");
    return outcome;
  }
  // The claim failed: a lock wait limit, a deadlock among waiters, a
  // request timeout while waiting, a connection lost... None of them proves
  // that no other transaction holds the key, nor that one holding it will
  // not commit: "aborted" would invite a retry under a new key that pays
  // twice. Only the same key, later, is safe.
  const std::string why = txn.claim() == KeyedTransaction::Claim::kFailed
                              ? txn.claim_error().message()
                              : "it could not be claimed";
  outcome.status = Status::InDoubt(
      "the key may be held by another transaction still in progress or "
      "prepared (" +
      why +
      "); nothing ran now: retry later with the same key (after recovery "
      "if it was left by a crash)");
  return outcome;
}

}  // namespace

Result<std::optional<KeyedOutcome>> LookupKey(TransactionManager& manager,
                                              const IdempotencyKey& key) {
  std::optional<StoredKey> found;
  for (const std::shared_ptr<Resource>& r : manager.resources()) {
    Result<std::optional<StoredKey>> stored = ReadStoredKey(*r, key.key);
    if (!stored.ok()) {
      if (stored.status().code() == StatusCode::kUnavailable) {
        // The claim in each branch still protects every resource the work
        // writes; this one is asked again by that claim if it is one.
        Logger()->warn("key {}: cannot read it in {}: {}", key.key, r->name(),
                       stored.status().ToString());
        continue;
      }
      return stored.status().WithContext("reading key " + key.key + " in " +
                                         r->name());
    }
    if (!stored->has_value()) continue;
    if ((*stored)->fingerprint != key.fingerprint) {
      return Status::InvalidArgument(
          "key " + key.key +
          " was used for another request: " + (*stored)->fingerprint);
    }
    found = **stored;
  }
  if (!found) return std::optional<KeyedOutcome>();
  KeyedOutcome outcome;
  outcome.gtrid = found->gtrid;
  outcome.status = CommittedOutcome(manager, found->gtrid);
  outcome.replayed = true;
  Logger()->debug("xid={} key {} already used: {}", outcome.gtrid, key.key,
                  outcome.status.ToString());
  return std::optional<KeyedOutcome>(outcome);
}

Result<KeyedOutcome> RunKeyed(TransactionManager& manager,
                              const std::optional<IdempotencyKey>& key,
                              const KeyedWork& work) {
  if (key) {
    XATM_RETURN_IF_ERROR(ValidateIdempotencyKey(*key));
    XATM_ASSIGN_OR_RETURN(std::optional<KeyedOutcome> earlier,
                          LookupOrUnknown(manager, *key));
    if (earlier.has_value()) return *earlier;
  }
  XATM_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> begun, manager.Begin());
  KeyedTransaction txn(manager, std::move(begun), key);
  Status done = work(txn);
  if (txn.claim() != KeyedTransaction::Claim::kClaimed) {
    // Nothing is prepared yet: a branch the rollback cannot reach is
    // rolled back by its database when the connection goes.
    (void)txn.transaction().Rollback();
    return Settle(manager, *key, txn);
  }
  KeyedOutcome outcome;
  outcome.gtrid = txn.gtrid();
  if (!done.ok()) {
    Logger()->debug("xid={} rolling back: {}", outcome.gtrid, done.message());
    (void)txn.transaction().Rollback();
    outcome.status = done;
    return outcome;
  }
  outcome.status = txn.transaction().Commit();
  return outcome;
}

}  // namespace xatm
