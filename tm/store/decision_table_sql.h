// The decision table's DDL, generated at build time from
// sql/decisions-*.sql (cmake/embed_sql.cmake). Use DecisionSqlFor().
#pragma once

namespace xatm::internal {

extern const char kPostgresqlDecisionsSql[];
extern const char kMysqlDecisionsSql[];

}  // namespace xatm::internal
