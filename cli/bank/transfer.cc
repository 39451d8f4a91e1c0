#include "cli/bank/transfer.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "cli/bank/transfer_sql.h"
#include "xatm/run_keyed.h"
#include "xatm/transaction.h"

namespace xatm {
namespace {

using transfer_sql::kCredit;
using transfer_sql::kDebit;
using transfer_sql::kExists;
using transfer_sql::kLedger;

Status Failed(const Status& s, const AccountRef& account, const char* step) {
  return Status::Aborted(std::string(step) + " on " + account.ToString() +
                         " failed: " + s.ToString());
}

// Tells "unknown account" from "insufficient funds", asking in the same
// branch so the answer matches what the UPDATE saw.
Status NoRow(Branch& branch, const AccountRef& account, bool debit) {
  Result<std::vector<Row>> rows = branch.Query(kExists, {account.id});
  if (!rows.ok()) return Failed(rows.status(), account, "lookup");
  if (rows->empty()) {
    return Status::Aborted("unknown account " + account.ToString());
  }
  if (debit) {
    return Status::Aborted("insufficient funds in " + account.ToString());
  }
  return Status::Aborted("credit of " + account.ToString() + " changed no row");
}

}  // namespace

std::vector<TransferSide> TransferSides(const AccountRef& from,
                                        const AccountRef& to,
                                        const Amount& amount) {
  std::vector<TransferSide> sides = {{from, amount.Negated()}, {to, amount}};
  std::sort(sides.begin(), sides.end(),
            [](const TransferSide& a, const TransferSide& b) {
              return a.account < b.account;
            });
  return sides;
}

Status RunTransferSide(Branch& branch, const std::string& gtrid,
                       const TransferSide& side) {
  const bool debit = side.delta.is_negative();
  const std::string amount =
      (debit ? side.delta.Negated() : side.delta).ToString();
  Result<int64_t> rows =
      debit ? branch.Execute(kDebit, {amount, side.account.id, amount})
            : branch.Execute(kCredit, {amount, side.account.id});
  if (!rows.ok()) {
    return Failed(rows.status(), side.account, debit ? "debit" : "credit");
  }
  // Both databases count matched rows (MariaDB through CLIENT_FOUND_ROWS):
  // 0 means no row matched.
  if (*rows != 1) return NoRow(branch, side.account, debit);
  // Nothing reads its answer: it may travel with the prepare (or commit).
  Status ledger = branch.ExecuteDeferred(
      kLedger,
      {gtrid, side.account.resource, side.account.id, side.delta.ToString()});
  if (!ledger.ok()) return Failed(ledger, side.account, "ledger");
  return Status::Ok();
}

std::string TransferFingerprint(const AccountRef& from, const AccountRef& to,
                                const Amount& amount) {
  return "transfer " + from.ToString() + " -> " + to.ToString() + " " +
         amount.ToString();
}

Status CheckTransferRequest(const TransactionManager& tm,
                            const AccountRef& from, const AccountRef& to,
                            const Amount& amount) {
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
  return Status::Ok();
}

Result<TransferResult> Transfer(TransactionManager& tm, const AccountRef& from,
                                const AccountRef& to, const Amount& amount,
                                const std::optional<std::string>& key) {
  XATM_RETURN_IF_ERROR(CheckTransferRequest(tm, from, to, amount));
  std::optional<IdempotencyKey> idempotency;
  if (key) {
    idempotency = IdempotencyKey{*key, TransferFingerprint(from, to, amount)};
  }
  const std::vector<TransferSide> sides = TransferSides(from, to, amount);
  Result<KeyedOutcome> run =
      RunKeyed(tm, idempotency, [&sides](KeyedTransaction& txn) -> Status {
        for (const TransferSide& side : sides) {
          Result<Branch*> branch = txn.Enlist(side.account.resource);
          if (!branch.ok()) {
            return Failed(branch.status(), side.account, "enlist");
          }
          XATM_RETURN_IF_ERROR(RunTransferSide(**branch, txn.gtrid(), side));
        }
        return Status::Ok();
      });
  if (!run.ok()) return run.status();
  return TransferResult{run->gtrid, run->status, run->replayed, "2pc"};
}

}  // namespace xatm
