#include "tests/crash/bank_view.h"

#include <stdexcept>

#include "adapters/mysql/my_connection.h"
#include "cli/bank/accounts.h"
#include "tests/integration/test_env.h"
#include "xatm/resource_factory.h"
#include "xatm/xid.h"

namespace xatm::crash {
namespace {

std::shared_ptr<Resource> MakeOrDie(const ResourceConfig& config) {
  Result<std::shared_ptr<Resource>> r = MakeResource(config);
  if (!r.ok()) {
    throw std::runtime_error("resource " + config.name + ": " +
                             r.status().ToString());
  }
  return std::move(r).value();
}

// Gtrids prepared in PostgreSQL's test database.
Result<std::vector<std::string>> PostgresPrepared(Resource& pg) {
  Result<std::vector<Row>> rows = pg.QueryLocal(
      "SELECT gid FROM pg_prepared_xacts WHERE database = current_database()",
      {});
  if (!rows.ok()) return rows.status();
  std::vector<std::string> gtrids;
  for (const Row& row : *rows) {
    if (row.empty() || !row[0]) continue;
    // gid = gtrid ":" resource
    const std::string& gid = *row[0];
    gtrids.push_back(gid.substr(0, gid.rfind(':')));
  }
  return gtrids;
}

// Gtrids XA RECOVER lists, from a session of our own.
Result<std::vector<std::string>> MariadbPrepared() {
  Result<std::unique_ptr<MyConnection>> opened =
      MyConnection::Open(xatm::testing::MysqlTestConfig("my"));
  if (!opened.ok()) return opened.status().WithContext("XA RECOVER connect");
  std::unique_ptr<MyConnection> conn = std::move(opened).value();
  std::vector<Row> rows;
  MyStatus listed = conn->RunQuery("XA RECOVER", &rows);
  if (!listed.ok()) return listed.ToStatus("XA RECOVER");
  std::vector<std::string> gtrids;
  // formatID, gtrid_length, bqual_length, data (gtrid bytes then bqual).
  for (const Row& row : rows) {
    if (row.size() < 4 || !row[1] || !row[3]) continue;
    size_t length = std::stoul(*row[1]);
    gtrids.push_back(row[3]->substr(0, length));
  }
  return gtrids;
}

}  // namespace

bool IsGtridOf(const std::string& gtrid, const std::string& node) {
  const std::string prefix = std::string(kXidPrefix) + node + ":";
  return gtrid.compare(0, prefix.size(), prefix) == 0;
}

BankView::BankView()
    : pg_(MakeOrDie(xatm::testing::PostgresTestConfig("pg"))),
      my_(MakeOrDie(xatm::testing::MysqlTestConfig("my"))) {}

Resource& BankView::Get(const std::string& name) {
  return name == "pg" ? *pg_ : *my_;
}

Result<AccountRef> BankView::CreateAccount(const std::string& resource,
                                           const std::string& id,
                                           const Amount& balance) {
  Status s = xatm::CreateAccount(Get(resource), id, balance);
  if (!s.ok()) return s;
  return AccountRef{resource, id};
}

Result<Amount> BankView::Balance(const AccountRef& account) {
  return ReadBalance(Get(account.resource), account.id);
}

Result<std::vector<LedgerRow>> BankView::Ledger(const AccountRef& account) {
  Result<std::vector<Row>> rows =
      Get(account.resource)
          .QueryLocal(
              "SELECT gtrid, delta FROM xatm_ledger WHERE account = ? ORDER BY "
              "gtrid",
              {account.id});
  if (!rows.ok()) return rows.status();
  std::vector<LedgerRow> ledger;
  for (const Row& row : *rows) {
    if (row.size() != 2 || !row[0] || !row[1]) {
      return Status::Internal("ledger row with NULL of " + account.ToString());
    }
    Result<Amount> delta = Amount::ParseStored(*row[1]);
    if (!delta.ok()) return delta.status();
    ledger.push_back(LedgerRow{*row[0], *delta});
  }
  return ledger;
}

Result<std::vector<PreparedEntry>> BankView::Prepared(const std::string& node) {
  std::vector<PreparedEntry> found;
  auto keep = [&](const std::vector<std::string>& gtrids, const char* db) {
    for (const std::string& g : gtrids) {
      bool ours = node.empty() ? g.rfind(std::string(kXidPrefix), 0) == 0
                               : IsGtridOf(g, node);
      if (ours) found.push_back(PreparedEntry{g, db});
    }
  };
  Result<std::vector<std::string>> pg = PostgresPrepared(*pg_);
  if (!pg.ok()) return pg.status();
  keep(*pg, "pg");
  Result<std::vector<std::string>> my = MariadbPrepared();
  if (!my.ok()) return my.status();
  keep(*my, "my");
  return found;
}

Result<int> BankView::StatementsInFlight(const std::string& node) {
  const std::string needle = std::string(kXidPrefix) + node + ":";
  int count = 0;
  Result<std::vector<Row>> pg = pg_->QueryLocal(
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
      "AND state = 'active' AND pid <> pg_backend_pid() "
      "AND strpos(query, ?) > 0",
      {needle});
  if (!pg.ok()) return pg.status();
  count += static_cast<int>(pg->size());
  Result<std::vector<Row>> my = my_->QueryLocal(
      "SELECT ID FROM information_schema.PROCESSLIST "
      "WHERE ID <> CONNECTION_ID() AND LOCATE(?, INFO) > 0",
      {needle});
  if (!my.ok()) return my.status();
  count += static_cast<int>(my->size());
  return count;
}

}  // namespace xatm::crash
