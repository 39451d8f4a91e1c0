// SIGTERM and SIGINT as a stop request: the waiter wakes at once, the
// signal mask is restored afterwards, a second signal ends the process.
#include "cli/serve/stop_signal.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace xatm {
namespace {

using Clock = std::chrono::steady_clock;

int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() -
                                                               start)
      .count();
}

bool Blocked(int signal) {
  sigset_t mask;
  pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  return sigismember(&mask, signal) == 1;
}

TEST(StopSignalTest, WithoutASignalWaitsTheWholeTimeout) {
  StopSignal stop;
  const Clock::time_point start = Clock::now();
  EXPECT_FALSE(stop.WaitFor(100));
  EXPECT_GE(MsSince(start), 95);
  EXPECT_FALSE(stop.requested());
  EXPECT_EQ(stop.signal_number(), 0);
}

TEST(StopSignalTest, SignalsWakeTheWaiterAtOnce) {
  for (int signal : {SIGTERM, SIGINT}) {
    StopSignal stop;
    std::thread sender([signal] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      ::kill(::getpid(), signal);  // to the process, as systemd sends it
    });
    const Clock::time_point start = Clock::now();
    EXPECT_TRUE(stop.WaitFor(10000));
    EXPECT_LT(MsSince(start), 1000);
    sender.join();
    EXPECT_TRUE(stop.requested());
    EXPECT_EQ(stop.signal_number(), signal);
    EXPECT_STREQ(StopSignalName(stop.signal_number()),
                 signal == SIGTERM ? "SIGTERM" : "SIGINT");
    // Stays requested.
    EXPECT_TRUE(stop.WaitFor(0));
  }
}

TEST(StopSignalTest, RequestStopsWithoutASignal) {
  StopSignal stop;
  stop.Request();
  EXPECT_TRUE(stop.WaitFor(10000));
  EXPECT_EQ(stop.signal_number(), 0);
}

TEST(StopSignalTest, RestoresTheSignalMask) {
  ASSERT_FALSE(Blocked(SIGTERM));
  {
    StopSignal stop;
    EXPECT_TRUE(Blocked(SIGTERM));
    EXPECT_TRUE(Blocked(SIGINT));
    // Threads started now inherit the mask: the signal is the listener's.
    bool blocked_in_thread = false;
    std::thread([&] { blocked_in_thread = Blocked(SIGTERM); }).join();
    EXPECT_TRUE(blocked_in_thread);
  }
  EXPECT_FALSE(Blocked(SIGTERM));
  EXPECT_FALSE(Blocked(SIGINT));
}

TEST(StopSignalDeathTest, ASecondSignalEndsTheProcessAtOnce) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        StopSignal stop;
        ::kill(::getpid(), SIGTERM);
        if (!stop.WaitFor(5000)) std::_Exit(1);
        ::kill(::getpid(), SIGTERM);
        std::this_thread::sleep_for(std::chrono::seconds(5));
        std::_Exit(2);
      },
      ::testing::ExitedWithCode(128 + SIGTERM), "");
}

}  // namespace
}  // namespace xatm
