#include "xatm/keyed_transaction.h"

#include "xatm/key_table.h"
#include "xatm/logging.h"

namespace xatm {

KeyedTransaction::KeyedTransaction(TransactionManager& manager,
                                   std::unique_ptr<Transaction> transaction,
                                   std::optional<IdempotencyKey> key)
    : manager_(manager),
      transaction_(std::move(transaction)),
      key_(std::move(key)) {}

Result<Branch*> KeyedTransaction::Enlist(const std::string& resource) {
  if (claim_ == Claim::kTaken) {
    return Status::AlreadyExists("key " + key_->key + " was already used");
  }
  if (claim_ == Claim::kFailed) return claim_error_;
  Result<Branch*> branch = transaction_->Enlist(resource);
  if (!branch.ok() || !key_ || claimed_in_.count(resource) != 0) {
    return branch;
  }
  Resource* r = manager_.FindResource(resource);
  const std::string type = r != nullptr ? r->type() : std::string();
  Result<bool> claimed = ClaimKeyInBranch(**branch, type, *key_, gtrid());
  if (!claimed.ok()) {
    claim_ = Claim::kFailed;
    claim_error_ = claimed.status().WithContext("claiming key " + key_->key +
                                                " in " + resource);
    Logger()->debug("xid={} {}", gtrid(), claim_error_.message());
    return claim_error_;
  }
  if (!*claimed) {
    claim_ = Claim::kTaken;
    Logger()->debug("xid={} key {} already used (found in {})", gtrid(),
                    key_->key, resource);
    return Status::AlreadyExists("key " + key_->key + " was already used");
  }
  claimed_in_.insert(resource);
  return branch;
}

}  // namespace xatm
