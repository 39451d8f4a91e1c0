// The node table's DDL, generated at build time from sql/nodes-*.sql
// (cmake/embed_sql.cmake). Use NodeRegistry::CreateTable().
#pragma once

namespace xatm::internal {

extern const char kPostgresqlNodesSql[];
extern const char kMysqlNodesSql[];

}  // namespace xatm::internal
