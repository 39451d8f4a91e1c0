// The statements of the database decision store, per dialect. Every value
// is a '?' parameter; times are the database's own clock.
#pragma once

#include <string>
#include <string_view>

#include "xatm/status.h"

namespace xatm {

struct DecisionSql {
  // CREATE TABLE IF NOT EXISTS xatm_decisions (sql/decisions-*.sql).
  std::string create_table;
  // A row that proves the table exists (no rows are read).
  std::string probe_table;
  // Rows of (setting, value) that the open-time check reads: durability
  // settings, the enforcement of the CHECK constraint that makes the
  // too-late bound, the schema's time columns.
  std::string durability;
  // The coordinator's COMMIT row: (gtrid, begin_ms, within_ms, resources,
  // node). Its outcome is 'too late', which the table's check refuses,
  // once the database's clock is past begin_ms + within_ms: a coordinator
  // held up past that can no longer decide, whoever waits for it.
  std::string insert_commit;
  // A COMMIT row made after the fact (an operator's, recovery's re-log):
  // (gtrid, resources, node); no decision deadline, the key still refuses
  // it when an abort row exists.
  std::string insert_commit_after_the_fact;
  // Recovery's fence: (gtrid, node); inserts an abort row unless a row for
  // the gtrid exists, waiting for an uncommitted insert of it to finish.
  std::string insert_abort_if_absent;
  // (resources, gtrid): the gtrid's abort row becomes an open COMMIT row
  // (recovery found the transaction committed before its fence).
  std::string withdraw_abort;
  // (gtrid) -> outcome.
  std::string select_outcome;
  // Open COMMIT decisions: gtrid, resources, decided ms; oldest first. The
  // `_one` form takes (gtrid).
  std::string select_open;
  std::string select_open_one;
  // (gtrid) -> a row when the gtrid ever had a COMMIT decision.
  std::string select_commit_history;
  // Every row: gtrid, outcome, resources, node, decided ms, ended (0/1),
  // detail; oldest first.
  std::string select_all;
  // (gtrid): recovery finished every branch.
  std::string mark_ended;
  // (detail, gtrid).
  std::string set_detail;
  // "DELETE ... WHERE outcome = 'commit' AND gtrid IN (" + ?,... + ")".
  std::string delete_commits_prefix;
  // (retention seconds): abort rows and recovery-ended rows older than that.
  std::string prune;
};

// For a resource type ("postgresql" or "mysql"); InvalidArgument otherwise.
Result<DecisionSql> DecisionSqlFor(std::string_view resource_type);

// Whether a (setting, value) pair from `durability` promises that a
// decision acknowledged by the server survives its crash and that the
// too-late bound holds; "" if so, else what is wrong, naming the setting.
std::string DurabilityProblem(std::string_view resource_type,
                              const std::string& setting,
                              const std::string& value);

}  // namespace xatm
