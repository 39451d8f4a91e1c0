// The saga tables' DDL, generated at build time from sql/sagas-*.sql and
// sql/saga-barrier-*.sql (cmake/embed_sql.cmake). Use
// DatabaseSagaJournal::CreateTable and CreateSagaBarrierTable.
#pragma once

namespace xatm::internal {

extern const char kPostgresqlSagasSql[];
extern const char kMysqlSagasSql[];
extern const char kPostgresqlSagaBarrierSql[];
extern const char kMysqlSagaBarrierSql[];

}  // namespace xatm::internal
