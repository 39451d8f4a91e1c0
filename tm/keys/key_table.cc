#include "xatm/key_table.h"

#include "tm/keys/key_table_sql.h"

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
  // The script holds comments, then one statement.
  const size_t create = script.find("CREATE TABLE");
  const size_t end = script.rfind(';');
  if (create == std::string::npos || end == std::string::npos || end < create) {
    return Status::Internal("malformed key table script");
  }
  script = script.substr(create, end - create);
  return resource.ExecuteLocal(script, {});
}

Result<std::optional<StoredKey>> ReadStoredKey(Resource& resource,
                                               const std::string& key) {
  Result<std::vector<Row>> rows = resource.QueryLocal(kSelect, {key});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<StoredKey>();
  const Row& row = rows->front();
  if (row.size() < 2) return Status::Internal("short key row");
  return std::optional<StoredKey>(
      StoredKey{row[0].value_or(""), row[1].value_or("")});
}

Result<bool> ClaimKeyInBranch(Branch& branch, const std::string& resource_type,
                              const IdempotencyKey& key,
                              const std::string& gtrid) {
  const char* sql = resource_type == "postgresql" ? kPostgresqlClaim
                    : resource_type == "mysql"    ? kMysqlClaim
                                                  : nullptr;
  if (sql == nullptr) return UnknownType(resource_type);
  Result<int64_t> rows = branch.Execute(sql, {key.key, gtrid, key.fingerprint});
  if (!rows.ok()) return rows.status();
  return *rows == 1;
}

}  // namespace xatm
