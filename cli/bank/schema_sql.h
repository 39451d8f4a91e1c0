// The schema scripts, generated at build time from sql/*.sql
// (cmake/embed_sql.cmake). Use SchemaScript() in schema.h instead.
#pragma once

namespace xatm::internal {

extern const char kPostgresqlSchemaSql[];
extern const char kMysqlSchemaSql[];

}  // namespace xatm::internal
