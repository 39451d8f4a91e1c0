/// @file
/// A fixed set of threads that runs the branches of a phase in parallel, so a
/// transaction never creates threads of its own.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "xatm/status.h"

namespace xatm {

/// A fixed set of threads (see xatm/worker_pool.h); the TransactionManager
/// owns one. RunAll may be called from any number of threads at once.
class WorkerPool {
 public:
  /// Starts `threads` threads (at least one).
  explicit WorkerPool(int threads);
  ~WorkerPool();  ///< Finishes queued work, then joins.

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Runs task(0) .. task(count - 1) in parallel and returns their results
  /// in order. task(0) runs on the calling thread, the others are offered to
  /// the pool; when the caller is done with its own it also runs any that no
  /// pool thread has started yet, so a busy pool slows a transaction down to
  /// sequential work instead of making it queue for a free thread.
  /// `task` must be callable concurrently with different indexes.
  template <typename Task>
  std::vector<Status> RunAll(size_t count, Task&& task) {
    using T = std::remove_reference_t<Task>;
    return Run(count, &Invoke<T>,
               const_cast<std::remove_const_t<T>*>(std::addressof(task)));
  }

 private:
  struct Batch;

  template <typename T>
  static Status Invoke(void* task, size_t i) {
    return (*static_cast<T*>(task))(i);
  }
  std::vector<Status> Run(size_t count, Status (*invoke)(void*, size_t),
                          void* task);
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  // One entry per task offered to the pool; a batch lives on its caller's
  // stack until none of its entries is queued or in a worker's hands.
  std::deque<Batch*> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace xatm
