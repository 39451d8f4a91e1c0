// The decision log directory's identity, on the real file system: a missing
// or empty directory, another node's log and lost segments are refused; a
// log is made only when asked to create one.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/unit/run_process.h"
#include "xatm/decision_log.h"
#include "xatm/logging.h"

namespace xatm {
namespace {

namespace fs = std::filesystem;

class LogIdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Logger()->set_level(spdlog::level::off);
    dir_ = tmp_.path() + "/log";
  }
  void TearDown() override { SetLogger(nullptr); }

  Result<std::unique_ptr<DecisionLog>> Open(const std::string& node,
                                            bool create) {
    DecisionLogOptions options;
    options.node_id = node;
    options.create_if_missing = create;
    return DecisionLog::Open(dir_, options);
  }

  // FailedPrecondition whose message names the directory and holds `what`.
  void ExpectRefused(const Result<std::unique_ptr<DecisionLog>>& log,
                     const std::string& what) {
    ASSERT_FALSE(log.ok()) << "opened; expected: " << what;
    EXPECT_EQ(StatusCode::kFailedPrecondition, log.status().code())
        << log.status().ToString();
    EXPECT_NE(std::string::npos, log.status().message().find(dir_))
        << log.status().message();
    EXPECT_NE(std::string::npos, log.status().message().find(what))
        << log.status().message();
  }

  void CreateWithOneCommit() {
    Result<std::unique_ptr<DecisionLog>> log = Open("node-a", true);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    ASSERT_TRUE((*log)->LogCommit("g1", {"pg"}, 1).ok());
  }

  void RemoveSegments() {
    for (const auto& entry : fs::directory_iterator(dir_)) {
      if (entry.path().extension() == ".log") fs::remove(entry.path());
    }
  }

  testing::TempDir tmp_;
  std::string dir_;
};

TEST_F(LogIdentityTest, MissingDirectoryIsRefusedAndNotCreated) {
  ExpectRefused(Open("node-a", false), "xatm init");
  EXPECT_FALSE(fs::exists(dir_));
}

TEST_F(LogIdentityTest, EmptyDirectoryIsRefused) {
  fs::create_directories(dir_);
  ExpectRefused(Open("node-a", false), "is empty");
  EXPECT_FALSE(fs::exists(dir_ + "/xatm-log.id"));
}

TEST_F(LogIdentityTest, CreateThenReopenWithoutCreateKeepsTheDecisions) {
  CreateWithOneCommit();
  EXPECT_TRUE(fs::exists(dir_ + "/xatm-log.id"));
  EXPECT_FALSE(fs::exists(dir_ + "/xatm-log.id.tmp"));
  Result<std::unique_ptr<DecisionLog>> log = Open("node-a", false);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  EXPECT_TRUE((*log)->FindOpenCommit("g1").has_value());
}

TEST_F(LogIdentityTest, CreatingAnExistingLogKeepsIt) {
  CreateWithOneCommit();
  Result<std::unique_ptr<DecisionLog>> log = Open("node-a", true);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  EXPECT_TRUE((*log)->FindOpenCommit("g1").has_value());
}

TEST_F(LogIdentityTest, AnotherNodesLogIsRefused) {
  CreateWithOneCommit();
  ExpectRefused(Open("node-b", false),
                "belongs to node node-a, this is node node-b");
  ExpectRefused(Open("node-b", true),
                "belongs to node node-a, this is node node-b");
}

TEST_F(LogIdentityTest, IdentityWithoutSegmentsIsRefusedEvenWithCreate) {
  CreateWithOneCommit();
  RemoveSegments();
  ExpectRefused(Open("node-a", false), "no segment");
  ExpectRefused(Open("node-a", true), "no segment");
}

TEST_F(LogIdentityTest, SegmentsWithoutIdentityAreRefusedEvenWithCreate) {
  CreateWithOneCommit();
  fs::remove(dir_ + "/xatm-log.id");
  ExpectRefused(Open("node-a", false), "no identity");
  ExpectRefused(Open("node-a", true), "no identity");
}

TEST_F(LogIdentityTest, DamagedIdentityIsDataLoss) {
  CreateWithOneCommit();
  std::string bytes;
  {
    std::FILE* f = std::fopen((dir_ + "/xatm-log.id").c_str(), "r+b");
    ASSERT_NE(nullptr, f);
    std::fseek(f, 12, SEEK_SET);
    std::fputc('#', f);
    std::fclose(f);
  }
  Result<std::unique_ptr<DecisionLog>> log = Open("node-a", true);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(StatusCode::kDataLoss, log.status().code())
      << log.status().ToString();
}

TEST_F(LogIdentityTest, ScanReportsTheIdentity) {
  CreateWithOneCommit();
  Result<LogScan> scan = ScanDecisionLog(dir_);
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  EXPECT_TRUE(scan->has_identity);
  EXPECT_EQ("node-a", scan->node_id);
  EXPECT_GT(scan->created_ms, 1600000000000);
}

}  // namespace
}  // namespace xatm
