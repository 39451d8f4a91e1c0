#include "xatm/node_heartbeat.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <random>
#include <utility>

namespace xatm {
namespace {

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

// Random per process start: tells this process's row from a predecessor's
// with the same node id, host and even pid (a container's pid 1).
std::string NewInstance() {
  std::random_device random;
  char text[17];
  std::snprintf(text, sizeof(text), "%08x%08x", random(), random());
  return text;
}

bool ProcessAlive(int64_t pid) {
  if (pid <= 0) return false;
  return kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

std::string Seconds(int64_t ms) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f s", static_cast<double>(ms) / 1000);
  return text;
}

// Whether `holder`, the process named in the node's row, is gone.
bool HolderGone(const NodeRecord& holder, const NodeRecord& self,
                int64_t alive_within_ms) {
  if (holder.age_ms >= alive_within_ms) return true;
  // On this host a crashed holder is known at once: its pid is free, or it
  // is ours (the same pid again, as in a container).
  return holder.host == self.host &&
         (holder.pid == self.pid || !ProcessAlive(holder.pid));
}

Status Claim(NodeRegistry& registry, const NodeRecord& self,
             int64_t alive_within_ms) {
  // Three rounds: a concurrent claim can only make one of them lose.
  for (int round = 0; round < 3; ++round) {
    Result<bool> inserted = registry.InsertIfAbsent(self);
    if (!inserted.ok()) return inserted.status();
    if (*inserted) return Status::Ok();
    Result<std::optional<NodeRecord>> row = registry.Find(self.node);
    if (!row.ok()) return row.status();
    if (!row->has_value()) continue;  // deleted meanwhile: insert again
    const NodeRecord& holder = **row;
    if (holder.instance == self.instance) return Status::Ok();
    if (!HolderGone(holder, self, alive_within_ms)) {
      return Status::FailedPrecondition(
          "node id '" + self.node + "' is in use by host " + holder.host +
          " pid " + std::to_string(holder.pid) + " (last heartbeat " +
          Seconds(holder.age_ms) +
          " ago): two running processes with one node id would take each "
          "other's transactions for their own. Stop that one or give this "
          "one a node id of its own; a crashed holder's id is free once it "
          "has been silent for " +
          Seconds(alive_within_ms) + " (takeover_after)");
    }
    Result<bool> taken = registry.Take(self, holder.instance);
    if (!taken.ok()) return taken.status();
    if (*taken) {
      spdlog::info(
          "node {}: took over the node id from host {} pid {} (silent for "
          "{})",
          self.node, holder.host, holder.pid, Seconds(holder.age_ms));
      return Status::Ok();
    }
  }
  return Status::Unavailable("node id '" + self.node +
                             "' changed hands three times while claiming it");
}

}  // namespace

NodeHeartbeatOptions HeartbeatOptionsFor(int64_t interval_ms,
                                         int64_t takeover_after_ms) {
  NodeHeartbeatOptions options;
  options.interval_ms = interval_ms;
  if (takeover_after_ms > 0) options.alive_within_ms = takeover_after_ms;
  return options;
}

Result<std::unique_ptr<NodeHeartbeat>> NodeHeartbeat::Start(
    TransactionManager* manager, NodeHeartbeatOptions options) {
  Resource* store = manager->log().store_resource();
  if (store == nullptr) {
    return Status::FailedPrecondition(
        "node heartbeats need a database decision store");
  }
  Result<std::unique_ptr<NodeRegistry>> registry = NodeRegistry::Open(*store);
  if (!registry.ok()) return registry.status();
  NodeRecord self{manager->node_id(), NewInstance(), HostName(),
                  static_cast<int64_t>(getpid()), 0};
  Status claimed = Claim(**registry, self, options.alive_within_ms);
  if (!claimed.ok()) {
    return claimed.WithContext("decision store '" + store->name() + "'");
  }
  std::unique_ptr<NodeHeartbeat> heartbeat(
      new NodeHeartbeat(std::move(registry).value(), self, options));
  heartbeat->thread_ = std::thread([h = heartbeat.get()] { h->Loop(); });
  return heartbeat;
}

NodeHeartbeat::NodeHeartbeat(std::unique_ptr<NodeRegistry> registry,
                             NodeRecord self, NodeHeartbeatOptions options)
    : registry_(std::move(registry)),
      self_(std::move(self)),
      options_(options) {}

NodeHeartbeat::~NodeHeartbeat() { Stop(); }

void NodeHeartbeat::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status NodeHeartbeat::health() const {
  std::lock_guard<std::mutex> lock(mu_);
  return health_;
}

void NodeHeartbeat::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (cv_.wait_for(lock, std::chrono::milliseconds(options_.interval_ms),
                     [this] { return stopping_; })) {
      break;
    }
    lock.unlock();
    const bool keep = BeatOnce();
    lock.lock();
    if (!keep) break;
  }
}

bool NodeHeartbeat::Failed(const Status& status) {
  // Said once per outage: the others may take this node over meanwhile,
  // which the decision fence keeps safe.
  if (!failing_) {
    spdlog::warn("node {}: heartbeat failed: {}", self_.node,
                 status.ToString());
  }
  failing_ = true;
  return true;
}

bool NodeHeartbeat::BeatOnce() {
  Result<bool> beat = registry_->Beat(self_);
  if (!beat.ok()) return Failed(beat.status());
  if (*beat) {
    if (failing_) spdlog::info("node {}: heartbeat restored", self_.node);
    failing_ = false;
    return true;
  }
  Result<std::optional<NodeRecord>> row = registry_->Find(self_.node);
  if (!row.ok()) return Failed(row.status());
  if (!row->has_value()) {
    // A sweeper took this node over while it was silent, found nothing of
    // it left and removed the row: it is back, so it says so again.
    Result<bool> back = registry_->InsertIfAbsent(self_);
    if (!back.ok()) return Failed(back.status());
    if (*back) {
      spdlog::warn(
          "node {}: its row was removed while it was silent (taken over); "
          "announced again",
          self_.node);
      failing_ = false;
      return true;
    }
    row = registry_->Find(self_.node);  // another process was quicker
    if (!row.ok()) return Failed(row.status());
  }
  std::string holder = "a process that removed its row";
  if (row->has_value()) {
    holder = "host " + (*row)->host + " pid " + std::to_string((*row)->pid);
  }
  Status lost = Status::FailedPrecondition(
      "node id '" + self_.node + "' was taken by " + holder +
      " while this process was silent: it no longer announces itself");
  spdlog::error("node {}: {}", self_.node, lost.message());
  std::lock_guard<std::mutex> lock(mu_);
  health_ = lost;
  return false;
}

}  // namespace xatm
