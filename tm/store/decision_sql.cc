#include "tm/store/decision_sql.h"

#include "tm/store/decision_table_sql.h"

namespace xatm {
namespace {

// The columns every reader of a decision gets, in this order.
constexpr char kOpenWhere[] =
    " FROM xatm_decisions WHERE outcome = 'commit' AND ended_at IS NULL";

DecisionSql Postgresql() {
  DecisionSql q;
  q.create_table = internal::kPostgresqlDecisionsSql;
  q.probe_table = "SELECT gtrid FROM xatm_decisions WHERE false";
  q.durability =
      "SELECT name, setting FROM pg_settings "
      "WHERE name IN ('fsync', 'synchronous_commit')";
  q.insert_commit =
      "INSERT INTO xatm_decisions (gtrid, outcome, resources, node) VALUES "
      "(?, CASE WHEN clock_timestamp() <= to_timestamp(CAST(? AS bigint) / "
      "1000.0) + CAST(? AS bigint) * interval '1 millisecond' THEN 'commit' "
      "ELSE 'too late' END, ?, ?)";
  q.insert_abort_if_absent =
      "INSERT INTO xatm_decisions (gtrid, outcome, resources, node) "
      "VALUES (?, 'abort', '', ?) ON CONFLICT (gtrid) DO NOTHING";
  q.select_outcome = "SELECT outcome FROM xatm_decisions WHERE gtrid = ?";
  const std::string open_columns =
      "SELECT gtrid, resources, "
      "CAST(extract(epoch FROM decided_at) * 1000 AS bigint)";
  q.select_open = open_columns + kOpenWhere + " ORDER BY decided_at";
  q.select_open_one = open_columns + kOpenWhere + " AND gtrid = ?";
  q.select_commit_history =
      "SELECT 1 FROM xatm_decisions WHERE gtrid = ? AND outcome = 'commit'";
  q.select_all =
      "SELECT gtrid, outcome, resources, node, "
      "CAST(extract(epoch FROM decided_at) * 1000 AS bigint), "
      "CASE WHEN ended_at IS NULL THEN 0 ELSE 1 END, detail "
      "FROM xatm_decisions ORDER BY decided_at, gtrid";
  q.mark_ended =
      "UPDATE xatm_decisions SET ended_at = clock_timestamp() "
      "WHERE gtrid = ? AND outcome = 'commit'";
  q.set_detail = "UPDATE xatm_decisions SET detail = ? WHERE gtrid = ?";
  q.delete_commits_prefix =
      "DELETE FROM xatm_decisions WHERE outcome = 'commit' AND gtrid IN (";
  q.prune =
      "DELETE FROM xatm_decisions WHERE (outcome = 'abort' OR ended_at IS "
      "NOT NULL) AND decided_at < clock_timestamp() - CAST(? AS bigint) * "
      "interval '1 second'";
  return q;
}

DecisionSql Mysql() {
  DecisionSql q;
  q.create_table = internal::kMysqlDecisionsSql;
  q.probe_table = "SELECT gtrid FROM xatm_decisions WHERE 1 = 0";
  q.durability =
      "SELECT 'innodb_flush_log_at_trx_commit', "
      "@@GLOBAL.innodb_flush_log_at_trx_commit";
  q.insert_commit =
      "INSERT INTO xatm_decisions (gtrid, outcome, resources, node) VALUES "
      "(?, CASE WHEN UNIX_TIMESTAMP(NOW(3)) * 1000 <= CAST(? AS SIGNED) + "
      "CAST(? AS SIGNED) THEN 'commit' ELSE 'too late' END, ?, ?)";
  // INSERT IGNORE also waits for an uncommitted row with the same key.
  q.insert_abort_if_absent =
      "INSERT IGNORE INTO xatm_decisions (gtrid, outcome, resources, node) "
      "VALUES (?, 'abort', '', ?)";
  q.select_outcome = "SELECT outcome FROM xatm_decisions WHERE gtrid = ?";
  const std::string open_columns =
      "SELECT gtrid, resources, "
      "CAST(UNIX_TIMESTAMP(decided_at) * 1000 AS SIGNED)";
  q.select_open = open_columns + kOpenWhere + " ORDER BY decided_at";
  q.select_open_one = open_columns + kOpenWhere + " AND gtrid = ?";
  q.select_commit_history =
      "SELECT 1 FROM xatm_decisions WHERE gtrid = ? AND outcome = 'commit'";
  q.select_all =
      "SELECT gtrid, outcome, resources, node, "
      "CAST(UNIX_TIMESTAMP(decided_at) * 1000 AS SIGNED), "
      "CASE WHEN ended_at IS NULL THEN 0 ELSE 1 END, detail "
      "FROM xatm_decisions ORDER BY decided_at, gtrid";
  q.mark_ended =
      "UPDATE xatm_decisions SET ended_at = NOW(3) "
      "WHERE gtrid = ? AND outcome = 'commit'";
  q.set_detail = "UPDATE xatm_decisions SET detail = ? WHERE gtrid = ?";
  q.delete_commits_prefix =
      "DELETE FROM xatm_decisions WHERE outcome = 'commit' AND gtrid IN (";
  q.prune =
      "DELETE FROM xatm_decisions WHERE (outcome = 'abort' OR ended_at IS "
      "NOT NULL) AND decided_at < TIMESTAMPADD(SECOND, -CAST(? AS SIGNED), "
      "NOW(3))";
  return q;
}

}  // namespace

Result<DecisionSql> DecisionSqlFor(std::string_view resource_type) {
  if (resource_type == "postgresql") return Postgresql();
  if (resource_type == "mysql") return Mysql();
  return Status::InvalidArgument("no decision table for resource type '" +
                                 std::string(resource_type) + "'");
}

std::string DurabilityProblem(std::string_view resource_type,
                              const std::string& setting,
                              const std::string& value) {
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
  return "";
}

}  // namespace xatm
