// What is in doubt for this node (or, with a shared decision store, for
// every node) right now: prepared branches with their age and logged
// decision, and COMMIT decisions not yet ENDed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "xatm/decision_log.h"
#include "xatm/own_branches.h"
#include "xatm/saga_record.h"
#include "xatm/transaction_manager.h"

namespace xatm {

struct InDoubtBranch {
  std::string gtrid;
  std::string resource;
  int64_t age_ms = 0;
  bool decided_commit = false;  // a COMMIT record is open for it
};

struct InDoubtReport {
  std::vector<InDoubtBranch> branches;
  std::vector<DecisionRecord> open_decisions;  // COMMIT without END
  std::vector<ResourceFailure> unreachable;
  // Sagas not finished (running, left to recovery, or failed to
  // compensate), oldest first; and why they could not be read, if so.
  std::vector<SagaRecord> sagas;
  std::string sagas_error;
};

// `all_nodes`: every node's branches, decisions and sagas (meaningful with a
// shared store, whose table holds them all); otherwise this node's only.
InDoubtReport ListInDoubt(TransactionManager& manager, bool all_nodes = false);

}  // namespace xatm
