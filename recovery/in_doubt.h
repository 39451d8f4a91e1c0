// What is in doubt for this node right now: prepared branches with their age
// and logged decision, and COMMIT decisions not yet ENDed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "recovery/own_branches.h"
#include "tm/decision_log.h"
#include "tm/transaction_manager.h"

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
};

InDoubtReport ListInDoubt(TransactionManager& manager);

}  // namespace xatm
