// The README's library example, whole: the package test builds it against the
// installed headers, and checks that README.md shows exactly this text.
#include <xatm/xatm.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

int main() {
  xatm::ResourceConfig pg_config;
  pg_config.name = "pg";
  pg_config.type = "postgresql";
  pg_config.conninfo = "host=127.0.0.1 dbname=bank user=app";  // no password
  xatm::ResourceConfig my_config;
  my_config.name = "my";
  my_config.type = "mysql";
  my_config.host = "127.0.0.1";
  my_config.user = "app";
  my_config.database = "bank";
  const char* secret = std::getenv("BANK_MYSQL_PASSWORD");  // never logged
  my_config.password = secret != nullptr ? secret : "";
  auto pg = xatm::MakeResource(pg_config).value();
  auto my = xatm::MakeResource(my_config).value();

  xatm::TransactionManagerOptions options;
  options.node_id = "app1";
  options.log_dir = "/var/lib/app1/xatm";
  options.log_options.create_if_missing = true;  // first start only: see below
  auto opened = xatm::TransactionManager::Open(options, {pg, my});
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    return 1;
  }
  auto tm = std::move(opened).value();

  // Start-up recovery now, then a pass every 5 s on a background thread.
  xatm::SweeperOptions sweep;
  sweep.grace_period_ms = 10000;
  xatm::BackgroundSweeper sweeper(tm.get(), sweep, 5000);
  xatm::Result<xatm::SweepResult> started = sweeper.Start();
  if (!started.ok()) {  // e.g. another running process has this node id
    std::fprintf(stderr, "%s\n", started.status().ToString().c_str());
    return 1;
  }

  auto txn = tm->Begin().value();
  xatm::Branch* a = txn->Enlist("pg").value();  // BEGIN on first use
  a->Execute("UPDATE t SET v = v - 1 WHERE id = ?", {"x"});
  a->ExecuteDeferred("INSERT INTO log VALUES (?)", {"x"});  // may ride along
  xatm::Branch* b = txn->Enlist("my").value();  // XA START on first use
  b->Execute("UPDATE t SET v = v + 1 WHERE id = ?", {"y"});
  // OK | ABORTED | IN_DOUBT | UNKNOWN_OUTCOME
  xatm::Status s = txn->Commit();
  std::printf("%s %s\n", txn->gtrid().c_str(), s.ToString().c_str());

  // A deadline for the whole transaction: no round trip of any branch waits
  // past it, and votes that complete after it roll the transaction back.
  auto bounded = tm->Begin(std::chrono::seconds(2)).value();
  return s.ok() ? 0 : 1;
}
