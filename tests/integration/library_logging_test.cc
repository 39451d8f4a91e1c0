// The library's logging against the real servers: a two-phase transaction
// over PostgreSQL and MariaDB writes nothing to the application's stdout,
// and nothing at all at the default level; an application's logger at
// debug gets every step of it, each line with its xid, and at info nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/test_env.h"
#include "tests/unit/ring_logger.h"
#include "tests/unit/run_process.h"
#include "xatm/logging.h"
#include "xatm/resource_factory.h"
#include "xatm/transaction.h"
#include "xatm/transaction_manager.h"

namespace xatm {
namespace {

using ::xatm::testing::LoggedLine;
using ::xatm::testing::MysqlTestConfig;
using ::xatm::testing::PostgresTestConfig;
using ::xatm::testing::RandomHex;
using ::xatm::testing::RingLogger;

constexpr char kCreateRows[] =
    "CREATE TABLE IF NOT EXISTS xatm_logging_test_rows ("
    "id VARCHAR(64) PRIMARY KEY)";

class LibraryLoggingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = "lg" + RandomHex(10);
    for (const ResourceConfig& config :
         {PostgresTestConfig("pg"), MysqlTestConfig("my")}) {
      auto r = MakeResource(config);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ASSERT_TRUE((*r)->ExecuteLocal(kCreateRows, {}).ok());
      resources_.push_back(*r);
    }
    TransactionManagerOptions options;
    options.node_id = node_;
    options.log_dir = dir_.path() + "/log";
    options.log_options.create_if_missing = true;
    auto tm = TransactionManager::Open(options, resources_);
    ASSERT_TRUE(tm.ok()) << tm.status().ToString();
    tm_ = std::move(tm).value();
  }

  void TearDown() override {
    SetLogger(nullptr);
    tm_.reset();
    for (auto& r : resources_) {
      (void)r->ExecuteLocal(
          "DELETE FROM xatm_logging_test_rows WHERE id LIKE ?", {node_ + "%"});
    }
  }

  // One row in each database, committed in two phases; returns the gtrid.
  std::string CommitOnBoth() {
    auto txn = tm_->Begin();
    EXPECT_TRUE(txn.ok()) << txn.status().ToString();
    if (!txn.ok()) return "";
    const std::string id = node_ + "-" + std::to_string(++rows_);
    for (const char* name : {"pg", "my"}) {
      Result<Branch*> branch = (*txn)->Enlist(name);
      EXPECT_TRUE(branch.ok()) << branch.status().ToString();
      if (!branch.ok()) return "";
      Result<int64_t> inserted = (*branch)->Execute(
          "INSERT INTO xatm_logging_test_rows (id) VALUES (?)", {id});
      EXPECT_TRUE(inserted.ok()) << inserted.status().ToString();
    }
    Status committed = (*txn)->Commit();
    EXPECT_TRUE(committed.ok()) << committed.ToString();
    return (*txn)->gtrid();
  }

  std::string node_;
  xatm::testing::TempDir dir_;
  std::vector<std::shared_ptr<Resource>> resources_;
  std::unique_ptr<TransactionManager> tm_;
  int rows_ = 0;
};

TEST_F(LibraryLoggingTest, SuccessfulTransactionWritesNothingByDefault) {
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const std::string gtrid = CommitOnBoth();
  const std::string out = ::testing::internal::GetCapturedStdout();
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_FALSE(gtrid.empty());
  EXPECT_EQ(out, "") << "the library wrote to the application's stdout";
  EXPECT_EQ(err, "") << "the library logged a successful transaction";
}

TEST_F(LibraryLoggingTest, ApplicationLoggerAtDebugGetsEveryStepWithTheXid) {
  RingLogger app(spdlog::level::debug);
  SetLogger(app.logger());
  ::testing::internal::CaptureStdout();
  const std::string gtrid = CommitOnBoth();
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
  ASSERT_FALSE(gtrid.empty());
  const std::vector<LoggedLine> lines = app.Lines();
  std::string all;
  for (const LoggedLine& line : lines) all += line.text + "\n";
  auto said = [&](const std::string& text) {
    return std::any_of(lines.begin(), lines.end(), [&](const LoggedLine& l) {
      return l.text.find(text) != std::string::npos &&
             l.level == spdlog::level::debug;
    });
  };
  const std::string pg = "postgresql resource 'pg' xid=" + gtrid + ": ";
  EXPECT_TRUE(said(pg + "prepared (gid ")) << all;
  EXPECT_TRUE(said(pg + "committed prepared branch")) << all;
  EXPECT_TRUE(said("xid=" + gtrid + " XA END + XA PREPARE on my")) << all;
  EXPECT_TRUE(said("xid=" + gtrid + " XA COMMIT on my")) << all;
  EXPECT_TRUE(said("xid=" + gtrid + " committed")) << all;
  // Lines about a transaction name it; session lines of the pools may not.
  for (const LoggedLine& line : lines) {
    if (line.text.find("xid=") == std::string::npos) continue;
    EXPECT_NE(line.text.find("xid=" + gtrid), std::string::npos) << line.text;
  }
}

TEST_F(LibraryLoggingTest, ApplicationLoggerAtInfoHearsNothingOfACommit) {
  RingLogger app(spdlog::level::info);
  SetLogger(app.logger());
  EXPECT_FALSE(CommitOnBoth().empty());
  for (const LoggedLine& line : app.Lines()) ADD_FAILURE() << line.text;
}

}  // namespace
}  // namespace xatm
