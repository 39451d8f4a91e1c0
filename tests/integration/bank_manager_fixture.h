// A test fixture with the transfer schema in both test databases (resources
// "pg" and "my", shared by the suite) and, per test, a TransactionManager of
// a fresh node with its own decision log.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "cli/bank/schema.h"
#include "tests/integration/test_env.h"
#include "tests/unit/library_log_level.h"
#include "tests/unit/run_process.h"
#include "xatm/resource_factory.h"
#include "xatm/transaction_manager.h"

namespace xatm::testing {

class BankManagerFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // SPDLOG_LEVEL=debug shows every step of every transaction.
    SetLibraryLogLevel(spdlog::level::warn);
    auto pg = MakeResource(PostgresTestConfig("pg"));
    auto my = MakeResource(MysqlTestConfig("my"));
    ASSERT_TRUE(pg.ok() && my.ok());
    pg_ = *pg;
    my_ = *my;
    for (auto* r : {&pg_, &my_}) {
      Status s = InitSchema(**r);
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
  }
  static void TearDownTestSuite() {
    pg_.reset();
    my_.reset();
  }

  // Opens tm_ for a fresh node whose id starts with `tag`, over pg and my.
  void OpenManager(const std::string& tag) {
    node_ = tag + RandomHex(10);
    TransactionManagerOptions options;
    options.node_id = node_;
    options.log_dir = log_dir_.path() + "/log";
    options.log_options.create_if_missing = true;  // a fresh directory
    auto tm = TransactionManager::Open(options, {pg_, my_});
    ASSERT_TRUE(tm.ok()) << tm.status().ToString();
    tm_ = std::move(tm).value();
  }

  static inline std::shared_ptr<Resource> pg_;
  static inline std::shared_ptr<Resource> my_;
  std::string node_;
  TempDir log_dir_;
  std::unique_ptr<TransactionManager> tm_;
};

}  // namespace xatm::testing
