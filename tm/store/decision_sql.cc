#include "tm/store/decision_sql.h"

#include "tm/store/decision_table_sql.h"

namespace xatm {
namespace {

// What differs between the dialects; the statements are built from it.
struct Dialect {
  const char* create_table;
  const char* never;  // a condition no row meets
  const char* durability;
  const char* now;  // the server's clock, now (not at BEGIN)
  // Milliseconds since the epoch of the server's clock, and of `column`.
  std::string (*epoch_ms)(const std::string& time);
  // The clock is past (begin_ms ?, within ?): refuse the COMMIT row.
  const char* past_bound;
  const char* insert_if_absent_prefix;  // "INSERT [IGNORE] INTO"
  const char* insert_if_absent_suffix;  // "" or "ON CONFLICT ..."
  const char* older_than_seconds;       // decided_at < now - ? seconds
};

std::string PostgresEpochMs(const std::string& time) {
  return "CAST(extract(epoch FROM " + time + ") * 1000 AS bigint)";
}

// Times are UTC DATETIMEs (sql/decisions-mysql.sql): plain arithmetic,
// never a conversion through the session's time zone.
std::string MysqlEpochMs(const std::string& time) {
  return "(TIMESTAMPDIFF(MICROSECOND, '1970-01-01', " + time + ") DIV 1000)";
}

const Dialect kPostgresql = {
    internal::kPostgresqlDecisionsSql,
    "false",
    "SELECT name, setting FROM pg_settings "
    "WHERE name IN ('fsync', 'synchronous_commit') "
    "UNION ALL SELECT 'xatm_decisions_outcome_known', CAST(COUNT(*) AS text) "
    "FROM pg_constraint WHERE conrelid = CAST('xatm_decisions' AS regclass) "
    "AND conname = 'xatm_decisions_outcome_known' AND contype = 'c' "
    "AND convalidated",
    "clock_timestamp()",
    &PostgresEpochMs,
    "clock_timestamp() > to_timestamp(CAST(? AS bigint) / 1000.0) + "
    "CAST(? AS bigint) * interval '1 millisecond'",
    "INSERT INTO",
    " ON CONFLICT (gtrid) DO NOTHING",
    "decided_at < clock_timestamp() - CAST(? AS bigint) * interval '1 second'",
};

const Dialect kMysql = {
    internal::kMysqlDecisionsSql,
    "1 = 0",
    "SELECT 'innodb_flush_log_at_trx_commit', "
    "@@GLOBAL.innodb_flush_log_at_trx_commit "
    "UNION ALL SELECT 'sync_binlog', @@GLOBAL.sync_binlog FROM DUAL "
    "WHERE @@GLOBAL.log_bin = 1 "
    "UNION ALL SELECT 'check_constraint_checks', "
    "LEAST(@@GLOBAL.check_constraint_checks, "
    "@@SESSION.check_constraint_checks) "
    "UNION ALL SELECT 'xatm_decisions_outcome_known', COUNT(*) "
    "FROM information_schema.CHECK_CONSTRAINTS "
    "WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 'xatm_decisions' "
    "AND CONSTRAINT_NAME = 'xatm_decisions_outcome_known' "
    "UNION ALL SELECT 'timestamp columns', COUNT(*) "
    "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
    "AND TABLE_NAME IN ('xatm_decisions', 'xatm_nodes') "
    "AND DATA_TYPE = 'timestamp'",
    "UTC_TIMESTAMP(3)",
    &MysqlEpochMs,
    "TIMESTAMPDIFF(MICROSECOND, '1970-01-01', UTC_TIMESTAMP(3)) DIV 1000 > "
    "CAST(? AS SIGNED) + CAST(? AS SIGNED)",
    // INSERT IGNORE also waits for an uncommitted row with the same key.
    "INSERT IGNORE INTO",
    "",
    "decided_at < TIMESTAMPADD(SECOND, -CAST(? AS SIGNED), UTC_TIMESTAMP(3))",
};

DecisionSql Build(const Dialect& d) {
  const std::string open =
      " FROM xatm_decisions WHERE outcome = 'commit' AND ended_at IS NULL";
  const std::string open_columns =
      "SELECT gtrid, resources, " + d.epoch_ms("decided_at");
  DecisionSql q;
  q.create_table = d.create_table;
  q.probe_table =
      std::string("SELECT gtrid FROM xatm_decisions WHERE ") + d.never;
  q.durability = d.durability;
  q.insert_commit = std::string(
                        "INSERT INTO xatm_decisions (gtrid, outcome, "
                        "resources, node) VALUES (?, CASE WHEN ") +
                    d.past_bound + " THEN 'too late' ELSE 'commit' END, ?, ?)";
  q.insert_commit_after_the_fact =
      "INSERT INTO xatm_decisions (gtrid, outcome, resources, node) "
      "VALUES (?, 'commit', ?, ?)";
  q.insert_abort_if_absent = std::string(d.insert_if_absent_prefix) +
                             " xatm_decisions (gtrid, outcome, resources, "
                             "node) VALUES (?, 'abort', '', ?)" +
                             d.insert_if_absent_suffix;
  q.withdraw_abort =
      "UPDATE xatm_decisions SET outcome = 'commit', resources = ?, "
      "ended_at = NULL WHERE gtrid = ? AND outcome = 'abort'";
  q.select_outcome = "SELECT outcome FROM xatm_decisions WHERE gtrid = ?";
  q.select_open = open_columns + open + " ORDER BY decided_at";
  q.select_open_one = open_columns + open + " AND gtrid = ?";
  q.select_commit_history =
      "SELECT 1 FROM xatm_decisions WHERE gtrid = ? AND outcome = 'commit'";
  q.select_all = "SELECT gtrid, outcome, resources, node, " +
                 d.epoch_ms("decided_at") +
                 ", CASE WHEN ended_at IS NULL THEN 0 ELSE 1 END, detail "
                 "FROM xatm_decisions ORDER BY decided_at, gtrid";
  q.mark_ended = std::string("UPDATE xatm_decisions SET ended_at = ") + d.now +
                 " WHERE gtrid = ? AND outcome = 'commit'";
  q.set_detail = "UPDATE xatm_decisions SET detail = ? WHERE gtrid = ?";
  q.delete_commits_prefix =
      "DELETE FROM xatm_decisions WHERE outcome = 'commit' AND gtrid IN (";
  q.prune = std::string(
                "DELETE FROM xatm_decisions WHERE (outcome = 'abort' OR "
                "ended_at IS NOT NULL) AND ") +
            d.older_than_seconds;
  return q;
}

}  // namespace

Result<DecisionSql> DecisionSqlFor(std::string_view resource_type) {
  if (resource_type == "postgresql") return Build(kPostgresql);
  if (resource_type == "mysql") return Build(kMysql);
  return Status::InvalidArgument("no decision table for resource type '" +
                                 std::string(resource_type) + "'");
}

std::string DurabilityProblem(std::string_view resource_type,
                              const std::string& setting,
                              const std::string& value) {
  // Both dialects: the too-late bound of insert_commit is this constraint.
  if (setting == "xatm_decisions_outcome_known" && value == "0") {
    return "the CHECK constraint xatm_decisions_outcome_known of "
           "xatm_decisions is missing or not validated: it refuses a COMMIT "
           "decision made too late; restore it (ALTER TABLE xatm_decisions "
           "ADD CONSTRAINT xatm_decisions_outcome_known CHECK (outcome IN "
           "('commit', 'abort')))";
  }
  if (resource_type == "postgresql") {
    if (setting == "fsync" && value != "on") {
      return "fsync = " + value + ": a crash can lose committed decisions";
    }
    if (setting == "synchronous_commit" && value == "off") {
      return "synchronous_commit = off: a crash can lose acknowledged "
             "commits";
    }
    return "";
  }
  if (setting == "innodb_flush_log_at_trx_commit" && value != "1") {
    return "innodb_flush_log_at_trx_commit = " + value +
           ": a crash can lose acknowledged commits (1 is needed)";
  }
  if (setting == "sync_binlog" && value != "1") {
    // A commit is durable only once the binary log is: InnoDB rolls back
    // at recovery what the log lost.
    return "the binary log is on and sync_binlog = " + value +
           ": an OS crash can lose acknowledged commits (1 is needed)";
  }
  if (setting == "check_constraint_checks" && value != "1") {
    return "check_constraint_checks = " + value +
           ": the server does not enforce the CHECK constraint that refuses "
           "a COMMIT decision made too late (1 is needed)";
  }
  if (setting == "timestamp columns" && value != "0") {
    return "xatm_decisions or xatm_nodes has TIMESTAMP columns (made by an "
           "older `xatm init`), read through the session's time zone: run "
           "`xatm init` to convert them to UTC";
  }
  return "";
}

}  // namespace xatm
