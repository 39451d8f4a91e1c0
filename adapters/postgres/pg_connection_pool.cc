#include "adapters/postgres/pg_connection_pool.h"

#include <algorithm>
#include <utility>

#include "xatm/logging.h"

namespace xatm {

PgConnectionPool::PgConnectionPool(PgConnectOptions options, int max_idle,
                                   int request_timeout_ms)
    : options_(std::move(options)),
      max_idle_(static_cast<size_t>(std::max(max_idle, 0))),
      request_timeout_ms_(request_timeout_ms) {}

Result<std::unique_ptr<PgConnection>> PgConnectionPool::Acquire(
    const PgDeadline& deadline) {
  for (;;) {
    std::unique_ptr<PgConnection> candidate;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (idle_.empty()) break;
      // Most recently used first: the warmest session.
      candidate = std::move(idle_.back());
      idle_.pop_back();
      gauges_.SetIdle(idle_.size());
    }
    if (candidate->CheckAlive()) {
      return Result<std::unique_ptr<PgConnection>>(std::move(candidate));
    }
    Logger()->debug(
        "postgresql pool: closing an idle connection whose session "
        "ended");
    // `candidate` closes here, outside the lock.
  }
  Result<std::unique_ptr<PgConnection>> opened =
      PgConnection::Open(options_, deadline);
  if (opened.ok()) {
    (*opened)->set_open_ticket(PoolGauges::OpenTicket(&gauges_));
  } else {
    gauges_.CountConnectFailure();
  }
  return opened;
}

void PgConnectionPool::Release(std::unique_ptr<PgConnection> connection) {
  if (connection == nullptr) return;
  if (connection->ReusableForPool()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < max_idle_) {
      idle_.push_back(std::move(connection));
      gauges_.SetIdle(idle_.size());
      return;
    }
  }
  // Broken, inside a transaction, or no room: `connection` closes when this
  // function returns, after the lock is released.
}

size_t PgConnectionPool::idle_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return idle_.size();
}

}  // namespace xatm
