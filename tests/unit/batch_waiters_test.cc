// BatchWaiters: callers sleep per batch; one call wakes a whole batch and
// none of the next.
#include "tm/log/batch_waiters.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace xatm {
namespace {

// The log's pattern: a condition under a mutex, slept on per batch.
struct Batches {
  std::mutex mu;
  BatchWaiters waiters;
  uint64_t synced = 0;  // every batch up to this is done; guarded by mu

  void WaitFor(uint64_t batch) {
    std::unique_lock<std::mutex> lock(mu);
    while (synced < batch) {
      const uint32_t seen = waiters.Enter(batch);
      lock.unlock();
      waiters.Wait(batch, seen);
      lock.lock();
      waiters.Leave(batch);
    }
  }

  void Finish(uint64_t batch) {
    bool sleepers;
    {
      std::lock_guard<std::mutex> lock(mu);
      synced = batch;
      sleepers = waiters.Advance(batch);
    }
    if (sleepers) waiters.WakeAll(batch);
  }
};

TEST(BatchWaitersTest, WaitAfterAdvanceReturnsAtOnce) {
  BatchWaiters waiters;
  const uint32_t seen = waiters.Enter(1);
  EXPECT_TRUE(waiters.Advance(1));  // one caller registered
  waiters.Wait(1, seen);            // would sleep forever if it slept
  waiters.Leave(1);
  EXPECT_FALSE(waiters.Advance(1));
}

TEST(BatchWaitersTest, OneCallWakesItsBatchAndNotTheNext) {
  Batches batches;
  std::atomic<int> first_done{0}, second_done{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      batches.WaitFor(1);
      ++first_done;
    });
  }
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] {
      batches.WaitFor(2);
      ++second_done;
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(0, first_done.load());
  batches.Finish(1);
  for (int i = 0; i < 8; ++i) threads[i].join();
  EXPECT_EQ(8, first_done.load());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(0, second_done.load());
  batches.Finish(2);
  for (size_t i = 8; i < threads.size(); ++i) threads[i].join();
  EXPECT_EQ(3, second_done.load());
}

TEST(BatchWaitersTest, ManyBatchesInARowLoseNoWakeUp) {
  // Batches finish while callers are between Enter and Wait; none may
  // sleep through its batch (the test would hang).
  Batches batches;
  constexpr uint64_t kBatches = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t b = 1 + t % 2; b <= kBatches; b += 2) batches.WaitFor(b);
    });
  }
  for (uint64_t b = 1; b <= kBatches; ++b) batches.Finish(b);
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(kBatches, batches.synced);
}

}  // namespace
}  // namespace xatm
