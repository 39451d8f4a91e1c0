#include "xatm/transaction_manager.h"

#include <set>

#include "xatm/logging.h"
#include "xatm/transaction.h"

namespace xatm {
namespace {

Status ValidateResources(const std::vector<std::shared_ptr<Resource>>& all) {
  std::set<std::string> names;
  for (const auto& r : all) {
    if (r == nullptr) return Status::InvalidArgument("null resource");
    XATM_RETURN_IF_ERROR(ValidateResourceName(r->name()));
    if (!names.insert(r->name()).second) {
      return Status::InvalidArgument("resource '" + r->name() +
                                     "' configured twice");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<TransactionManager>> TransactionManager::Open(
    TransactionManagerOptions options,
    std::vector<std::shared_ptr<Resource>> resources) {
  XATM_RETURN_IF_ERROR(ValidateNodeId(options.node_id));
  XATM_RETURN_IF_ERROR(ValidateResources(resources));
  if (options.log_dir.empty()) {
    return Status::InvalidArgument("log_dir is not set");
  }
  // The log belongs to this node: Open refuses another node's.
  options.log_options.node_id = options.node_id;
  XATM_ASSIGN_OR_RETURN(
      std::unique_ptr<DecisionLog> log,
      DecisionLog::Open(options.log_dir, options.log_options));
  return Create(std::move(options), std::move(resources), std::move(log));
}

Result<std::unique_ptr<TransactionManager>> TransactionManager::Create(
    TransactionManagerOptions options,
    std::vector<std::shared_ptr<Resource>> resources,
    std::unique_ptr<DecisionLog> log) {
  XATM_RETURN_IF_ERROR(ValidateNodeId(options.node_id));
  XATM_RETURN_IF_ERROR(ValidateResources(resources));
  if (log == nullptr) return Status::InvalidArgument("no decision log");
  return std::unique_ptr<TransactionManager>(new TransactionManager(
      std::move(options), std::move(resources), std::move(log)));
}

TransactionManager::TransactionManager(
    TransactionManagerOptions options,
    std::vector<std::shared_ptr<Resource>> resources,
    std::unique_ptr<DecisionLog> log)
    : options_(std::move(options)),
      metrics_(std::make_shared<Metrics>(options_.metrics_registry)),
      resources_(std::move(resources)),
      log_(std::move(log)),
      clock_(options_.clock != nullptr ? options_.clock : Clock::System()),
      xids_(options_.node_id, log_->home()),
      workers_(options_.worker_threads) {
  log_->AttachMetrics(metrics_.get());
  metrics_->SetLogFailed(!log_->health().ok());
  for (const auto& r : resources_) {
    metrics_->ForResource(r->name());  // every series from 0, not on first use
    r->AttachMetrics(metrics_);
  }
}

TransactionManager::~TransactionManager() = default;

Result<std::unique_ptr<Transaction>> TransactionManager::Begin(
    std::chrono::milliseconds timeout) {
  Result<std::unique_ptr<Transaction>> txn = Begin();
  if (txn.ok()) {
    (*txn)->deadline_ = std::chrono::steady_clock::now() + timeout;
  }
  return txn;
}

Result<std::unique_ptr<Transaction>> TransactionManager::Begin() {
  Status healthy = health();
  if (!healthy.ok()) {
    metrics_->SetLogFailed(true);  // also a log that cannot say so itself
    return Status::FailedPrecondition(
        "transaction manager stopped accepting transactions: " +
        healthy.message());
  }
  Xid xid = xids_.Next(clock_->NowMs());
  std::unique_ptr<Transaction> txn(new Transaction(this, std::move(xid)));
  MarkInFlight(txn->gtrid());
  Logger()->debug("xid={} begin", txn->gtrid());
  return txn;
}

Resource* TransactionManager::FindResource(const std::string& name) const {
  for (const auto& r : resources_) {
    if (r->name() == name) return r.get();
  }
  return nullptr;
}

bool TransactionManager::IsInFlight(const std::string& gtrid) const {
  std::lock_guard<std::mutex> lock(in_flight_mu_);
  return in_flight_.count(gtrid) != 0;
}

void TransactionManager::MarkInFlight(const std::string& gtrid) {
  std::lock_guard<std::mutex> lock(in_flight_mu_);
  in_flight_.insert(gtrid);
}

void TransactionManager::MarkDone(const std::string& gtrid) {
  std::lock_guard<std::mutex> lock(in_flight_mu_);
  in_flight_.erase(gtrid);
}

}  // namespace xatm
