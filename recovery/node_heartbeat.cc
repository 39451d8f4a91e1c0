#include "xatm/node_heartbeat.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <set>
#include <utility>

#include "recovery/process_identity.h"
#include "xatm/logging.h"

namespace xatm {
namespace {

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

// This process's token (process_identity.h); where /proc cannot tell, a
// random one that proves nothing to a successor.
std::string Instance() {
  std::optional<ProcessIdentity> self = ProcessIdentity::Self();
  if (self) return self->ToToken();
  // One per process, like the token: a heartbeat started again after Stop
  // finds its own row.
  static const std::string random_instance = [] {
    std::random_device random;
    char text[18];
    std::snprintf(text, sizeof(text), "r%08x%08x", random(), random());
    return std::string(text);
  }();
  return random_instance;
}

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The node ids a heartbeat of this process holds now: a row naming this
// process is a stopped heartbeat's (free) or a running one's (refused).
std::mutex held_mu;
std::set<std::string>& Held() {
  static std::set<std::string> held;
  return held;
}

std::string Seconds(int64_t ms) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f s", static_cast<double>(ms) / 1000);
  return text;
}

// Whether `holder`, the process named in the node's row, is gone: silent
// for alive_within, or proven dead by its token (a restart after a crash
// on this machine, in this pid namespace). Host names and pids alone prove
// nothing: containers share the one and repeat the other.
bool HolderGone(const NodeRecord& holder, int64_t alive_within_ms) {
  return holder.age_ms >= alive_within_ms || ProvenGone(holder.instance);
}

Status Claim(NodeRegistry& registry, const NodeRecord& self,
             int64_t alive_within_ms) {
  // Three rounds: a concurrent claim can only make one of them lose.
  for (int round = 0; round < 3; ++round) {
    XATM_ASSIGN_OR_RETURN(bool inserted, registry.InsertIfAbsent(self));
    if (inserted) return Status::Ok();
    XATM_ASSIGN_OR_RETURN(std::optional<NodeRecord> row,
                          registry.Find(self.node));
    if (!row.has_value()) continue;  // deleted meanwhile: insert again
    const NodeRecord& holder = *row;
    // This very process: a heartbeat it stopped (BackgroundSweeper::Stop).
    if (holder.instance == self.instance) return Status::Ok();
    if (!HolderGone(holder, alive_within_ms)) {
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
    XATM_ASSIGN_OR_RETURN(bool taken, registry.Take(self, holder.instance));
    if (taken) {
      Logger()->info(
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
  XATM_ASSIGN_OR_RETURN(std::unique_ptr<NodeRegistry> registry,
                        NodeRegistry::Open(*store));
  NodeRecord self{manager->node_id(), Instance(), HostName(),
                  static_cast<int64_t>(getpid()), 0};
  {
    std::lock_guard<std::mutex> lock(held_mu);
    if (!Held().insert(self.node).second) {
      return Status::FailedPrecondition(
          "node id '" + self.node +
          "' is already held by a running heartbeat of this process");
    }
  }
  const int64_t claim_started = SteadyMs();
  Status claimed = Claim(*registry, self, options.alive_within_ms);
  if (!claimed.ok()) {
    std::lock_guard<std::mutex> lock(held_mu);
    Held().erase(self.node);
    return claimed.WithContext("decision store '" + store->name() + "'");
  }
  std::unique_ptr<NodeHeartbeat> heartbeat(
      new NodeHeartbeat(std::move(registry), self, options));
  heartbeat->confirmed_ms_ = claim_started;
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
  if (thread_.joinable()) {
    thread_.join();
    std::lock_guard<std::mutex> lock(held_mu);
    Held().erase(self_.node);
  }
}

Status NodeHeartbeat::health() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!health_.ok()) return health_;
  // No other process can hold the id while the last beat that found the
  // row ours began less than alive_within ago. Past three quarters of it
  // (the process was stopped, or the store is out of reach) one may be
  // taking it over: nothing is decided in the node's name until a beat
  // says it is still ours.
  const int64_t silent_ms = SteadyMs() - confirmed_ms_;
  if (silent_ms > options_.alive_within_ms * 3 / 4) {
    return Status::Unavailable("node id '" + self_.node +
                               "' not confirmed for " + Seconds(silent_ms) +
                               " (its heartbeat is late)");
  }
  return Status::Ok();
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
    Logger()->warn("node {}: heartbeat failed: {}", self_.node,
                   status.ToString());
  }
  failing_ = true;
  return true;
}

void NodeHeartbeat::Confirm(int64_t since_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  confirmed_ms_ = since_ms;
}

bool NodeHeartbeat::BeatOnce() {
  // Taken before the beat: the row was ours at least from then on.
  const int64_t started = SteadyMs();
  Result<bool> beat = registry_->Beat(self_);
  if (!beat.ok()) return Failed(beat.status());
  if (*beat) {
    if (failing_) Logger()->info("node {}: heartbeat restored", self_.node);
    failing_ = false;
    Confirm(started);
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
      Logger()->warn(
          "node {}: its row was removed while it was silent (taken over); "
          "announced again",
          self_.node);
      failing_ = false;
      Confirm(started);
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
  Logger()->error("node {}: {}", self_.node, lost.message());
  std::lock_guard<std::mutex> lock(mu_);
  health_ = lost;
  return false;
}

}  // namespace xatm
