/// @file
/// The barrier table xatm_saga_barrier in a participant database
/// (sql/saga-barrier-*.sql): one row per (saga, step, operation), inserted
/// in the same local transaction as the step's own statements, so that the
/// database itself decides what runs:
/// - an action runs at most once (a second insert finds the row);
/// - a compensation of an action that never ran inserts the action's row
///   first, does nothing else, and that row stops the action for good;
/// - an action arriving after its compensation finds its row and does
///   nothing.
/// A row being inserted by another transaction is waited for (up to the
/// resource's lock wait limit), so two drivers of one step never both run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "xatm/resource.h"
#include "xatm/status.h"

namespace xatm {

/// Which side of a step a barrier row stands for: `kAction` or
/// `kCompensation`.
enum class BarrierOp { kAction, kCompensation };
/// "action" or "compensation": the op column of the barrier table.
const char* BarrierOpName(BarrierOp op);  // "action", "compensation"

/// Creates the table if it does not exist (`xatm init` does, in every
/// resource).
Status CreateSagaBarrierTable(Resource& resource);

/// Inside `branch` (a local transaction on a resource of `resource_type`):
/// inserts the row (saga_id, step, op) unless one exists. true = inserted
/// now (commits or rolls back with the branch), false = a committed row
/// was there. An error leaves the branch to be rolled back.
Result<bool> InsertBarrier(Branch& branch, const std::string& resource_type,
                           const std::string& saga_id, const std::string& step,
                           BarrierOp op);

/// The same, held back to travel with the branch's next statement or commit
/// (Branch::ExecuteDeferred), for the case it is expected to insert: a row
/// that exists fails the branch (it votes no, or its commit rolls back)
/// like any error, and the caller must find out which it was.
Status InsertBarrierDeferred(Branch& branch, const std::string& resource_type,
                             const std::string& saga_id,
                             const std::string& step, BarrierOp op);

/// One committed barrier row of a saga: (step, op).
struct BarrierRow {
  std::string step;  ///< the step's name (kXaGroupStep for the XA group)
  BarrierOp op = BarrierOp::kAction;  ///< which side of the step
};
/// The committed rows of one saga in `resource`: (step, op) pairs, for
/// tests and `xatm` output.
Result<std::vector<BarrierRow>> ReadBarriers(Resource& resource,
                                             const std::string& saga_id);

/// Deletes rows older than `retention_s` seconds (database clock, UTC) whose
/// saga id starts with `id_prefix` (a node's "xatm:NODE:"; "" = any), except
/// those of the sagas in `keep` (unfinished ones: their rows still guard
/// them). InvalidArgument for retention_s <= 0.
Status PruneSagaBarriers(Resource& resource, int64_t retention_s,
                         const std::string& id_prefix,
                         const std::vector<std::string>& keep);

}  // namespace xatm
