// A caller of the decision log waiting for its forced record, on its own
// stack, with its own mutex: waking it does not touch the log's mutex, so
// the callers a sync released do not queue on that mutex behind new ones.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace xatm {

class CommitWaiter {
 public:
  enum class Wake {
    kNone,
    kSynced,  // a sync covered the record
    kFailed,  // the log failed before that
    kLead,    // no writer left: write the next batch
  };

  explicit CommitWaiter(uint64_t ticket) : ticket_(ticket) {}
  CommitWaiter(const CommitWaiter&) = delete;
  CommitWaiter& operator=(const CommitWaiter&) = delete;

  uint64_t ticket() const { return ticket_; }

  // Blocks until Signal(), then returns what it said and rearms.
  Wake Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return wake_ != Wake::kNone; });
    const Wake wake = wake_;
    wake_ = Wake::kNone;
    return wake;
  }

  // The waiter cannot return from Wait(), and free itself, before this has
  // let go of its mutex; the caller must not touch it afterwards.
  void Signal(Wake wake) {
    std::lock_guard<std::mutex> lock(mu_);
    wake_ = wake;
    cv_.notify_one();
  }

 private:
  const uint64_t ticket_;
  std::mutex mu_;
  std::condition_variable cv_;
  Wake wake_ = Wake::kNone;
};

}  // namespace xatm
