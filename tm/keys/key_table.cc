#include "xatm/key_table.h"

#include "tm/keys/key_table_sql.h"
#include "tm/sql_script.h"

namespace xatm {
namespace {

// Both dialects insert unless the key is there, and answer 0 rows when it
// is: PostgreSQL ON CONFLICT DO NOTHING and MariaDB INSERT IGNORE each wait
// for a conflicting insert that is not finished. Only the key can conflict
// (the values are checked before), so IGNORE hides no other error.
constexpr char kPostgresqlClaim[] =
    "INSERT INTO xatm_idempotency_keys (idem_key, gtrid, fingerprint) "
    "VALUES (?, ?, ?) ON CONFLICT (idem_key) DO NOTHING";
constexpr char kMysqlClaim[] =
    "INSERT IGNORE INTO xatm_idempotency_keys (idem_key, gtrid, fingerprint) "
    "VALUES (?, ?, ?)";
constexpr char kPostgresqlPrune[] =
    "DELETE FROM xatm_idempotency_keys WHERE created_at < "
    "clock_timestamp() - CAST(? AS bigint) * interval '1 second'";
// created_at is a UTC DATETIME (sql/keys-mysql.sql).
constexpr char kMysqlPrune[] =
    "DELETE FROM xatm_idempotency_keys WHERE created_at < "
    "TIMESTAMPADD(SECOND, -CAST(? AS SIGNED), UTC_TIMESTAMP(3))";
constexpr char kSelect[] =
    "SELECT gtrid, fingerprint FROM xatm_idempotency_keys WHERE idem_key = ?";

Status UnknownType(const std::string& type) {
  return Status::InvalidArgument(
      "no idempotency key table for resource type '" + type + "'");
}

}  // namespace

Status CreateKeyTable(Resource& resource) {
  std::string script;
  if (resource.type() == "postgresql") {
    script = internal::kPostgresqlKeysSql;
  } else if (resource.type() == "mysql") {
    script = internal::kMysqlKeysSql;
  } else {
    return UnknownType(resource.type());
  }
  return RunSqlScript(resource, script);
}

Result<std::optional<StoredKey>> ReadStoredKey(Resource& resource,
                                               const std::string& key) {
  XATM_ASSIGN_OR_RETURN(std::vector<Row> rows,
                        resource.QueryLocal(kSelect, {key}));
  if (rows.empty()) return std::optional<StoredKey>();
  const Row& row = rows.front();
  if (row.size() < 2) return Status::Internal("short key row");
  return std::optional<StoredKey>(
      StoredKey{row[0].value_or(""), row[1].value_or("")});
}

Status PruneKeys(Resource& resource, int64_t retention_s) {
  if (retention_s <= 0) {
    return Status::InvalidArgument("key retention must be positive, not " +
                                   std::to_string(retention_s) + " s");
  }
  const char* sql = resource.type() == "postgresql" ? kPostgresqlPrune
                    : resource.type() == "mysql"    ? kMysqlPrune
                                                    : nullptr;
  if (sql == nullptr) return UnknownType(resource.type());
  return resource.ExecuteLocal(sql, {std::to_string(retention_s)})
      .WithContext("pruning idempotency keys of '" + resource.name() + "'");
}

Result<bool> ClaimKeyInBranch(Branch& branch, const std::string& resource_type,
                              const IdempotencyKey& key,
                              const std::string& gtrid) {
  const char* sql = resource_type == "postgresql" ? kPostgresqlClaim
                    : resource_type == "mysql"    ? kMysqlClaim
                                                  : nullptr;
  if (sql == nullptr) return UnknownType(resource_type);
  XATM_ASSIGN_OR_RETURN(int64_t rows,
                        branch.Execute(sql, {key.key, gtrid, key.fingerprint}));
  return rows == 1;
}

}  // namespace xatm
