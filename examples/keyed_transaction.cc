// An idempotent request, whole: RunKeyed moves 10.00 from PostgreSQL to
// MariaDB under an idempotency key, then gets the same request with the
// same key again, as from a client retrying after a lost answer. The retry
// runs nothing and answers the first run's gtrid and outcome; the same key
// with another request is refused. CI builds it and runs it against the
// test servers (keyed_transaction_test); docs/install.md lists the examples.
//
//   . DIR/env.sh                    # after scripts/db.sh start DIR
//   keyed_transaction LOG_DIR
//
// The databases come from the environment (examples/test_databases.h);
// LOG_DIR holds the decision log (made when missing). Exit 0 when the work
// ran once, the retry was replayed with the first gtrid, the other request
// was refused and the balances are 90.00 and 10.00; 1 otherwise.
#include <xatm/xatm.h>

#include <cstdio>
#include <string>

#include "test_databases.h"

namespace {

int Fail(const xatm::Status& status) {
  std::fprintf(stderr, "%s\n", status.ToString().c_str());
  return 1;
}

// The same SQL suits both dialects.
constexpr char kAdd[] =
    "UPDATE keyed_example_accounts SET balance = balance + "
    "CAST(? AS DECIMAL(20,2)) WHERE id = ?";

// The key table (`xatm init` makes it too), the accounts table when
// missing, and the account.
xatm::Status Provision(xatm::Resource& resource, const std::string& id,
                       const std::string& balance) {
  XATM_RETURN_IF_ERROR(xatm::CreateKeyTable(resource));
  XATM_RETURN_IF_ERROR(resource.ExecuteLocal(
      "CREATE TABLE IF NOT EXISTS keyed_example_accounts ("
      "id VARCHAR(64) PRIMARY KEY, balance DECIMAL(20,2) NOT NULL)",
      {}));
  return resource.ExecuteLocal(
      "INSERT INTO keyed_example_accounts (id, balance) VALUES (?, ?)",
      {id, balance});
}

std::string Balance(xatm::Resource& resource, const std::string& id) {
  auto rows = resource.QueryLocal(
      "SELECT balance FROM keyed_example_accounts WHERE id = ?", {id});
  return rows.ok() && !rows->empty() ? rows->front()[0].value_or("") : "?";
}

void Print(const char* run, const xatm::Result<xatm::KeyedOutcome>& r) {
  if (!r.ok()) {
    std::printf("%s: %s\n", run, r.status().ToString().c_str());
    return;
  }
  std::printf("%s: %s %s%s\n", run, r->gtrid.c_str(),
              r->status.ToString().c_str(), r->replayed ? " (replayed)" : "");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: keyed_transaction LOG_DIR\n");
    return 2;
  }
  auto pg = xatm::MakeResource(example::PostgresConfig());
  if (!pg.ok()) return Fail(pg.status());
  auto my = xatm::MakeResource(example::MariadbConfig());
  if (!my.ok()) return Fail(my.status());
  const std::string run = example::RunId();
  const std::string from = "alice-" + run;
  const std::string to = "bob-" + run;
  xatm::Status s = Provision(**pg, from, "100.00");
  if (s.ok()) s = Provision(**my, to, "0.00");
  if (!s.ok()) return Fail(s);

  xatm::TransactionManagerOptions options;
  options.node_id = "keyed-example";
  options.log_dir = argv[1];
  options.log_options.create_if_missing = true;
  auto opened = xatm::TransactionManager::Open(options, {*pg, *my});
  if (!opened.ok()) return Fail(opened.status());
  auto tm = std::move(opened).value();

  // The request's work; `runs` counts how often it really ran.
  int runs = 0;
  auto move_ten = [&](xatm::KeyedTransaction& txn) -> xatm::Status {
    ++runs;
    XATM_ASSIGN_OR_RETURN(auto* a, txn.Enlist("pg"));  // claims the key
    XATM_RETURN_IF_ERROR(a->Execute(kAdd, {"-10.00", from}).status());
    XATM_ASSIGN_OR_RETURN(auto* b, txn.Enlist("my"));  // and here
    XATM_RETURN_IF_ERROR(b->Execute(kAdd, {"10.00", to}).status());
    return xatm::Status::Ok();  // commit
  };
  // The key names the request; the fingerprint says what it asks.
  const xatm::IdempotencyKey key{"move-" + run,
                                 "move 10.00 " + from + " -> " + to};
  const auto first = xatm::RunKeyed(*tm, key, move_ten);
  Print("first", first);
  const auto retry = xatm::RunKeyed(*tm, key, move_ten);
  Print("retry", retry);
  const xatm::IdempotencyKey other{key.key, "move 99.00 " + from + " -> " + to};
  const auto refused = xatm::RunKeyed(*tm, other, move_ten);
  Print("other request, same key", refused);

  const std::string pg_balance = Balance(**pg, from);
  const std::string my_balance = Balance(**my, to);
  std::printf("work ran %d time(s); balances: pg %s, my %s\n", runs,
              pg_balance.c_str(), my_balance.c_str());
  const bool right =
      first.ok() && first->status.ok() && !first->replayed && retry.ok() &&
      retry->replayed && retry->gtrid == first->gtrid && retry->status.ok() &&
      !refused.ok() &&
      refused.status().code() == xatm::StatusCode::kInvalidArgument &&
      runs == 1 && pg_balance == "90.00" && my_balance == "10.00";
  (void)(*pg)->ExecuteLocal("DELETE FROM keyed_example_accounts WHERE id = ?",
                            {from});
  (void)(*my)->ExecuteLocal("DELETE FROM keyed_example_accounts WHERE id = ?",
                            {to});
  std::printf("keyed transaction example %s\n", right ? "ok" : "WRONG");
  return right ? 0 : 1;
}
