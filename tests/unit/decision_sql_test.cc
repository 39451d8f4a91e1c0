// The database decision store's durability check and per-dialect SQL
// (the statements themselves run against real servers in
// tests/integration/decision_store_test.cc).
#include "tm/store/decision_sql.h"

#include <gtest/gtest.h>

namespace xatm {
namespace {

TEST(DecisionSqlTest, PostgresqlNeedsFsyncAndSynchronousCommit) {
  EXPECT_EQ(DurabilityProblem("postgresql", "fsync", "on"), "");
  EXPECT_NE(DurabilityProblem("postgresql", "fsync", "off"), "");
  EXPECT_EQ(DurabilityProblem("postgresql", "synchronous_commit", "on"), "");
  EXPECT_EQ(
      DurabilityProblem("postgresql", "synchronous_commit", "remote_apply"),
      "");
  EXPECT_NE(DurabilityProblem("postgresql", "synchronous_commit", "off")
                .find("synchronous_commit = off"),
            std::string::npos);
}

TEST(DecisionSqlTest, MariadbNeedsAFlushAtEveryCommit) {
  EXPECT_EQ(DurabilityProblem("mysql", "innodb_flush_log_at_trx_commit", "1"),
            "");
  for (const char* weak : {"0", "2"}) {
    EXPECT_NE(
        DurabilityProblem("mysql", "innodb_flush_log_at_trx_commit", weak), "")
        << weak;
  }
}

TEST(DecisionSqlTest, MariadbNeedsTheBinaryLogSyncedAndChecksEnforced) {
  EXPECT_EQ(DurabilityProblem("mysql", "sync_binlog", "1"), "");
  EXPECT_NE(DurabilityProblem("mysql", "sync_binlog", "0").find("sync_binlog"),
            std::string::npos);
  EXPECT_NE(DurabilityProblem("mysql", "check_constraint_checks", "0")
                .find("check_constraint_checks = 0"),
            std::string::npos);
  EXPECT_NE(
      DurabilityProblem("mysql", "timestamp columns", "2").find("xatm init"),
      std::string::npos);
  for (const char* type : {"mysql", "postgresql"}) {
    EXPECT_NE(DurabilityProblem(type, "xatm_decisions_outcome_known", "0"), "");
    EXPECT_EQ(DurabilityProblem(type, "xatm_decisions_outcome_known", "1"), "");
  }
}

TEST(DecisionSqlTest, EachDialectHasItsFence) {
  Result<DecisionSql> pg = DecisionSqlFor("postgresql");
  Result<DecisionSql> my = DecisionSqlFor("mysql");
  ASSERT_TRUE(pg.ok() && my.ok());
  EXPECT_NE(pg->insert_abort_if_absent.find("ON CONFLICT (gtrid) DO NOTHING"),
            std::string::npos);
  EXPECT_NE(my->insert_abort_if_absent.find("INSERT IGNORE"),
            std::string::npos);
  // The DDL comes from sql/decisions-*.sql.
  EXPECT_NE(pg->create_table.find("xatm_decisions_outcome_known"),
            std::string::npos);
  EXPECT_NE(my->create_table.find("ENGINE = InnoDB"), std::string::npos);
  EXPECT_EQ(DecisionSqlFor("oracle").status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace xatm
