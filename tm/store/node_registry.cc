#include "xatm/node_registry.h"

#include <utility>

#include "tm/sql_script.h"
#include "tm/store/node_table_sql.h"
#include "tm/store/row_values.h"

namespace xatm {

// Milliseconds since last_seen, by the server's clock, as the fifth column.
struct NodeRegistry::Sql {
  std::string create_table;
  std::string select_all;
  std::string select_one;
  std::string insert_if_absent;
  std::string take;
  std::string beat;
  std::string forget_if_silent;
};

namespace {

const char kColumns[] = "SELECT node, instance, host, pid, ";

NodeRegistry::Sql PostgresSql() {
  const std::string select =
      std::string(kColumns) +
      "CAST(extract(epoch FROM clock_timestamp() - last_seen) * 1000 AS "
      "bigint) FROM xatm_nodes";
  return {
      internal::kPostgresqlNodesSql,
      select + " ORDER BY node",
      select + " WHERE node = ?",
      "INSERT INTO xatm_nodes (node, instance, host, pid) VALUES (?, ?, ?, "
      "CAST(? AS bigint)) ON CONFLICT (node) DO NOTHING",
      "UPDATE xatm_nodes SET instance = ?, host = ?, pid = CAST(? AS bigint), "
      "started_at = clock_timestamp(), last_seen = clock_timestamp() "
      "WHERE node = ? AND instance = ?",
      "UPDATE xatm_nodes SET last_seen = clock_timestamp() "
      "WHERE node = ? AND instance = ?",
      "DELETE FROM xatm_nodes WHERE node = ? AND last_seen <= "
      "clock_timestamp() - CAST(? AS bigint) * interval '1 millisecond'",
  };
}

// Times are UTC DATETIMEs (sql/nodes-mysql.sql): UTC_TIMESTAMP(3), never
// NOW(3), whose session time zone would shift ages at a daylight saving
// change.
NodeRegistry::Sql MysqlSql() {
  const std::string select = std::string(kColumns) +
                             "TIMESTAMPDIFF(MICROSECOND, last_seen, "
                             "UTC_TIMESTAMP(3)) DIV 1000 FROM xatm_nodes";
  return {
      internal::kMysqlNodesSql,
      select + " ORDER BY node",
      select + " WHERE node = ?",
      // Only the key can conflict: IGNORE hides nothing else.
      "INSERT IGNORE INTO xatm_nodes (node, instance, host, pid, started_at, "
      "last_seen) VALUES (?, ?, ?, CAST(? AS SIGNED), UTC_TIMESTAMP(3), "
      "UTC_TIMESTAMP(3))",
      "UPDATE xatm_nodes SET instance = ?, host = ?, pid = CAST(? AS SIGNED), "
      "started_at = UTC_TIMESTAMP(3), last_seen = UTC_TIMESTAMP(3) WHERE node "
      "= ? AND instance = ?",
      "UPDATE xatm_nodes SET last_seen = UTC_TIMESTAMP(3) WHERE node = ? AND "
      "instance = ?",
      "DELETE FROM xatm_nodes WHERE node = ? AND last_seen <= "
      "TIMESTAMPADD(MICROSECOND, -1000 * CAST(? AS SIGNED), UTC_TIMESTAMP(3))",
  };
}

Result<NodeRegistry::Sql> SqlFor(const std::string& type) {
  if (type == "postgresql") return PostgresSql();
  if (type == "mysql") return MysqlSql();
  return Status::InvalidArgument("no node table for resource type '" + type +
                                 "'");
}

using internal::RowInt;

std::vector<NodeRecord> ToRecords(const std::vector<Row>& rows) {
  std::vector<NodeRecord> records;
  for (const Row& row : rows) {
    if (row.size() < 5) continue;
    records.push_back(NodeRecord{row[0].value_or(""), row[1].value_or(""),
                                 row[2].value_or(""), RowInt(row[3]),
                                 RowInt(row[4])});
  }
  return records;
}

}  // namespace

Result<std::unique_ptr<NodeRegistry>> NodeRegistry::Open(Resource& store) {
  XATM_ASSIGN_OR_RETURN(Sql sql, SqlFor(store.type()));
  return std::unique_ptr<NodeRegistry>(
      new NodeRegistry(store, std::make_unique<const Sql>(std::move(sql))));
}

Status NodeRegistry::CreateTable(Resource& store) {
  XATM_ASSIGN_OR_RETURN(Sql sql, SqlFor(store.type()));
  return RunSqlScript(store, sql.create_table);
}

NodeRegistry::NodeRegistry(Resource& store, std::unique_ptr<const Sql> sql)
    : store_(store), sql_(std::move(sql)) {}

NodeRegistry::~NodeRegistry() = default;

Result<std::vector<NodeRecord>> NodeRegistry::List() const {
  Result<std::vector<Row>> rows = store_.QueryLocal(sql_->select_all, {});
  if (!rows.ok()) return rows.status().WithContext("reading xatm_nodes");
  return ToRecords(*rows);
}

Result<std::optional<NodeRecord>> NodeRegistry::Find(
    const std::string& node) const {
  Result<std::vector<Row>> rows = store_.QueryLocal(sql_->select_one, {node});
  if (!rows.ok()) return rows.status().WithContext("reading xatm_nodes");
  std::vector<NodeRecord> found = ToRecords(*rows);
  if (found.empty()) return std::optional<NodeRecord>();
  return std::optional<NodeRecord>(std::move(found.front()));
}

Result<int64_t> NodeRegistry::ExecuteCounted(
    const std::string& sql, const std::vector<std::string>& params) {
  XATM_ASSIGN_OR_RETURN(std::unique_ptr<Branch> local, store_.BeginLocal());
  Result<int64_t> rows = local->Execute(sql, params);
  if (!rows.ok()) {
    (void)local->Rollback();
    return rows.status();
  }
  XATM_RETURN_IF_ERROR(local->CommitOnePhase());
  return *rows;
}

Result<bool> NodeRegistry::InsertIfAbsent(const NodeRecord& self) {
  Result<int64_t> rows = ExecuteCounted(
      sql_->insert_if_absent,
      {self.node, self.instance, self.host, std::to_string(self.pid)});
  if (!rows.ok()) return rows.status().WithContext("writing xatm_nodes");
  return *rows == 1;
}

Result<bool> NodeRegistry::Take(const NodeRecord& self,
                                const std::string& holder_instance) {
  Result<int64_t> rows = ExecuteCounted(
      sql_->take, {self.instance, self.host, std::to_string(self.pid),
                   self.node, holder_instance});
  if (!rows.ok()) return rows.status().WithContext("writing xatm_nodes");
  return *rows == 1;
}

Result<bool> NodeRegistry::Beat(const NodeRecord& self) {
  // Matched rows: the MySQL adapter asks for CLIENT_FOUND_ROWS, so a beat
  // within the same millisecond still counts.
  Result<int64_t> rows = ExecuteCounted(sql_->beat, {self.node, self.instance});
  if (!rows.ok()) return rows.status().WithContext("heartbeat");
  return *rows == 1;
}

Result<bool> NodeRegistry::ForgetIfSilent(const std::string& node,
                                          int64_t silent_ms) {
  Result<int64_t> rows =
      ExecuteCounted(sql_->forget_if_silent, {node, std::to_string(silent_ms)});
  if (!rows.ok()) return rows.status().WithContext("deleting from xatm_nodes");
  return *rows == 1;
}

}  // namespace xatm
