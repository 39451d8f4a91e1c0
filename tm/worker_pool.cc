#include "tm/worker_pool.h"

#include <memory>

namespace xatm {

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
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

std::vector<Status> WorkerPool::RunAll(
    std::vector<std::function<Status()>> tasks) {
  std::vector<Status> results(tasks.size());
  if (tasks.empty()) return results;

  // Completion of the pooled tasks, counted down under its own lock.
  struct Pending {
    std::mutex mu;
    std::condition_variable cv;
    size_t remaining;
  };
  auto pending = std::make_shared<Pending>();
  pending->remaining = tasks.size() - 1;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 1; i < tasks.size(); ++i) {
      queue_.emplace_back([pending, &results, &tasks, i] {
        Status s = tasks[i]();
        std::lock_guard<std::mutex> done(pending->mu);
        results[i] = std::move(s);
        if (--pending->remaining == 0) pending->cv.notify_all();
      });
    }
  }
  if (tasks.size() > 2) {
    cv_.notify_all();
  } else if (tasks.size() == 2) {
    cv_.notify_one();
  }
  results[0] = tasks[0]();
  std::unique_lock<std::mutex> lock(pending->mu);
  pending->cv.wait(lock, [&] { return pending->remaining == 0; });
  return results;
}

}  // namespace xatm
