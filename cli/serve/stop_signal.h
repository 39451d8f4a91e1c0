// SIGTERM and SIGINT as a request to stop, for a long-running command.
//
// The signals are blocked in the constructing thread, and so in every
// thread started after it, and taken with sigwait() by a thread of its own:
// no handler runs in the middle of a database call, no system call anywhere
// fails with EINTR, and the waiter is woken through a condition variable.
// A second signal while the first is being honoured ends the process at
// once (exit 128 + signal), as a crash would: every step of recovery is
// crash-safe.
#pragma once

#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace xatm {

// "SIGTERM", "SIGINT"; "request" for 0 (StopSignal::Request).
const char* StopSignalName(int signal);

class StopSignal {
 public:
  // Construct it before any other thread starts (those would not block the
  // signals, and could be killed by them). One at a time per process.
  StopSignal();
  // Restores the signal mask the constructing thread had.
  ~StopSignal();
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  // Waits up to `timeout_ms` for a stop request; true once one came.
  bool WaitFor(int64_t timeout_ms);
  bool requested() const;
  // The signal that asked to stop (SIGTERM, SIGINT), 0 before one came or
  // when Request() did.
  int signal_number() const;

  // Asks to stop, as a signal would.
  void Request();

 private:
  void Listen();
  void Stop(int signal);

  sigset_t signals_;
  sigset_t old_mask_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool requested_ = false;  // guarded by mu_
  int signal_ = 0;          // guarded by mu_
  bool closing_ = false;    // guarded by mu_: the destructor runs
  std::thread listener_;
};

}  // namespace xatm
