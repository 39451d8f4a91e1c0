// The tests' own view of the two test databases: accounts, balances, ledger
// rows, and the prepared branches each server holds. Prepared branches are
// read straight from pg_prepared_xacts and XA RECOVER rather than through
// Resource::ListPrepared, so a listing bug in an adapter cannot hide a
// leftover branch from the checks.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli/bank/account_ref.h"
#include "cli/bank/amount.h"
#include "xatm/resource.h"
#include "xatm/status.h"

namespace xatm::crash {

struct LedgerRow {
  std::string gtrid;
  Amount delta;
};

struct PreparedEntry {
  std::string gtrid;
  std::string database;  // "pg" or "my": where it is prepared
};

class BankView {
 public:
  // Resources "pg" and "my" on the test servers (connecting lazily). Make
  // a new view after restarting a server: pooled connections die with it.
  BankView();

  Resource& pg() { return *pg_; }
  Resource& my() { return *my_; }
  // "pg" or "my".
  Resource& Get(const std::string& name);

  // Inserts account `resource:id` with `balance`.
  Result<AccountRef> CreateAccount(const std::string& resource,
                                   const std::string& id,
                                   const Amount& balance);
  Result<Amount> Balance(const AccountRef& account);
  // Every ledger row of `account`, by gtrid.
  Result<std::vector<LedgerRow>> Ledger(const AccountRef& account);

  // Branches prepared in either server whose gtrid belongs to `node`
  // (exactly: "xatm:<node>:..."), or to any xatm node when `node` is empty.
  Result<std::vector<PreparedEntry>> Prepared(const std::string& node);

  // Statements naming a branch of `node` (PREPARE TRANSACTION, XA PREPARE,
  // XA COMMIT...) that a server is executing right now. One sent by a
  // process killed since still completes: a branch may become prepared
  // after its client died.
  Result<int> StatementsInFlight(const std::string& node);

 private:
  std::shared_ptr<Resource> pg_;
  std::shared_ptr<Resource> my_;
};

// Whether `gtrid` was made by `node`.
bool IsGtridOf(const std::string& gtrid, const std::string& node);

}  // namespace xatm::crash
