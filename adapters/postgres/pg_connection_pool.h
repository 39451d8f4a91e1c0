// PgConnectionPool: keeps up to `max_idle` idle connections of one resource for
// reuse. Thread-safe; its lock is never held while talking to the server
// (connecting, checking, closing).
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "adapters/pool_gauges.h"
#include "adapters/postgres/pg_connection.h"
#include "xatm/status.h"

namespace xatm {

class PgConnectionPool {
 public:
  // New connections are opened with `options`. `request_timeout_ms` bounds
  // every round trip of the resource (<= 0: no bound).
  PgConnectionPool(PgConnectOptions options, int max_idle,
                   int request_timeout_ms);
  PgConnectionPool(const PgConnectionPool&) = delete;
  PgConnectionPool& operator=(const PgConnectionPool&) = delete;

  // An idle connection that still looks alive, or a new one, connected
  // within `deadline`. Idle connections found dead are closed, never handed
  // out. Checking an idle one costs no round trip.
  Result<std::unique_ptr<PgConnection>> Acquire(const PgDeadline& deadline);

  // The deadline of a request starting now: the request timeout from now.
  PgDeadline RequestDeadline() const {
    return PgDeadline::InMs(request_timeout_ms_);
  }

  // Gives `connection` back: kept when healthy, outside any transaction and
  // the pool has room; closed otherwise. Null is ignored.
  void Release(std::unique_ptr<PgConnection> connection);

  size_t idle_count() const;

  // The resource's gauges: open and idle connections, failed connects.
  void AttachMetrics(std::shared_ptr<Metrics> metrics,
                     const std::string& resource) {
    gauges_.Attach(std::move(metrics), resource);
  }

 private:
  const PgConnectOptions options_;
  const size_t max_idle_;
  const int request_timeout_ms_;

  // Before idle_: the connections' tickets point at it.
  PoolGauges gauges_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<PgConnection>> idle_;  // guarded by mu_
};

}  // namespace xatm
