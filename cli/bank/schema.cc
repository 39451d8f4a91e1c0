#include "cli/bank/schema.h"

#include <chrono>
#include <functional>
#include <thread>

#include "cli/bank/schema_sql.h"
#include "tm/sql_script.h"
#include "xatm/key_table.h"

namespace xatm {
Result<std::string> SchemaScript(std::string_view type) {
  if (type == "postgresql") return std::string(internal::kPostgresqlSchemaSql);
  if (type == "mysql") return std::string(internal::kMysqlSchemaSql);
  return Status::InvalidArgument("no schema for resource type '" +
                                 std::string(type) + "'");
}

Status InitSchema(Resource& resource) {
  Result<std::string> script = SchemaScript(resource.type());
  if (!script.ok()) {
    return script.status().WithContext("resource '" + resource.name() + "'");
  }
  // Two processes running CREATE TABLE IF NOT EXISTS at once can make
  // PostgreSQL fail one of them (duplicate pg_type row); a second try sees
  // the table.
  auto twice = [](const std::function<Status()>& create) {
    Status s = create();
    if (!s.ok() && s.code() != StatusCode::kUnavailable) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      s = create();
    }
    return s.ok() ? s : s.WithContext("creating the schema");
  };
  for (const std::string& statement : SplitSqlStatements(*script)) {
    XATM_RETURN_IF_ERROR(
        twice([&] { return resource.ExecuteLocal(statement, {}); }));
  }
  // The idempotency keys of `transfer --key` (and of applications).
  return twice([&] { return CreateKeyTable(resource); });
}

}  // namespace xatm
