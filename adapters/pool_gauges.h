// A connection pool's counts for its resource's metrics: connections open
// (idle or in use), idle ones, failed connects. Counted from the start;
// shown once AttachMetrics gives the resource's handles. Thread-safe.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "xatm/metrics.h"

namespace xatm {

class PoolGauges {
 public:
  // Held by a connection: counts it open from its opening to its
  // destruction, wherever that happens. Must not outlive its PoolGauges.
  class OpenTicket {
   public:
    OpenTicket() = default;
    explicit OpenTicket(PoolGauges* gauges) : gauges_(gauges) {
      gauges_->AddOpen(1);
    }
    OpenTicket(OpenTicket&& other) noexcept
        : gauges_(std::exchange(other.gauges_, nullptr)) {}
    OpenTicket& operator=(OpenTicket&& other) noexcept {
      if (this != &other) {
        Reset();
        gauges_ = std::exchange(other.gauges_, nullptr);
      }
      return *this;
    }
    ~OpenTicket() { Reset(); }

   private:
    void Reset() {
      if (gauges_ != nullptr) gauges_->AddOpen(-1);
      gauges_ = nullptr;
    }
    PoolGauges* gauges_ = nullptr;
  };

  // From now on the counts show in the gauges of `resource` in `owner`.
  void Attach(std::shared_ptr<Metrics> owner, const std::string& resource) {
    std::lock_guard<std::mutex> lock(mu_);
    ResourceMetrics* metrics = owner->ForResource(resource);
    owner_ = std::move(owner);  // a branch may keep the pool past the resource
    attached_.store(metrics, std::memory_order_release);
    metrics->open_connections->Set(static_cast<double>(open_));
    metrics->idle_connections->Set(static_cast<double>(idle_.load()));
  }

  // The pool's idle count changed (called under the pool's lock, where it
  // already changes the count: no lock of its own).
  void SetIdle(size_t idle) {
    idle_ = idle;
    if (ResourceMetrics* m = attached_.load(std::memory_order_acquire)) {
      m->idle_connections->Set(static_cast<double>(idle));
    }
  }

  void CountConnectFailure() {
    if (ResourceMetrics* m = attached_.load(std::memory_order_acquire)) {
      m->connection_failures->Increment();
    }
  }

 private:
  // Opening and closing a connection costs a round trip: a lock is nothing.
  void AddOpen(int delta) {
    std::lock_guard<std::mutex> lock(mu_);
    open_ += delta;
    if (ResourceMetrics* m = attached_.load(std::memory_order_acquire)) {
      m->open_connections->Set(static_cast<double>(open_));
    }
  }

  std::mutex mu_;
  int64_t open_ = 0;                // guarded by mu_
  std::shared_ptr<Metrics> owner_;  // guarded by mu_
  std::atomic<size_t> idle_{0};
  std::atomic<ResourceMetrics*> attached_{nullptr};
};

}  // namespace xatm
