// A caller of the decision log waiting for its forced record, on its own
// stack: waking it does not touch the log's mutex, so the callers a sync
// released do not queue on that mutex behind new ones.
//
// A POSIX semaphore rather than a mutex and condition variable: one atomic
// and at most one futex call per wake-up. With a condition variable the
// woken thread often runs before the signaller has let go of the mutex and
// must sleep a second time, which on two CPUs costs more than the sync
// being shared.
#pragma once

#include <semaphore.h>

#include <cerrno>
#include <cstdint>

namespace xatm {

class CommitWaiter {
 public:
  enum class Wake {
    kNone,
    kSynced,  // a sync covered the record
    kFailed,  // the log failed before that
    kLead,    // no writer left: write the next batch
  };

  explicit CommitWaiter(uint64_t ticket) : ticket_(ticket) {
    ::sem_init(&sem_, /*pshared=*/0, 0);
  }
  ~CommitWaiter() { ::sem_destroy(&sem_); }
  CommitWaiter(const CommitWaiter&) = delete;
  CommitWaiter& operator=(const CommitWaiter&) = delete;

  uint64_t ticket() const { return ticket_; }

  // Blocks until Signal(), then returns what it said. Each Signal() is
  // matched by one Wait(): a waiter is signalled only while listed as
  // waiting, and it lists itself again only after Wait() returned.
  Wake Wait() {
    while (::sem_wait(&sem_) != 0 && errno == EINTR) {
    }
    return wake_;  // ordered after Signal's write by the semaphore
  }

  // The waiter may return from Wait() and free itself as soon as the post
  // is visible; glibc's sem_post touches nothing of the semaphore after
  // that but the futex word it wakes, which the kernel tolerates being gone.
  // The caller must not touch the waiter afterwards.
  void Signal(Wake wake) {
    wake_ = wake;
    ::sem_post(&sem_);
  }

 private:
  const uint64_t ticket_;
  sem_t sem_;
  Wake wake_ = Wake::kNone;
};

}  // namespace xatm
