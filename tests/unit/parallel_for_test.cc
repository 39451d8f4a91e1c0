// ParallelFor: every index once, never more threads than asked, and no
// thread at all for a single task.
#include "recovery/parallel_for.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace xatm {
namespace {

TEST(ParallelForTest, RunsEveryIndexExactlyOnce) {
  std::vector<std::atomic<int>> runs(1000);
  ParallelFor(runs.size(), 8, [&](size_t i) { ++runs[i]; });
  for (size_t i = 0; i < runs.size(); ++i) EXPECT_EQ(runs[i], 1) << i;
}

TEST(ParallelForTest, NeverRunsMoreThanWorkersAtOnce) {
  std::atomic<int> active{0};
  std::atomic<int> most{0};
  std::mutex mu;
  std::set<std::thread::id> threads;
  ParallelFor(64, 4, [&](size_t) {
    int now = ++active;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      threads.insert(std::this_thread::get_id());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    --active;
  });
  EXPECT_LE(most.load(), 4);
  EXPECT_GE(most.load(), 2);  // it did run in parallel
  EXPECT_LE(threads.size(), 4u);
  EXPECT_EQ(threads.count(std::this_thread::get_id()), 1u);  // caller too
}

TEST(ParallelForTest, ASingleTaskRunsOnTheCaller) {
  std::thread::id ran_on;
  ParallelFor(1, 8, [&](size_t) { ran_on = std::this_thread::get_id(); });
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(ParallelForTest, NoTasksAndNoWorkersAreFine) {
  int runs = 0;
  ParallelFor(0, 8, [&](size_t) { ++runs; });
  EXPECT_EQ(runs, 0);
  std::set<std::thread::id> threads;
  ParallelFor(5, 0, [&](size_t) {
    threads.insert(std::this_thread::get_id());
    ++runs;
  });
  EXPECT_EQ(runs, 5);
  EXPECT_EQ(threads, std::set<std::thread::id>{std::this_thread::get_id()});
}

}  // namespace
}  // namespace xatm
