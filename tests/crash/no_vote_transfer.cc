// A cross-database transfer driven by hand through the library, in which one
// branch votes no:
//
//   no_vote_transfer --config FILE --no-vote pg|my --from RES:ID --to RES:ID
//                    --amount X
//
// --no-vote pg: a failing statement in the PostgreSQL branch, error ignored,
//   so PostgreSQL answers PREPARE TRANSACTION with tag ROLLBACK (a no vote).
// --no-vote my: the MariaDB branch's session is killed from another
//   connection, so its prepare fails.
// Prints "gtrid <gtrid>" first. Exit: 0 committed, 1 aborted (what a no vote
// must give), 3 in doubt, 2 usage, 4 the scenario could not be set up.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "adapters/mysql/my_connection.h"
#include "cli/bank/account_ref.h"
#include "cli/bank/amount.h"
#include "cli/logging.h"
#include "xatm/config.h"
#include "xatm/open_from_config.h"
#include "xatm/transaction.h"
#include "xatm/transaction_manager.h"

namespace xatm {
namespace {

// The statements of cli/bank/transfer.cc (not exposed there).
constexpr char kDebitSql[] =
    "UPDATE xatm_accounts SET balance = balance - CAST(? AS DECIMAL(20,2)) "
    "WHERE id = ? AND balance >= CAST(? AS DECIMAL(20,2))";
constexpr char kCreditSql[] =
    "UPDATE xatm_accounts SET balance = balance + CAST(? AS DECIMAL(20,2)) "
    "WHERE id = ?";
constexpr char kLedgerSql[] =
    "INSERT INTO xatm_ledger (gtrid, branch, account, delta) "
    "VALUES (?, ?, ?, CAST(? AS DECIMAL(20,2)))";

constexpr int kUsage = 2;
constexpr int kSetUpFailed = 4;

struct Args {
  std::string config;
  std::string no_vote;
  AccountRef from;
  AccountRef to;
  Amount amount;
};

bool ParseArgs(int argc, char** argv, Args* args) {
  std::map<std::string, std::string> flags;
  for (int i = 1; i + 1 < argc; i += 2) flags[argv[i]] = argv[i + 1];
  if (argc % 2 != 1 || flags.size() != 5) return false;
  args->config = flags["--config"];
  args->no_vote = flags["--no-vote"];
  Result<AccountRef> from = AccountRef::Parse(flags["--from"]);
  Result<AccountRef> to = AccountRef::Parse(flags["--to"]);
  Result<Amount> amount = Amount::ParsePositive(flags["--amount"]);
  if (!from.ok() || !to.ok() || !amount.ok() || args->config.empty()) {
    return false;
  }
  args->from = *from;
  args->to = *to;
  args->amount = *amount;
  return args->no_vote == "pg" || args->no_vote == "my";
}

int Fail(const std::string& what, const Status& s) {
  std::fprintf(stderr, "no_vote_transfer: %s: %s\n", what.c_str(),
               s.ToString().c_str());
  return kSetUpFailed;
}

// Debit or credit of one account plus its ledger row, inside the branch.
Status RunLeg(Branch& branch, const std::string& gtrid,
              const AccountRef& account, const Amount& delta) {
  Result<int64_t> rows =
      delta.is_negative()
          ? branch.Execute(kDebitSql, {delta.Negated().ToString(), account.id,
                                       delta.Negated().ToString()})
          : branch.Execute(kCreditSql, {delta.ToString(), account.id});
  if (!rows.ok()) return rows.status();
  if (*rows != 1) return Status::NotFound("no row for " + account.ToString());
  Result<int64_t> ledger = branch.Execute(
      kLedgerSql, {gtrid, account.resource, account.id, delta.ToString()});
  return ledger.ok() ? Status::Ok() : ledger.status();
}

// Kills the session of the MariaDB branch from a connection of our own and
// waits until the server has let it go.
Status KillSession(Branch& branch, const ResourceConfig& config) {
  Result<std::vector<Row>> id = branch.Query("SELECT CONNECTION_ID()", {});
  if (!id.ok()) return id.status();
  if (id->size() != 1 || (*id)[0].empty() || !(*id)[0][0]) {
    return Status::Internal("no CONNECTION_ID()");
  }
  const std::string session = *(*id)[0][0];
  if (session.find_first_not_of("0123456789") != std::string::npos) {
    return Status::Internal("odd CONNECTION_ID() " + session);
  }
  Result<std::unique_ptr<MyConnection>> opened = MyConnection::Open(config);
  if (!opened.ok()) return opened.status().WithContext("connect");
  std::unique_ptr<MyConnection> killer = std::move(opened).value();
  MyStatus killed = killer->Run("KILL CONNECTION " + session);
  if (!killed.ok()) return killed.ToStatus("KILL");
  for (int i = 0; i < 100; ++i) {
    std::vector<Row> rows;
    MyStatus s = killer->RunQuery(
        "SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = " + session,
        &rows);
    if (!s.ok()) return s.ToStatus("PROCESSLIST");
    if (rows.empty()) return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Status::Internal("session " + session + " outlived its KILL");
}

int Run(const Args& args) {
  Result<Config> config = LoadConfig(args.config);
  if (!config.ok()) return Fail("config", config.status());
  Result<std::unique_ptr<TransactionManager>> tm =
      OpenTransactionManager(*config);
  if (!tm.ok()) return Fail("opening the manager", tm.status());
  Result<std::unique_ptr<Transaction>> txn = (*tm)->Begin();
  if (!txn.ok()) return Fail("begin", txn.status());
  const std::string gtrid = (*txn)->gtrid();
  std::printf("gtrid %s\n", gtrid.c_str());
  std::fflush(stdout);

  // Canonical order, as the bank's Transfer touches accounts.
  std::vector<std::pair<AccountRef, Amount>> legs = {
      {args.from, args.amount.Negated()}, {args.to, args.amount}};
  std::sort(legs.begin(), legs.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [account, delta] : legs) {
    Result<Branch*> branch = (*txn)->Enlist(account.resource);
    if (!branch.ok()) return Fail("enlist", branch.status());
    Status s = RunLeg(**branch, gtrid, account, delta);
    if (!s.ok()) return Fail("leg of " + account.ToString(), s);
  }

  Result<Branch*> voter = (*txn)->Enlist(args.no_vote);
  if (!voter.ok()) return Fail("enlist", voter.status());
  if (args.no_vote == "pg") {
    // Ignored on purpose: the branch is now a failed transaction.
    Result<std::vector<Row>> failed = (*voter)->Query("SELECT 1/0", {});
    if (failed.ok()) return Fail("SELECT 1/0", Status::Internal("succeeded"));
  } else {
    const ResourceConfig* my = config->FindResource("my");
    if (my == nullptr) return Fail("config", Status::NotFound("no 'my'"));
    Status killed = KillSession(**voter, *my);
    if (!killed.ok()) return Fail("killing the branch's session", killed);
  }

  Status committed = (*txn)->Commit();
  std::printf("%s\n", committed.ToString().c_str());
  switch (committed.code()) {
    case StatusCode::kOk:
      return 0;
    case StatusCode::kAborted:
      return 1;
    case StatusCode::kInDoubt:
      return 3;
    default:
      return kSetUpFailed;
  }
}

}  // namespace
}  // namespace xatm

int main(int argc, char** argv) {
  xatm::Args args;
  if (!xatm::ParseArgs(argc, argv, &args)) {
    std::fprintf(stderr,
                 "usage: no_vote_transfer --config FILE --no-vote pg|my "
                 "--from RES:ID --to RES:ID --amount X\n");
    return xatm::kUsage;
  }
  (void)xatm::SetUpLogging("info");
  return xatm::Run(args);
}
