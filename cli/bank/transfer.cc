#include "cli/bank/transfer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <vector>

#include "tm/transaction.h"

namespace xatm {
namespace {

// The balance check sits in the UPDATE itself, so a concurrent debit cannot
// slip between a read and the write. Amounts are bound as text and cast:
// exact decimals in both dialects.
constexpr char kDebitSql[] =
    "UPDATE xatm_accounts SET balance = balance - CAST(? AS DECIMAL(20,2)) "
    "WHERE id = ? AND balance >= CAST(? AS DECIMAL(20,2))";
constexpr char kCreditSql[] =
    "UPDATE xatm_accounts SET balance = balance + CAST(? AS DECIMAL(20,2)) "
    "WHERE id = ?";
constexpr char kExistsSql[] = "SELECT id FROM xatm_accounts WHERE id = ?";
constexpr char kLedgerSql[] =
    "INSERT INTO xatm_ledger (gtrid, branch, account, delta) "
    "VALUES (?, ?, ?, CAST(? AS DECIMAL(20,2)))";

struct Leg {
  AccountRef account;
  Amount delta;  // negative for the debit
};

// One transfer in progress: the legs run in canonical order, each branch
// gets its lock wait limit when first enlisted.
class TransferRun {
 public:
  TransferRun(TransactionManager& tm, Transaction& txn) : tm_(tm), txn_(txn) {}

  // OK, or Aborted with the reason the transfer cannot commit.
  Status RunLeg(const Leg& leg) {
    Result<Branch*> branch = EnlistBranch(leg.account.resource);
    if (!branch.ok()) return Failed(branch.status(), leg.account, "enlist");
    Status s =
        leg.delta.is_negative() ? Debit(**branch, leg) : Credit(**branch, leg);
    if (!s.ok()) return s;
    Result<int64_t> ledger =
        (*branch)->Execute(kLedgerSql, {txn_.gtrid(), leg.account.resource,
                                        leg.account.id, leg.delta.ToString()});
    if (!ledger.ok()) return Failed(ledger.status(), leg.account, "ledger");
    return Status::Ok();
  }

 private:
  Result<Branch*> EnlistBranch(const std::string& resource) {
    Result<Branch*> branch = txn_.Enlist(resource);
    if (!branch.ok() || !limited_.insert(resource).second) return branch;
    // A distributed deadlock is invisible to each database: bound every
    // lock wait so that such a transfer fails and rolls back instead.
    Resource* r = tm_.FindResource(resource);
    std::string seconds = std::to_string(kTransferLockTimeoutSeconds);
    std::string sql =
        r != nullptr && r->type() == "mysql"
            // SESSION, not LOCAL: MariaDB has no transaction-scoped form.
            // Every transfer sets it, so a pooled connection keeps a value
            // the next transfer would set anyway.
            ? "SET SESSION innodb_lock_wait_timeout = " + seconds
            // LOCAL ends with the transaction: pooled connections keep
            // their defaults.
            : "SET LOCAL lock_timeout = '" + seconds + "s'";
    Result<int64_t> set = (*branch)->Execute(sql, {});
    if (!set.ok()) {
      return set.status().WithContext("setting the lock wait limit on " +
                                      resource);
    }
    return branch;
  }

  Status Debit(Branch& branch, const Leg& leg) {
    std::string amount = leg.delta.Negated().ToString();
    Result<int64_t> rows =
        branch.Execute(kDebitSql, {amount, leg.account.id, amount});
    if (!rows.ok()) return Failed(rows.status(), leg.account, "debit");
    // MariaDB counts changed rows, not matched ones; a positive amount
    // always changes the balance, so 0 means "no row matched" in both.
    if (*rows == 1) return Status::Ok();
    return NoRow(branch, leg.account, /*debit=*/true);
  }

  Status Credit(Branch& branch, const Leg& leg) {
    Result<int64_t> rows =
        branch.Execute(kCreditSql, {leg.delta.ToString(), leg.account.id});
    if (!rows.ok()) return Failed(rows.status(), leg.account, "credit");
    if (*rows == 1) return Status::Ok();
    return NoRow(branch, leg.account, /*debit=*/false);
  }

  // Tells "unknown account" from "insufficient funds", asking in the same
  // branch so the answer matches what the UPDATE saw.
  Status NoRow(Branch& branch, const AccountRef& account, bool debit) {
    Result<std::vector<Row>> rows = branch.Query(kExistsSql, {account.id});
    if (!rows.ok()) return Failed(rows.status(), account, "lookup");
    if (rows->empty()) {
      return Status::Aborted("unknown account " + account.ToString());
    }
    if (debit) {
      return Status::Aborted("insufficient funds in " + account.ToString());
    }
    return Status::Aborted("credit of " + account.ToString() +
                           " changed no row");
  }

  static Status Failed(const Status& s, const AccountRef& account,
                       const char* step) {
    return Status::Aborted(std::string(step) + " on " + account.ToString() +
                           " failed: " + s.ToString());
  }

  TransactionManager& tm_;
  Transaction& txn_;
  std::set<std::string> limited_;
};

}  // namespace

Result<TransferResult> Transfer(TransactionManager& tm, const AccountRef& from,
                                const AccountRef& to, const Amount& amount) {
  if (amount.cents() <= 0) {
    return Status::InvalidArgument("amount " + amount.ToString() +
                                   " must be greater than zero");
  }
  if (from == to) {
    return Status::InvalidArgument("cannot transfer from " + from.ToString() +
                                   " to itself");
  }
  for (const AccountRef* account : {&from, &to}) {
    if (tm.FindResource(account->resource) == nullptr) {
      return Status::InvalidArgument("unknown resource '" + account->resource +
                                     "' in " + account->ToString());
    }
  }
  Result<std::unique_ptr<Transaction>> txn = tm.Begin();
  if (!txn.ok()) return txn.status();
  TransferResult result;
  result.gtrid = (*txn)->gtrid();

  std::vector<Leg> legs = {{from, amount.Negated()}, {to, amount}};
  std::sort(legs.begin(), legs.end(),
            [](const Leg& a, const Leg& b) { return a.account < b.account; });
  TransferRun run(tm, **txn);
  for (const Leg& leg : legs) {
    Status s = run.RunLeg(leg);
    if (s.ok()) continue;
    spdlog::info("xid={} transfer {} -> {} {}: rolling back: {}", result.gtrid,
                 from.ToString(), to.ToString(), amount.ToString(),
                 s.message());
    // Nothing is prepared yet: a branch the rollback cannot reach is
    // rolled back by its database when the connection goes.
    (void)(*txn)->Rollback();
    result.status = s;
    return result;
  }
  result.status = (*txn)->Commit();
  return result;
}

}  // namespace xatm
