#include "bench/backlog/recovery_backlog.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace xatm::backlog {
namespace {

constexpr char kLedgerInsertSql[] =
    "INSERT INTO xatm_ledger (gtrid, branch, account, delta) "
    "VALUES (?, ?, ?, ?)";

// One branch of a pair: the balance update and its ledger row, prepared.
// The branch object is dropped prepared, as a crashed coordinator leaves it.
Status PrepareBranch(Resource& resource, const Xid& xid,
                     const std::string& account, bool debit) {
  XATM_ASSIGN_OR_RETURN(std::unique_ptr<Branch> branch, resource.Begin(xid));
  XATM_ASSIGN_OR_RETURN(
      int64_t updated,
      branch->Execute(
          debit ? "UPDATE xatm_accounts SET balance = balance - 1 WHERE id = ?"
                : "UPDATE xatm_accounts SET balance = balance + 1 WHERE id = ?",
          {account}));
  if (updated != 1) {
    return Status::Internal("account " + account + " missing in " +
                            resource.name());
  }
  XATM_RETURN_IF_ERROR(branch->ExecuteDeferred(
      kLedgerInsertSql,
      {xid.Gtrid(), resource.name(), account, debit ? "-1.00" : "1.00"}));
  return branch->Prepare();
}

Status CreateAccounts(Resource& pg, Resource& my, const BacklogOptions& o) {
  const std::string last = std::to_string(o.pairs - 1);
  XATM_RETURN_IF_ERROR(
      pg.ExecuteLocal("INSERT INTO xatm_accounts (id, balance) "
                      "SELECT CAST(? AS text) || CAST(g AS text), 100 "
                      "FROM generate_series(0, CAST(? AS integer)) g",
                      {o.account_prefix, last}));
  // MariaDB's sequence engine: seq_0_to_N is a table of 0..N.
  return my.ExecuteLocal(
      "INSERT INTO xatm_accounts (id, balance) "
      "SELECT CONCAT(?, seq), 100 FROM seq_0_to_" +
          last,
      {o.account_prefix});
}

std::string Cents(int64_t cents) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%02lld",
                static_cast<long long>(cents / 100),
                static_cast<long long>(cents % 100));
  return buf;
}

// Every problem the databases show for one resource's side of the backlog.
Status CheckSide(Resource& resource, const Backlog& backlog, bool debit,
                 std::vector<std::string>* problems) {
  const std::string& name = resource.name();
  const std::string like = backlog.account_prefix + "%";
  std::set<std::string> gtrids;
  for (const BacklogPair& p : backlog.pairs) gtrids.insert(p.gtrid);

  XATM_ASSIGN_OR_RETURN(std::vector<PreparedBranch> prepared,
                        resource.ListPrepared());
  int still_prepared = 0;
  for (const PreparedBranch& b : prepared) {
    still_prepared += gtrids.count(b.id.xid.Gtrid()) != 0 ? 1 : 0;
  }
  if (still_prepared != 0) {
    problems->push_back(name + ": " + std::to_string(still_prepared) +
                        " branches still prepared");
  }

  XATM_ASSIGN_OR_RETURN(
      std::vector<Row> ledger,
      resource.QueryLocal(
          "SELECT account, gtrid, branch FROM xatm_ledger WHERE account LIKE ?",
          {like}));
  std::map<std::string, std::string> gtrid_of;  // account -> gtrid
  for (const Row& row : ledger) {
    if (row.size() != 3 || row[2].value_or("") != name) continue;
    gtrid_of[row[0].value_or("")] = row[1].value_or("");
  }
  XATM_ASSIGN_OR_RETURN(
      std::vector<Row> balances,
      resource.QueryLocal(
          "SELECT id, balance FROM xatm_accounts WHERE id LIKE ?", {like}));
  std::map<std::string, std::string> balance_of;
  for (const Row& row : balances) {
    if (row.size() == 2) balance_of[row[0].value_or("")] = row[1].value_or("");
  }
  int wrong_ledger = 0;
  int wrong_balance = 0;
  for (const BacklogPair& p : backlog.pairs) {
    auto row = gtrid_of.find(p.account);
    const bool has_row = row != gtrid_of.end() && row->second == p.gtrid;
    if (has_row != p.decided_commit || (!has_row && row != gtrid_of.end())) {
      if (++wrong_ledger <= 3) {
        problems->push_back(name + ": ledger of " + p.gtrid +
                            (p.decided_commit ? " missing" : " present"));
      }
    }
    const int64_t cents =
        kOpeningBalance * 100 + (p.decided_commit ? (debit ? -100 : 100) : 0);
    auto balance = balance_of.find(p.account);
    if (balance == balance_of.end() || balance->second != Cents(cents)) {
      if (++wrong_balance <= 3) {
        problems->push_back(
            name + ": account " + p.account + " holds " +
            (balance == balance_of.end() ? "nothing" : balance->second) +
            ", expected " + Cents(cents));
      }
    }
  }
  if (wrong_ledger > 0) {
    problems->push_back(name + ": " + std::to_string(wrong_ledger) +
                        " pairs with a wrong ledger");
  }
  if (wrong_balance > 0) {
    problems->push_back(name + ": " + std::to_string(wrong_balance) +
                        " accounts with a wrong balance");
  }

  XATM_ASSIGN_OR_RETURN(
      std::vector<Row> sum,
      resource.QueryLocal(
          "SELECT SUM(balance) FROM xatm_accounts WHERE id LIKE ?", {like}));
  const int64_t moved = static_cast<int64_t>(backlog.committed_count()) * 100;
  const std::string expected =
      Cents(static_cast<int64_t>(backlog.pairs.size()) * kOpeningBalance * 100 +
            (debit ? -moved : moved));
  const std::string got =
      sum.empty() || sum[0].empty() ? "" : sum[0][0].value_or("NULL");
  if (got != expected) {
    problems->push_back(name + ": sum " + got + ", expected " + expected);
  }
  return Status::Ok();
}

}  // namespace

