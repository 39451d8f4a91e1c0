/// @file
/// Where sagas are recorded: the decision store the node already uses.
/// A node's file log keeps them as SAGA records beside its decisions (group
/// commit, checkpoints and replay alike); a database store keeps them in the
/// table xatm_sagas (sql/sagas-*.sql) of its resource, shared by every node.
///
/// The fence: a record names the node driving the saga, and every Save is
/// conditional on it. Claim moves a saga to another node (takeover) only
/// from the node it names, so two takers never drive one saga, and the old
/// driver's next Save fails (FailedPrecondition) and it stops.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "xatm/decision_log.h"
#include "xatm/saga_record.h"
#include "xatm/status.h"

namespace xatm {

/// The records of sagas in a decision store (see xatm/saga_journal.h). Made by
/// For; thread-safe (a SagaManager drives several sagas at once).
class SagaJournal {
 public:
  /// The journal of the decision store `log` (file or memory log: its SAGA
  /// records; database store: its resource's xatm_sagas table). `log`
  /// outlives the journal.
  static Result<std::unique_ptr<SagaJournal>> For(DecisionLog& log);

  virtual ~SagaJournal() = default;

  /// Records `record` as the saga's state. forced: durable on OK (what the
  /// record announces may happen next); unforced: may be lost by a crash,
  /// so only for what recovery can learn again (a step's barrier row, a
  /// final phase). FailedPrecondition when the saga is now driven by
  /// another node than record.node (the caller must stop), or the store has
  /// failed. A final phase closes the saga: Unfinished no longer lists it,
  /// Find still does until pruned.
  virtual Status Save(const SagaRecord& record, bool forced) = 0;

  /// Whether a new saga's first record may be saved unforced and made
  /// durable by Flush just before its first step commits (a log's group
  /// commit then overlaps the step's own round trips).
  virtual bool defers_durability() const { return false; }
  /// Makes every record saved so far durable.
  virtual Status Flush() { return Status::Ok(); }

  /// Sagas not in a final phase (for a shared store: every node's), oldest
  /// first; or why they could not be read.
  virtual Result<std::vector<SagaRecord>> Unfinished() const = 0;

  /// The saga's latest record, also a final one not yet pruned.
  virtual Result<std::optional<SagaRecord>> Find(
      const std::string& id) const = 0;

  /// Makes `to_node` the saga's driver if `from_node` still is: true = it is
  /// now (the returned record says so), false = someone else got there
  /// first. FailedPrecondition for a store that is not shared.
  virtual Result<bool> Claim(const std::string& id,
                             const std::string& from_node,
                             const std::string& to_node) = 0;

  /// Deletes final records older than `retention_s` seconds. A file log
  /// drops them at its next checkpoint anyway: the default does nothing.
  virtual Status Prune(int64_t retention_s) {
    (void)retention_s;
    return Status::Ok();
  }

  /// Whether every node's sagas are here (takeover possible).
  virtual bool shared() const { return false; }
};

}  // namespace xatm
