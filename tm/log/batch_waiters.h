// Callers of the decision log asleep until the batch that carries their
// forced record is synced.
//
// Every caller of one batch sleeps on the same futex word, so the writer
// wakes them all with one system call, and none of them runs before the
// writer is done waking (with one wake-up per caller, each woken caller
// preempted the writer between two wake-ups, doubling the context
// switches). Batches alternate between two words: the callers of batch
// b + 1 queue while batch b is written, and are not woken with it.
//
// Linux futexes: the log's fdatasync and flock make it Linux-only anyway.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdint>

namespace xatm {

class BatchWaiters {
 public:
  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) &&
                    std::atomic<uint32_t>::is_always_lock_free,
                "a futex word is a plain 32-bit integer");

  // Registers a caller about to sleep until `batch` is synced; returns the
  // value to pass to Wait. REQUIRES: the log's mutex held, as for Advance,
  // so that an Advance after this is seen by Wait.
  uint32_t Enter(uint64_t batch) {
    ++sleepers_[batch & 1];
    return Word(batch).load(std::memory_order_relaxed);
  }
  // REQUIRES: the log's mutex held.
  void Leave(uint64_t batch) { --sleepers_[batch & 1]; }

  // Sleeps unless `batch`'s word changed since Enter returned `seen`; may
  // return spuriously. REQUIRES: the log's mutex not held.
  void Wait(uint64_t batch, uint32_t seen) {
    ::syscall(SYS_futex, Address(batch), FUTEX_WAIT_PRIVATE, seen, nullptr,
              nullptr, 0);
  }

  // Changes `batch`'s word, so that a caller that entered before does not
  // sleep; true when some may be asleep, to be woken by WakeAll or
  // WakeOne. REQUIRES: the log's mutex held.
  bool Advance(uint64_t batch) {
    Word(batch).fetch_add(1, std::memory_order_relaxed);
    return sleepers_[batch & 1] > 0;
  }
  void WakeAll(uint64_t batch) { Wake(batch, INT_MAX); }
  void WakeOne(uint64_t batch) { Wake(batch, 1); }

 private:
  std::atomic<uint32_t>& Word(uint64_t batch) { return words_[batch & 1]; }
  uint32_t* Address(uint64_t batch) {
    return reinterpret_cast<uint32_t*>(&Word(batch));
  }
  void Wake(uint64_t batch, int count) {
    ::syscall(SYS_futex, Address(batch), FUTEX_WAKE_PRIVATE, count, nullptr,
              nullptr, 0);
  }

  std::atomic<uint32_t> words_[2] = {};
  int sleepers_[2] = {};  // guarded by the log's mutex
};

}  // namespace xatm
