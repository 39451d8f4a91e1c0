// The transfer schema: accounts and ledger tables, one script per database
// type (sql/postgresql.sql, sql/mysql.sql), embedded in the binary at build
// time so that `xatm init` needs no files at run time.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "xatm/resource.h"
#include "xatm/status.h"

namespace xatm {

// The script for a resource type ("postgresql" or "mysql"); InvalidArgument
// for any other type.
Result<std::string> SchemaScript(std::string_view type);

// Creates the tables in `resource`, one statement at a time through
// Resource::ExecuteLocal, and the idempotency key table (CreateKeyTable).
// Idempotent: the scripts use IF NOT EXISTS, so a database made by an
// older `xatm init` gets the tables it lacks.
Status InitSchema(Resource& resource);

}  // namespace xatm
