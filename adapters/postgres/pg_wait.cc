#include "adapters/postgres/pg_wait.h"

#include <poll.h>

#include <cerrno>
#include <climits>

namespace xatm {
namespace {

// Waits until `fd` is ready for `events`, or has an error or hang-up (the
// libpq call that follows finds out which), or the deadline passes.
PgWait WaitForSocket(int fd, short events, const PgDeadline& deadline) {
  if (fd < 0) return PgWait::kFailed;
  for (;;) {
    int timeout_ms = -1;
    if (!deadline.unlimited()) {
      const auto left = deadline.at - PgDeadline::Clock::now();
      if (left.count() <= 0) return PgWait::kTimedOut;
      // Rounded up: waking before the deadline would only spin.
      const auto ms =
          std::chrono::ceil<std::chrono::milliseconds>(left).count();
      timeout_ms = ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
    }
    pollfd watched{fd, events, 0};
    const int ready = poll(&watched, 1, timeout_ms);
    if (ready > 0) return PgWait::kReady;
    if (ready < 0 && errno != EINTR) return PgWait::kFailed;
    // Timed out (the loop checks the deadline again) or interrupted.
  }
}

}  // namespace

PgWait AwaitConnected(PGconn* conn, const PgDeadline& deadline) {
  // libpq's protocol: act as if PQconnectPoll had asked to write first.
  PostgresPollingStatusType polling = PGRES_POLLING_WRITING;
  for (;;) {
    PgWait wait = PgWait::kReady;
    switch (polling) {
      case PGRES_POLLING_OK:
      case PGRES_POLLING_FAILED:
        return PgWait::kReady;
      case PGRES_POLLING_READING:
        // The socket may change between calls (another host or address).
        wait = WaitForSocket(PQsocket(conn), POLLIN, deadline);
        break;
      case PGRES_POLLING_WRITING:
        wait = WaitForSocket(PQsocket(conn), POLLOUT, deadline);
        break;
      default:  // PGRES_POLLING_ACTIVE (unused by libpq): poll again now
        if (deadline.passed()) wait = PgWait::kTimedOut;
        break;
    }
    // A failed wait is PQconnectPoll's to find out and report.
    if (wait == PgWait::kTimedOut) return wait;
    polling = PQconnectPoll(conn);
  }
}

PgWait AwaitResult(PGconn* conn, const PgDeadline& deadline) {
  for (;;) {
    // 0: all sent; 1: some left (the socket was full); -1: failed.
    const int flushed = PQflush(conn);
    if (flushed < 0) return PgWait::kFailed;
    if (flushed == 0 && !PQisBusy(conn)) return PgWait::kReady;
    if (PQstatus(conn) == CONNECTION_BAD) return PgWait::kFailed;
    // Reading while sending too: a server blocked on writing its answers
    // would otherwise never read the rest of ours.
    const short events = flushed == 1 ? (POLLIN | POLLOUT) : POLLIN;
    const PgWait wait = WaitForSocket(PQsocket(conn), events, deadline);
    if (wait != PgWait::kReady) return wait;
    if (PQconsumeInput(conn) == 0) return PgWait::kFailed;
  }
}

}  // namespace xatm
