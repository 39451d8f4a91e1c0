// ConnectionPool: keeps up to `max_idle` idle connections of one resource for
// reuse. Thread-safe; its lock is never held while talking to the server
// (connecting, checking, closing).
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "adapters/postgres/pg_connection.h"
#include "tm/status.h"

namespace xatm {

class ConnectionPool {
 public:
  // New connections get `lock_timeout_ms` (see PgConnection::Open).
  ConnectionPool(std::string conninfo, int connect_timeout_s, int max_idle,
                 int lock_timeout_ms = 0);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // An idle connection that still looks alive, or a new one. Idle
  // connections found dead are closed, never handed out.
  Result<std::unique_ptr<PgConnection>> Acquire();

  // Gives `connection` back: kept when healthy, outside any transaction and
  // the pool has room; closed otherwise. Null is ignored.
  void Release(std::unique_ptr<PgConnection> connection);

  size_t idle_count() const;

 private:
  const std::string conninfo_;
  const int connect_timeout_s_;
  const size_t max_idle_;
  const int lock_timeout_ms_;

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<PgConnection>> idle_;  // guarded by mu_
};

}  // namespace xatm
