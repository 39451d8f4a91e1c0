// The key table's DDL, generated at build time from sql/keys-*.sql
// (cmake/embed_sql.cmake). Use CreateKeyTable() in key_table.h.
#pragma once

namespace xatm::internal {

extern const char kPostgresqlKeysSql[];
extern const char kMysqlKeysSql[];

}  // namespace xatm::internal
