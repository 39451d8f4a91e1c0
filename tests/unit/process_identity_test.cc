// The instance token of a node's holder (recovery/process_identity.h): it
// round-trips, fits the column, proves a gone process of this machine and
// pid namespace dead, and proves nothing of a live one or another space.
#include "recovery/process_identity.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace xatm {
namespace {

TEST(ProcessIdentityTest, TheTokenRoundTripsAndFitsTheColumn) {
  std::optional<ProcessIdentity> self = ProcessIdentity::Self();
  ASSERT_TRUE(self.has_value());
  EXPECT_EQ(self->pid, getpid());
  const std::string token = self->ToToken();
  EXPECT_LE(token.size(), 32u) << token;
  std::optional<ProcessIdentity> back = ProcessIdentity::FromToken(token);
  ASSERT_TRUE(back.has_value()) << token;
  EXPECT_TRUE(*back == *self);
  EXPECT_FALSE(ProcessIdentity::FromToken("r0123456789abcdef").has_value());
  EXPECT_FALSE(ProcessIdentity::FromToken(token + "x").has_value());
  EXPECT_FALSE(ProcessIdentity::FromToken("").has_value());
}

TEST(ProcessIdentityTest, OnlyAGoneProcessOfThisSpaceIsProvenGone) {
  std::optional<ProcessIdentity> self = ProcessIdentity::Self();
  ASSERT_TRUE(self.has_value());
  EXPECT_FALSE(ProvenGone(self->ToToken()));
  std::optional<ProcessIdentity> parent = ProcessIdentity::OfPid(getppid());
  ASSERT_TRUE(parent.has_value());
  EXPECT_FALSE(ProvenGone(parent->ToToken()));
  EXPECT_FALSE(ProvenGone("some-random-instance"));

  const pid_t child = fork();
  if (child == 0) _exit(0);
  siginfo_t info{};
  ASSERT_EQ(waitid(P_PID, child, &info, WEXITED | WNOWAIT), 0);
  std::optional<ProcessIdentity> dead = ProcessIdentity::OfPid(child);
  ASSERT_TRUE(dead.has_value());
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  EXPECT_TRUE(ProvenGone(dead->ToToken()));
  // The same pid reused by another process: another start time.
  ProcessIdentity reused = *self;
  reused.start_ticks += 1;
  EXPECT_TRUE(ProvenGone(reused.ToToken()));
  // Another pid namespace (another container): nothing proven.
  ProcessIdentity elsewhere = *dead;
  elsewhere.space ^= 1;
  EXPECT_FALSE(ProvenGone(elsewhere.ToToken()));
}

}  // namespace
}  // namespace xatm
