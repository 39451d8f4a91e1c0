#include "adapters/mysql/my_connection_pool.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "xatm/logging.h"

namespace xatm {
namespace {

// Idle longer than this: ping before reuse (wait_timeout, a server restart
// or a KILL may have ended the session meanwhile).
constexpr std::chrono::milliseconds kPingAfterIdle{1000};

}  // namespace

MyConnectionPool::MyConnectionPool(ResourceConfig config)
    : config_(std::move(config)) {}

MyConnectionPool::~MyConnectionPool() = default;

Result<std::unique_ptr<MyConnection>> MyConnectionPool::OpenFresh(
    MyDeadline deadline) {
  Result<std::unique_ptr<MyConnection>> conn =
      MyConnection::Open(config_, deadline);
  if (!conn.ok()) {
    gauges_.CountConnectFailure();
    return conn;
  }
  (*conn)->set_open_ticket(PoolGauges::OpenTicket(&gauges_));
  Logger()->debug("mysql resource '{}': opened session {}", config_.name,
                  (*conn)->session_id());
  return conn;
}

Result<std::unique_ptr<MyConnection>> MyConnectionPool::Acquire(
    bool* reused, MyDeadline deadline) {
  const std::chrono::seconds server_idle_limit{
      std::max(config_.idle_session_timeout_s, 0)};
  for (;;) {
    std::unique_ptr<MyConnection> conn;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (idle_.empty()) break;
      conn = std::move(idle_.back());
      idle_.pop_back();
      gauges_.SetIdle(idle_.size());
    }
    const auto idle = std::chrono::steady_clock::now() - conn->last_used();
    if (server_idle_limit.count() > 0 && idle >= server_idle_limit) {
      Logger()->debug(
          "mysql resource '{}': dropped session {}, idle past "
          "wait_timeout",
          config_.name, conn->session_id());
      continue;  // the server has closed it
    }
    conn->set_deadline(deadline);
    if (idle > kPingAfterIdle && !conn->Ping()) {
      Logger()->debug("mysql resource '{}': dropped dead idle session {}",
                      config_.name, conn->session_id());
      continue;  // `conn` closes here, outside the lock
    }
    if (reused != nullptr) *reused = true;
    return conn;
  }
  if (reused != nullptr) *reused = false;
  return OpenFresh(deadline);
}

void MyConnectionPool::Release(std::unique_ptr<MyConnection> conn) {
  if (conn == nullptr) return;
  if (conn->broken()) {
    Logger()->debug("mysql resource '{}': closing broken session {}",
                    config_.name, conn->session_id());
    return;
  }
  conn->set_deadline(std::nullopt);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < static_cast<size_t>(std::max(config_.pool_size, 0))) {
      idle_.push_back(std::move(conn));
      gauges_.SetIdle(idle_.size());
      return;
    }
  }
  // Pool full: `conn` closes here, outside the lock.
}

size_t MyConnectionPool::idle_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return idle_.size();
}

}  // namespace xatm
