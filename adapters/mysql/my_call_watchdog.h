// Bounds blocking calls on a socket: a call arms a ticket with its socket
// and deadline; one process-wide thread shuts the socket down
// (shutdown(SHUT_RDWR)) when a deadline passes first, so the blocked read or
// write in the client library returns at once with "connection lost".
//
// Why: Connector/C++ 1.1 reaches libmariadb's read/write timeouts only at
// connect time and in whole seconds, and cannot change them afterwards; a
// branch's deadline is known later and is shorter than a second at times.
// The watchdog costs one mutex round per call and no server round trip;
// its thread wakes only when a deadline passes or a call arms one earlier
// than any it waits for.
#pragma once

#include <chrono>

namespace xatm {

class MyCallTicket {
 public:
  // Arms the watchdog for `fd` until `deadline`; does nothing when fd < 0.
  MyCallTicket(int fd, std::chrono::steady_clock::time_point deadline);
  // Disarms if still armed.
  ~MyCallTicket();
  MyCallTicket(const MyCallTicket&) = delete;
  MyCallTicket& operator=(const MyCallTicket&) = delete;

  // Disarms; true when the deadline passed first and the socket was shut
  // down (the connection is then unusable, whatever the call returned).
  bool Disarm();

  // Used by the watchdog thread under its lock.
  int fd() const { return fd_; }
  void MarkFired() { fired_ = true; }

 private:
  const int fd_;
  const std::chrono::steady_clock::time_point deadline_;
  bool armed_ = false;
  bool fired_ = false;  // guarded by the watchdog's lock while armed
};

}  // namespace xatm
