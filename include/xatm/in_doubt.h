/// @file
/// What is in doubt for this node (or, with a shared decision store, for
/// every node) right now: prepared branches with their age and logged
/// decision, and COMMIT decisions not yet ENDed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "xatm/decision_log.h"
#include "xatm/own_branches.h"
#include "xatm/saga_record.h"
#include "xatm/transaction_manager.h"

namespace xatm {

/// A prepared branch of one of the covered nodes, found in a resource.
struct InDoubtBranch {
  std::string gtrid;     ///< its global transaction
  std::string resource;  ///< the resource it is prepared in
  int64_t age_ms = 0;    ///< since its transaction began (from the gtrid)
  bool decided_commit = false;  ///< a COMMIT record is open for it
};

/// Everything ListInDoubt found.
struct InDoubtReport {
  std::vector<InDoubtBranch> branches;         ///< prepared branches
  std::vector<DecisionRecord> open_decisions;  ///< COMMIT without END
  /// Resources whose prepared branches could not be listed: what they
  /// hold is unknown.
  std::vector<ResourceFailure> unreachable;
  /// Sagas not finished (running, left to recovery, or failed to
  /// compensate), oldest first; and why they could not be read, if so.
  std::vector<SagaRecord> sagas;
  std::string sagas_error;  ///< why `sagas` is empty, or ""
};

/// What is in doubt now: asks every resource for its prepared branches
/// (ListOwnBranches), reads the open decisions and the unfinished sagas.
/// Changes nothing. A resource or a saga store that cannot be read is
/// reported in the result (`unreachable`, `sagas_error`), never as a
/// failure of the whole call.
///
/// `all_nodes`: every node's branches, decisions and sagas (meaningful with a
/// shared store, whose table holds them all); otherwise this node's only.
InDoubtReport ListInDoubt(TransactionManager& manager, bool all_nodes = false);

}  // namespace xatm
