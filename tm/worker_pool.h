// A fixed set of threads that runs the branches of a phase in parallel, so a
// transaction never creates threads of its own.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "tm/status.h"

namespace xatm {

class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();  // Finishes queued work, then joins.

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs every task and returns their results in order. The first task runs
  // on the calling thread, the others on the pool: with two branches, one
  // hand-off per phase.
  std::vector<Status> RunAll(std::vector<std::function<Status()>> tasks);

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace xatm
