// The tests' own view of a database decision store: the row of
// xatm_decisions for a gtrid, read and written with plain SQL (not through
// DatabaseDecisionLog, so a bug there cannot hide from the checks).
#pragma once

#include <optional>
#include <string>

#include "tests/crash/bank_view.h"
#include "xatm/status.h"

namespace xatm::crash {

struct DecisionRow {
  std::string outcome;  // "commit" or "abort"
  bool ended = false;   // recovery marked every branch finished
};

// The committed row of `gtrid` in the table of resource `store` ("pg" or
// "my"), or nullopt when there is none.
Result<std::optional<DecisionRow>> ReadDecisionRow(BankView& bank,
                                                   const std::string& store,
                                                   const std::string& gtrid);

// Inserts (and commits) an abort row for `gtrid` of `node`, as recovery's
// fence would.
Status InsertAbortRow(BankView& bank, const std::string& store,
                      const std::string& gtrid, const std::string& node);

// How many COMMIT rows of `node` are not yet ended (recovery has not
// confirmed every branch), and how many rows of `node` record a heuristic
// outcome (a detail).
struct NodeDecisions {
  int open_commits = 0;
  int heuristics = 0;
};
Result<NodeDecisions> CountNodeDecisions(BankView& bank,
                                         const std::string& store,
                                         const std::string& node);

// "commit", "commit (ended)", "abort" or "no row": for messages.
std::string Describe(const std::optional<DecisionRow>& row);

}  // namespace xatm::crash