int Backlog::committed_count() const {
  int n = 0;
  for (const BacklogPair& p : pairs) n += p.decided_commit ? 1 : 0;
  return n;
}

Result<Backlog> BuildBacklog(Resource& pg, Resource& my, DecisionLog& log,
                             XidGenerator& xids,
                             const BacklogOptions& options) {
  if (options.pairs <= 0 || options.threads <= 0 ||
      options.account_prefix.empty()) {
    return Status::InvalidArgument("backlog: pairs, threads and prefix");
  }
  XATM_RETURN_IF_ERROR(CreateAccounts(pg, my, options));

  Backlog backlog;
  backlog.account_prefix = options.account_prefix;
  backlog.pairs.resize(options.pairs);
  const std::vector<std::string> resources = {pg.name(), my.name()};
  std::atomic<int> next{0};
  std::mutex mu;
  Status first_error;
  auto work = [&] {
    for (int i = next++; i < options.pairs; i = next++) {
      const int64_t now_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count();
      const Xid xid = xids.Next(now_ms);
      BacklogPair& pair = backlog.pairs[i];
      pair.gtrid = xid.Gtrid();
      pair.account = options.account_prefix + std::to_string(i);
      pair.decided_commit = i % 2 == 0;
      Status s = PrepareBranch(pg, xid, pair.account, /*debit=*/true);
      if (s.ok()) s = PrepareBranch(my, xid, pair.account, /*debit=*/false);
      if (s.ok() && pair.decided_commit) {
        s = log.LogCommit(pair.gtrid, resources, now_ms);
      }
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (first_error.ok()) first_error = s.WithContext(pair.gtrid);
        next = options.pairs;  // stop every thread
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 1; t < options.threads; ++t) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  if (!first_error.ok()) return first_error;
  return backlog;
}

Result<std::vector<std::string>> CheckBacklog(Resource& pg, Resource& my,
                                              const Backlog& backlog) {
  std::vector<std::string> problems;
  XATM_RETURN_IF_ERROR(CheckSide(pg, backlog, /*debit=*/true, &problems));
  XATM_RETURN_IF_ERROR(CheckSide(my, backlog, /*debit=*/false, &problems));
  return problems;
}

}  // namespace xatm::backlog
