// Open connections of one resource kept for reuse. Thread-safe; the lock is
// never held while talking to the server (connect, ping, close happen
// outside it).
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "adapters/mysql/my_connection.h"
#include "adapters/pool_gauges.h"
#include "xatm/resource_config.h"

namespace xatm {

class MyConnectionPool {
 public:
  // Keeps a copy of `config` (password included, in memory only).
  explicit MyConnectionPool(ResourceConfig config);
  ~MyConnectionPool();
  MyConnectionPool(const MyConnectionPool&) = delete;
  MyConnectionPool& operator=(const MyConnectionPool&) = delete;

  // The most recently returned idle connection, or a new one. A connection
  // idle for more than a second is pinged first and dropped if dead; one
  // idle past the server's idle timeout (idle_session_timeout_s) is dropped
  // unasked. A reused connection may still have died a moment ago:
  // `*reused` (if given) tells callers whose statement is safe to repeat
  // that one retry on a fresh connection is worth it. The connection's
  // calls (the ping and the connect here too) keep `deadline`. The error
  // is MyConnection::Open's.
  Result<std::unique_ptr<MyConnection>> Acquire(
      bool* reused = nullptr, MyDeadline deadline = std::nullopt);

  // A new connection, never a pooled one.
  Result<std::unique_ptr<MyConnection>> OpenFresh(
      MyDeadline deadline = std::nullopt);

  // Takes `conn` back for reuse when it is healthy and there is room;
  // closes it otherwise. Its deadline is cleared. REQUIRES: no XA
  // transaction open on it.
  void Release(std::unique_ptr<MyConnection> conn);

  size_t idle_count() const;
  const ResourceConfig& config() const { return config_; }
  // The resource's gauges: open and idle connections, failed connects.
  void AttachMetrics(std::shared_ptr<Metrics> metrics,
                     const std::string& resource) {
    gauges_.Attach(std::move(metrics), resource);
  }
  const std::string& name() const { return config_.name; }

 private:
  const ResourceConfig config_;
  // Before idle_: the connections' tickets point at it.
  PoolGauges gauges_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<MyConnection>> idle_;  // guarded by mu_
};

}  // namespace xatm
