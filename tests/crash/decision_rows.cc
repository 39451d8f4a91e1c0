#include "tests/crash/decision_rows.h"

namespace xatm::crash {

Result<std::optional<DecisionRow>> ReadDecisionRow(BankView& bank,
                                                   const std::string& store,
                                                   const std::string& gtrid) {
  Result<std::vector<Row>> rows = bank.Get(store).QueryLocal(
      "SELECT outcome, CASE WHEN ended_at IS NULL THEN 0 ELSE 1 END "
      "FROM xatm_decisions WHERE gtrid = ?",
      {gtrid});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<DecisionRow>();
  const Row& row = rows->front();
  if (row.size() != 2 || !row[0] || !row[1]) {
    return Status::Internal("decision row of " + gtrid + " with NULL");
  }
  return std::optional<DecisionRow>(DecisionRow{*row[0], *row[1] == "1"});
}

Status InsertAbortRow(BankView& bank, const std::string& store,
                      const std::string& gtrid, const std::string& node) {
  return bank.Get(store).ExecuteLocal(
      "INSERT INTO xatm_decisions (gtrid, outcome, resources, node) "
      "VALUES (?, 'abort', '', ?)",
      {gtrid, node});
}

Result<NodeDecisions> CountNodeDecisions(BankView& bank,
                                         const std::string& store,
                                         const std::string& node) {
  Result<std::vector<Row>> rows = bank.Get(store).QueryLocal(
      "SELECT CASE WHEN outcome = 'commit' AND ended_at IS NULL THEN 1 "
      "ELSE 0 END, CASE WHEN detail IS NULL THEN 0 ELSE 1 END "
      "FROM xatm_decisions WHERE node = ?",
      {node});
  if (!rows.ok()) return rows.status();
  NodeDecisions counts;
  for (const Row& row : *rows) {
    if (row.size() != 2 || !row[0] || !row[1]) {
      return Status::Internal("decision row of node " + node + " with NULL");
    }
    counts.open_commits += *row[0] == "1" ? 1 : 0;
    counts.heuristics += *row[1] == "1" ? 1 : 0;
  }
  return counts;
}

std::string Describe(const std::optional<DecisionRow>& row) {
  if (!row.has_value()) return "no row";
  return row->outcome + (row->ended ? " (ended)" : "");
}

}  // namespace xatm::crash
