/// @file
/// The table xatm_idempotency_keys in one resource (sql/keys-*.sql): the
/// statements that create it, claim a key inside a branch and read a
/// committed claim, per dialect.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "xatm/idempotency_key.h"
#include "xatm/resource.h"
#include "xatm/status.h"

namespace xatm {

/// Creates the table if it does not exist (`xatm init` does, in every
/// resource; an application calls it where it provisions a database).
Status CreateKeyTable(Resource& resource);

/// A committed claim of a key.
struct StoredKey {
  std::string gtrid;        ///< the transaction that claimed it
  std::string fingerprint;  ///< IdempotencyKey::fingerprint of its request
};

/// The committed claim of `key` in `resource`, or nullopt. Reads without
/// locking, so a claim still in progress or prepared is not seen.
Result<std::optional<StoredKey>> ReadStoredKey(Resource& resource,
                                               const std::string& key);

/// Deletes the claims of `resource` older than `retention_s` seconds, by the
/// database's clock (UTC), through the index on created_at. A retry with a
/// pruned key is a new request. InvalidArgument for retention_s <= 0.
Status PruneKeys(Resource& resource, int64_t retention_s);

/// Inserts the claim of `key` for `gtrid` inside `branch` (of a resource of
/// type `resource_type`), so it commits or rolls back with the branch. The
/// primary key decides: true = claimed; false = a committed claim exists
/// (an insert of another transaction still in progress or prepared is
/// waited for, up to the resource's lock wait limit, and then either
/// replaced by ours or found committed). An error (a lock wait timeout
/// among them) leaves the branch to be rolled back.
Result<bool> ClaimKeyInBranch(Branch& branch, const std::string& resource_type,
                              const IdempotencyKey& key,
                              const std::string& gtrid);

}  // namespace xatm
