// The pool that runs the branches of a phase in parallel.
#include "xatm/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace xatm {
namespace {

using std::chrono::seconds;

// A one-shot gate with a timeout, so a broken pool fails instead of hanging.
class Gate {
 public:
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, seconds(10), [this] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

TEST(WorkerPoolTest, ResultsComeBackInTaskOrder) {
  WorkerPool pool(3);
  std::vector<Status> results = pool.RunAll(5, [](size_t i) {
    return i % 2 == 0 ? Status::Ok()
                      : Status::Aborted("task " + std::to_string(i));
  });
  ASSERT_EQ(results.size(), 5u);
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].ok(), i % 2 == 0) << i;
    if (i % 2 == 1) {
      EXPECT_EQ(results[i].message(), "task " + std::to_string(i));
    }
  }
  EXPECT_TRUE(pool.RunAll(0, [](size_t) { return Status::Ok(); }).empty());
}

TEST(WorkerPoolTest, TasksRunInParallel) {
  WorkerPool pool(1);
  Gate second_ran;
  // Task 0 runs on the caller and only returns once task 1 ran elsewhere.
  std::vector<Status> results = pool.RunAll(2, [&](size_t i) {
    if (i == 1) {
      second_ran.Open();
      return Status::Ok();
    }
    return second_ran.Wait() ? Status::Ok() : Status::Internal("not parallel");
  });
  EXPECT_TRUE(results[0].ok()) << results[0].ToString();
  EXPECT_TRUE(results[1].ok());
}

TEST(WorkerPoolTest, BusyPoolMakesTheCallerRunTheTasksItself) {
  WorkerPool pool(1);
  // Occupy the only pool thread.
  Gate occupied, release;
  auto blocker = std::async(std::launch::async, [&] {
    return pool.RunAll(2, [&](size_t i) {
      if (i == 1) {
        occupied.Open();
        release.Wait();
      } else {
        occupied.Wait();
      }
      return Status::Ok();
    });
  });
  ASSERT_TRUE(occupied.Wait());
  // No thread is free: the caller runs all three tasks, in turn.
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<int> on_caller{0};
  std::vector<Status> results = pool.RunAll(3, [&](size_t) {
    if (std::this_thread::get_id() == caller) ++on_caller;
    return Status::Ok();
  });
  EXPECT_EQ(on_caller.load(), 3);
  EXPECT_EQ(results.size(), 3u);
  release.Open();
  for (const Status& s : blocker.get()) EXPECT_TRUE(s.ok());
}

TEST(WorkerPoolTest, ManyConcurrentCallersEachGetTheirOwnResults) {
  WorkerPool pool(2);
  constexpr int kCallers = 8;
  constexpr int kRounds = 500;
  std::atomic<int> wrong{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      for (int round = 0; round < kRounds; ++round) {
        const size_t count = 1 + (c + round) % 4;
        std::vector<Status> results = pool.RunAll(count, [&](size_t i) {
          return Status::Aborted(std::to_string(c) + "/" +
                                 std::to_string(round) + "/" +
                                 std::to_string(i));
        });
        for (size_t i = 0; i < count; ++i) {
          if (results[i].message() != std::to_string(c) + "/" +
                                          std::to_string(round) + "/" +
                                          std::to_string(i)) {
            ++wrong;
          }
        }
      }
    });
  }
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace xatm
