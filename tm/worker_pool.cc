#include "xatm/worker_pool.h"

#include <algorithm>
#include <atomic>

namespace xatm {

// The tasks of one RunAll call. Each index is claimed exactly once, by
// whoever gets to it first: the caller or a pool thread.
struct WorkerPool::Batch {
  Batch(Status (*invoke)(void*, size_t), void* task, size_t count,
        std::vector<Status>* results)
      : invoke(invoke), task(task), count(count), results(results) {}

  Status (*const invoke)(void*, size_t);
  void* const task;
  const size_t count;
  std::vector<Status>* const results;
  std::atomic<size_t> next{1};  // the next unclaimed index; 0 is the caller's

  // Queue entries taken by pool threads and not finished yet. The caller
  // waits for zero before its stack frame (and this batch) goes.
  std::mutex mu;
  std::condition_variable done;
  size_t in_hand = 0;

  // Runs unclaimed tasks until none is left.
  void RunUnclaimed() {
    for (size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
      (*results)[i] = invoke(task, i);
    }
  }
};

WorkerPool::WorkerPool(int threads) {
  if (threads < 1) threads = 1;
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void WorkerPool::Loop() {
  for (;;) {
    Batch* batch;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      batch = queue_.front();
      queue_.pop_front();
      // Counted before mu_ is released: the caller, which takes its
      // leftover entries back under mu_, then knows to wait for this one.
      std::lock_guard<std::mutex> hold(batch->mu);
      ++batch->in_hand;
    }
    const size_t i = batch->next.fetch_add(1);
    if (i < batch->count) (*batch->results)[i] = batch->invoke(batch->task, i);
    // Notified under the lock: the caller may destroy the batch as soon as
    // it sees zero.
    std::lock_guard<std::mutex> hold(batch->mu);
    if (--batch->in_hand == 0) batch->done.notify_one();
  }
}

std::vector<Status> WorkerPool::Run(size_t count,
                                    Status (*invoke)(void*, size_t),
                                    void* task) {
  std::vector<Status> results(count);
  if (count == 0) return results;
  Batch batch(invoke, task, count, &results);
  if (count > 1) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.insert(queue_.end(), count - 1, &batch);
    }
    if (count > 2) {
      cv_.notify_all();
    } else {
      cv_.notify_one();
    }
  }
  results[0] = invoke(task, 0);
  if (count == 1) return results;
  batch.RunUnclaimed();
  // Every task is claimed now; entries no thread took are withdrawn so that
  // none touches the batch later.
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.erase(std::remove(queue_.begin(), queue_.end(), &batch),
                 queue_.end());
  }
  std::unique_lock<std::mutex> lock(batch.mu);
  batch.done.wait(lock, [&] { return batch.in_hand == 0; });
  return results;
}

}  // namespace xatm
