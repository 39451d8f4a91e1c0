#include "xatm/saga_barrier.h"

#include "tm/saga/committed_statement.h"
#include "tm/saga/saga_table_sql.h"
#include "tm/sql_script.h"

namespace xatm {
namespace {

using internal::ExecuteCommitted;

// Both dialects insert unless the row is there, and answer 0 rows when it
// is: PostgreSQL ON CONFLICT DO NOTHING and MariaDB INSERT IGNORE each wait
// for a conflicting insert that is not finished. IGNORE would also turn a
// too long or badly encoded value into a warning and a truncated row, so
// the values are checked before (CheckKey): only the key can conflict.
constexpr char kPostgresqlInsert[] =
    "INSERT INTO xatm_saga_barrier (saga_id, step, op) VALUES (?, ?, ?) "
    "ON CONFLICT (saga_id, step, op) DO NOTHING";
constexpr char kMysqlInsert[] =
    "INSERT IGNORE INTO xatm_saga_barrier (saga_id, step, op) "
    "VALUES (?, ?, ?)";
constexpr char kSelect[] =
    "SELECT step, op FROM xatm_saga_barrier WHERE saga_id = ? "
    "ORDER BY step, op";

// Rows deleted by one prune statement: short transactions, short locks.
constexpr int64_t kPruneBatch = 1000;
// One placeholder each in the prune statement; both servers take 65535.
constexpr size_t kMaxKeep = 60000;
constexpr size_t kMaxSagaId = 64;
constexpr size_t kMaxStep = 32;

Status UnknownType(const std::string& type) {
  return Status::InvalidArgument("no saga barrier table for resource type '" +
                                 type + "'");
}

// Printable ASCII without blanks: a value the column keeps as it is (no
// truncation, no encoding error turned into a warning by IGNORE, no
// trailing blank that MariaDB's PAD SPACE collation would ignore).
bool Plain(const std::string& text) {
  for (char c : text) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

Status CheckKey(const std::string& saga_id, const std::string& step) {
  if (saga_id.empty() || saga_id.size() > kMaxSagaId || !Plain(saga_id)) {
    return Status::InvalidArgument(
        "saga id must be 1 to 64 printable ASCII characters without blanks "
        "(got " +
        std::to_string(saga_id.size()) + " bytes)");
  }
  if (step.empty() || step.size() > kMaxStep || !Plain(step)) {
    return Status::InvalidArgument(
        "saga " + saga_id +
        ": step name must be 1 to 32 printable ASCII characters without "
        "blanks (got " +
        std::to_string(step.size()) + " bytes)");
  }
  return Status::Ok();
}

// `prefix` as a LIKE pattern matching itself only, then anything: '!'
// escapes the wildcards ('_' is common in node ids) and itself, the same
// in both dialects (a backslash would depend on sql_mode).
std::string LikePrefix(const std::string& prefix) {
  std::string pattern;
  for (char c : prefix) {
    if (c == '!' || c == '%' || c == '_') pattern += '!';
    pattern += c;
  }
  return pattern + "%";
}

// The prune statement: at most kPruneBatch rows, old enough, of the
// prefix, of no saga in `keep` (`keep_count` placeholders).
std::string PruneSql(bool postgres, size_t keep_count) {
  std::string where = postgres ? "created_at < clock_timestamp() - "
                                 "CAST(? AS bigint) * interval '1 second'"
                               // created_at is a UTC DATETIME.
                               : "created_at < TIMESTAMPADD(SECOND, "
                                 "-CAST(? AS SIGNED), UTC_TIMESTAMP(3))";
  where += " AND saga_id LIKE ? ESCAPE '!'";
  if (keep_count > 0) {
    where += " AND saga_id NOT IN (?";
    for (size_t i = 1; i < keep_count; ++i) where += ", ?";
    where += ")";
  }
  const std::string batch = std::to_string(kPruneBatch);
  if (postgres) {
    // PostgreSQL's DELETE takes no LIMIT.
    return "DELETE FROM xatm_saga_barrier WHERE (saga_id, step, op) IN "
           "(SELECT saga_id, step, op FROM xatm_saga_barrier WHERE " +
           where + " LIMIT " + batch + ")";
  }
  return "DELETE FROM xatm_saga_barrier WHERE " + where + " LIMIT " + batch;
}

}  // namespace

const char* BarrierOpName(BarrierOp op) {
  return op == BarrierOp::kAction ? "action" : "compensation";
}

Status CreateSagaBarrierTable(Resource& resource) {
  const char* script =
      resource.type() == "postgresql" ? internal::kPostgresqlSagaBarrierSql
      : resource.type() == "mysql"    ? internal::kMysqlSagaBarrierSql
                                      : nullptr;
  if (script == nullptr) return UnknownType(resource.type());
  return RunSqlScript(resource, script);
}

Status InsertBarrierDeferred(Branch& branch, const std::string& resource_type,
                             const std::string& saga_id,
                             const std::string& step, BarrierOp op) {
  const char* sql = resource_type == "postgresql" ? kPostgresqlInsert
                    : resource_type == "mysql"    ? kMysqlInsert
                                                  : nullptr;
  if (sql == nullptr) return UnknownType(resource_type);
  XATM_RETURN_IF_ERROR(CheckKey(saga_id, step));
  return branch.ExecuteDeferred(sql, {saga_id, step, BarrierOpName(op)}, 1);
}

Result<bool> InsertBarrier(Branch& branch, const std::string& resource_type,
                           const std::string& saga_id, const std::string& step,
                           BarrierOp op) {
  const char* sql = resource_type == "postgresql" ? kPostgresqlInsert
                    : resource_type == "mysql"    ? kMysqlInsert
                                                  : nullptr;
  if (sql == nullptr) return UnknownType(resource_type);
  XATM_RETURN_IF_ERROR(CheckKey(saga_id, step));
  XATM_ASSIGN_OR_RETURN(
      int64_t rows, branch.Execute(sql, {saga_id, step, BarrierOpName(op)}));
  return rows == 1;
}

Result<std::vector<BarrierRow>> ReadBarriers(Resource& resource,
                                             const std::string& saga_id) {
  XATM_ASSIGN_OR_RETURN(std::vector<Row> rows,
                        resource.QueryLocal(kSelect, {saga_id}));
  std::vector<BarrierRow> barriers;
  for (const Row& row : rows) {
    if (row.size() < 2) return Status::Internal("short saga barrier row");
    const std::string op = row[1].value_or("");
    BarrierRow barrier;
    barrier.step = row[0].value_or("");
    if (op == BarrierOpName(BarrierOp::kAction)) {
      barrier.op = BarrierOp::kAction;
    } else if (op == BarrierOpName(BarrierOp::kCompensation)) {
      barrier.op = BarrierOp::kCompensation;
    } else {
      return Status::DataLoss("saga " + saga_id + " step " + barrier.step +
                              ": unknown barrier operation '" + op + "' in '" +
                              resource.name() + "'");
    }
    barriers.push_back(std::move(barrier));
  }
  return barriers;
}

Status PruneSagaBarriers(Resource& resource, int64_t retention_s,
                         const std::string& id_prefix,
                         const std::vector<std::string>& keep) {
  if (retention_s <= 0) {
    return Status::InvalidArgument(
        "saga barrier retention must be positive, "
        "not " +
        std::to_string(retention_s) + " s");
  }
  if (resource.type() != "postgresql" && resource.type() != "mysql") {
    return UnknownType(resource.type());
  }
  if (keep.size() > kMaxKeep) {
    return Status::InvalidArgument(
        "too many unfinished sagas to keep in one prune (" +
        std::to_string(keep.size()) + ", at most " + std::to_string(kMaxKeep) +
        ")");
  }
  const std::string sql =
      PruneSql(resource.type() == "postgresql", keep.size());
  std::vector<std::string> params = {std::to_string(retention_s),
                                     LikePrefix(id_prefix)};
  params.insert(params.end(), keep.begin(), keep.end());
  const std::string context =
      "pruning saga barriers of '" + resource.name() + "'";
  while (true) {
    Result<int64_t> deleted = ExecuteCommitted(resource, sql, params);
    if (!deleted.ok()) return deleted.status().WithContext(context);
    if (*deleted < kPruneBatch) return Status::Ok();
  }
}

}  // namespace xatm
