// A transfer between two databases in one global transaction, whole: 25.00
// leaves an account in PostgreSQL and reaches one in MariaDB, both or
// neither. A second transfer asks for more than is left: PostgreSQL's CHECK
// refuses the debit, so nothing of it commits anywhere. CI builds it and
// runs it against the test servers (two_phase_transfer_test); docs/install.md
// lists the examples.
//
//   . DIR/env.sh                    # after scripts/db.sh start DIR
//   two_phase_transfer LOG_DIR
//
// The databases come from the environment (examples/test_databases.h);
// LOG_DIR holds the decision log (made when missing). Exit 0 when the
// balances are 75.00 and 25.00 afterwards: moved once, nothing lost or
// made; 1 otherwise.
#include <xatm/xatm.h>

#include <cstdio>
#include <string>

#include "test_databases.h"

namespace {

int Fail(const xatm::Status& status) {
  std::fprintf(stderr, "%s\n", status.ToString().c_str());
  return 1;
}

// One statement per database: the same SQL suits both dialects.
constexpr char kCreate[] =
    "CREATE TABLE IF NOT EXISTS transfer_example_accounts ("
    "id VARCHAR(64) PRIMARY KEY, balance DECIMAL(20,2) NOT NULL "
    "CHECK (balance >= 0))";
constexpr char kAdd[] =
    "UPDATE transfer_example_accounts SET balance = balance + "
    "CAST(? AS DECIMAL(20,2)) WHERE id = ?";
constexpr char kSubtract[] =
    "UPDATE transfer_example_accounts SET balance = balance - "
    "CAST(? AS DECIMAL(20,2)) WHERE id = ?";

// Moves `amount` from account `from` in PostgreSQL to account `to` in
// MariaDB. Any early return destroys the transaction, which rolls back
// every branch it started.
xatm::Status Transfer(xatm::TransactionManager& tm, const std::string& from,
                      const std::string& to, const std::string& amount) {
  XATM_ASSIGN_OR_RETURN(auto txn, tm.Begin());
  XATM_ASSIGN_OR_RETURN(auto* pg, txn->Enlist("pg"));  // BEGIN
  // Its error may be e.g. the CHECK: too little money.
  XATM_RETURN_IF_ERROR(pg->Execute(kSubtract, {amount, from}).status());
  XATM_ASSIGN_OR_RETURN(auto* my, txn->Enlist("my"));  // XA START
  XATM_RETURN_IF_ERROR(my->Execute(kAdd, {amount, to}).status());
  // Prepare both, log the decision, commit both.
  // OK | ABORTED | IN_DOUBT (recovery finishes it) | UNKNOWN_OUTCOME
  return txn->Commit();
}

// Creates the table when missing, and the account.
xatm::Status OpenAccount(xatm::Resource& resource, const std::string& id,
                         const std::string& balance) {
  XATM_RETURN_IF_ERROR(resource.ExecuteLocal(kCreate, {}));
  return resource.ExecuteLocal(
      "INSERT INTO transfer_example_accounts (id, balance) VALUES (?, ?)",
      {id, balance});
}

std::string Balance(xatm::Resource& resource, const std::string& id) {
  auto rows = resource.QueryLocal(
      "SELECT balance FROM transfer_example_accounts WHERE id = ?", {id});
  return rows.ok() && !rows->empty() ? rows->front()[0].value_or("") : "?";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: two_phase_transfer LOG_DIR\n");
    return 2;
  }
  auto pg = xatm::MakeResource(example::PostgresConfig());
  if (!pg.ok()) return Fail(pg.status());
  auto my = xatm::MakeResource(example::MariadbConfig());
  if (!my.ok()) return Fail(my.status());

  // This run's accounts: 100.00 in PostgreSQL, 0.00 in MariaDB.
  const std::string run = example::RunId();
  const std::string from = "alice-" + run;
  const std::string to = "bob-" + run;
  xatm::Status s = OpenAccount(**pg, from, "100.00");
  if (s.ok()) s = OpenAccount(**my, to, "0.00");
  if (!s.ok()) return Fail(s);

  xatm::TransactionManagerOptions options;
  options.node_id = "transfer-example";
  options.log_dir = argv[1];
  options.log_options.create_if_missing = true;
  auto opened = xatm::TransactionManager::Open(options, {*pg, *my});
  if (!opened.ok()) return Fail(opened.status());
  auto tm = std::move(opened).value();

  const xatm::Status moved = Transfer(*tm, from, to, "25.00");
  std::printf("transfer 25.00: %s\n", moved.ToString().c_str());
  const xatm::Status refused = Transfer(*tm, from, to, "500.00");
  std::printf("transfer 500.00: %s\n", refused.ToString().c_str());

  const std::string pg_balance = Balance(**pg, from);
  const std::string my_balance = Balance(**my, to);
  std::printf("balances: pg %s, my %s\n", pg_balance.c_str(),
              my_balance.c_str());
  const bool right = moved.ok() && !refused.ok() && pg_balance == "75.00" &&
                     my_balance == "25.00";
  (void)(*pg)->ExecuteLocal(
      "DELETE FROM transfer_example_accounts WHERE id = ?", {from});
  (void)(*my)->ExecuteLocal(
      "DELETE FROM transfer_example_accounts WHERE id = ?", {to});
  std::printf("two-phase transfer example %s\n", right ? "ok" : "WRONG");
  return right ? 0 : 1;
}
