// The decision log `xatm serve` holds only during a pass: it forwards to
// the log of the pass, frees the directory on Release, and between passes
// answers as a failed log would (nothing to presume abort from).
#include "cli/serve/pass_log.h"

#include <gtest/gtest.h>

#include "tests/unit/run_process.h"
#include "xatm/memory_decision_log.h"

namespace xatm {
namespace {

constexpr char kGtrid[] = "xatm:n1:1700000000000:0000000000000001";

TEST(PassLogTest, BetweenPassesRefusesEverythingAndPresumesNothing) {
  PassLog log("/var/lib/xatm");
  EXPECT_FALSE(log.held());
  EXPECT_FALSE(log.health().ok());
  EXPECT_NE(log.health().message().find("/var/lib/xatm"), std::string::npos);
  EXPECT_FALSE(log.LogCommit(kGtrid, {"pg", "my"}, 1).ok());
  EXPECT_FALSE(log.LogEnd(kGtrid, 1).ok());
  EXPECT_FALSE(log.LogHeuristic(kGtrid, {"pg"}, "x", 1).ok());
  EXPECT_FALSE(log.LogCommitAfterTheFact(kGtrid, {"pg"}, 1).ok());
  EXPECT_TRUE(log.OpenCommits().empty());
  EXPECT_FALSE(log.FindOpenCommit(kGtrid).has_value());
  EXPECT_TRUE(log.HasCommitHistory(kGtrid));  // never grounds for abort
  EXPECT_FALSE(log.ClaimAbort(kGtrid).ok());
  EXPECT_FALSE(log.shared());
  EXPECT_EQ(log.carrier(), "");
}

TEST(PassLogTest, ForwardsToTheLogOfThePass) {
  PassLog log("dir");
  auto first = std::make_unique<MemoryDecisionLog>();
  ASSERT_TRUE(first->LogCommit(kGtrid, {"pg", "my"}, 1).ok());
  log.Hold(std::move(first));
  EXPECT_TRUE(log.held());
  EXPECT_TRUE(log.health().ok());
  ASSERT_EQ(log.OpenCommits().size(), 1u);
  EXPECT_TRUE(log.FindOpenCommit(kGtrid).has_value());
  EXPECT_TRUE(log.LogEnd(kGtrid, 2, EndOrigin::kRecovery).ok());
  EXPECT_FALSE(log.FindOpenCommit(kGtrid).has_value());
  EXPECT_TRUE(log.HasCommitHistory(kGtrid));  // the recovery END's tombstone
  const std::string other = "xatm:n1:1700000000000:0000000000000002";
  EXPECT_FALSE(log.HasCommitHistory(other));
  Result<bool> abort = log.ClaimAbort(other);
  ASSERT_TRUE(abort.ok());
  EXPECT_TRUE(*abort);

  // The next pass sees its own log, not the last one's.
  log.Release();
  EXPECT_FALSE(log.held());
  log.Hold(std::make_unique<MemoryDecisionLog>());
  EXPECT_FALSE(log.HasCommitHistory(kGtrid));
}

TEST(PassLogTest, ReleaseFreesTheLogDirectory) {
  testing::TempDir dir;
  DecisionLogOptions options;
  options.node_id = "n1";
  options.create_if_missing = true;
  Result<std::unique_ptr<DecisionLog>> opened =
      DecisionLog::Open(dir.path() + "/log", options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  PassLog log(dir.path() + "/log");
  log.Hold(std::move(opened).value());
  ASSERT_TRUE(log.LogCommit(kGtrid, {"pg", "my"}, 1).ok());
  options.create_if_missing = false;
  EXPECT_FALSE(DecisionLog::Open(dir.path() + "/log", options).ok());

  log.Release();
  Result<std::unique_ptr<DecisionLog>> again =
      DecisionLog::Open(dir.path() + "/log", options);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE((*again)->FindOpenCommit(kGtrid).has_value());
}

}  // namespace
}  // namespace xatm
