#include "tm/crash_point.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

namespace xatm {
namespace {

// Runs `hits` crash points named `name` in a child whose XATM_CRASH_AT is
// `spec`; returns the child's wait status. The parent never calls
// CrashPoint, so each child reads the environment afresh.
int RunChild(const char* spec, const char* name, int hits) {
  pid_t pid = fork();
  if (pid == 0) {
    setenv("XATM_CRASH_AT", spec, 1);
    for (int i = 0; i < hits; ++i) CrashPoint(name);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

bool KilledBySigkill(int status) {
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

TEST(CrashPointTest, SelectedPointKillsTheProcessLikeKillNine) {
  EXPECT_TRUE(KilledBySigkill(RunChild("after-decision", "after-decision", 1)));
}

TEST(CrashPointTest, OtherPointsDoNothing) {
  int status = RunChild("after-decision", "after-commit-first", 3);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(CrashPointTest, NthHitIsTheOneThatKills) {
  int survived = RunChild("after-commit-first:3", "after-commit-first", 2);
  ASSERT_TRUE(WIFEXITED(survived));
  EXPECT_TRUE(KilledBySigkill(
      RunChild("after-commit-first:3", "after-commit-first", 3)));
}

TEST(CrashPointTest, EveryPointHasAName) {
  int n = 0;
  for (const char* const* p = kCrashPoints; *p != nullptr; ++p) ++n;
  EXPECT_EQ(n, 17);
}

}  // namespace
}  // namespace xatm
