// Recovery and metrics in an application, whole: the TransactionManager
// counts into the application's prometheus registry, a BackgroundSweeper
// recovers at start-up and then every second, and one transaction writes
// to both databases. The program then prints the registry in Prometheus'
// text format: what the application's /metrics endpoint serves
// (prometheus::Exposer from prometheus-cpp-pull, as `xatm serve` does).
// CI builds it and runs it against the test servers (sweeper_metrics_test);
// docs/install.md lists the examples.
//
//   . DIR/env.sh                    # after scripts/db.sh start DIR
//   sweeper_metrics LOG_DIR
//
// The databases come from the environment (examples/test_databases.h);
// LOG_DIR holds the decision log (made when missing). Exit 0 when the text
// shows the commit (xatm_transactions_total{outcome="committed"} 1) and
// the sweeper's report that nothing is in doubt (xatm_in_doubt_branches
// 0); 1 otherwise.
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <xatm/xatm.h>

#include <cstdio>
#include <memory>
#include <sstream>
#include <string>

#include "test_databases.h"

namespace {

int Fail(const xatm::Status& status) {
  std::fprintf(stderr, "%s\n", status.ToString().c_str());
  return 1;
}

// One row into each database, in one global transaction.
xatm::Status RecordEvent(xatm::TransactionManager& tm, const std::string& id) {
  XATM_ASSIGN_OR_RETURN(auto txn, tm.Begin());
  for (const char* resource : {"pg", "my"}) {
    XATM_ASSIGN_OR_RETURN(auto* branch, txn->Enlist(resource));
    xatm::Result<int64_t> rows = branch->Execute(
        "INSERT INTO metrics_example_events (id) VALUES (?)", {id});
    if (!rows.ok()) return rows.status();
  }
  return txn->Commit();
}

// The lines of the exposition text that start with `prefix`.
std::string LinesStartingWith(const std::string& text,
                              const std::string& prefix) {
  std::istringstream in(text);
  std::string line, found;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) found += line + "\n";
  }
  return found;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: sweeper_metrics LOG_DIR\n");
    return 2;
  }
  auto pg = xatm::MakeResource(example::PostgresConfig());
  if (!pg.ok()) return Fail(pg.status());
  auto my = xatm::MakeResource(example::MariadbConfig());
  if (!my.ok()) return Fail(my.status());
  for (auto* resource : {pg->get(), my->get()}) {
    xatm::Status s = resource->ExecuteLocal(
        "CREATE TABLE IF NOT EXISTS metrics_example_events ("
        "id VARCHAR(64) PRIMARY KEY)",
        {});
    if (!s.ok()) return Fail(s);
  }

  // The application's registry: the manager registers its metrics there.
  auto registry = std::make_shared<prometheus::Registry>();
  xatm::TransactionManagerOptions options;
  options.node_id = "metrics-example";
  options.log_dir = argv[1];
  options.log_options.create_if_missing = true;
  options.metrics_registry = registry;
  auto opened = xatm::TransactionManager::Open(options, {*pg, *my});
  if (!opened.ok()) return Fail(opened.status());
  auto tm = std::move(opened).value();

  // Start-up recovery now (a pass over both databases), then a pass every
  // second until Stop() or destruction. The defaults keep the manager's
  // decision deadline (5 s) at most half the grace period (10 s).
  xatm::BackgroundSweeper sweeper(tm.get(), xatm::SweeperOptions{}, 1000);
  xatm::Result<xatm::SweepResult> started = sweeper.Start();
  if (!started.ok()) return Fail(started.status());
  std::printf("start-up recovery: %s\n", started->Summary().c_str());

  const std::string id = example::RunId();
  const xatm::Status s = RecordEvent(*tm, id);
  std::printf("transaction: %s\n", s.ToString().c_str());

  const std::string text =
      prometheus::TextSerializer().Serialize(registry->Collect());
  const std::string committed =
      LinesStartingWith(text, "xatm_transactions_total{outcome=\"committed\"}");
  const std::string in_doubt =
      LinesStartingWith(text, "xatm_in_doubt_branches ");
  std::printf("%s%s", committed.c_str(), in_doubt.c_str());
  const bool right = s.ok() && committed.find("} 1\n") != std::string::npos &&
                     in_doubt == "xatm_in_doubt_branches 0\n";
  sweeper.Stop();
  for (auto* resource : {pg->get(), my->get()}) {
    (void)resource->ExecuteLocal(
        "DELETE FROM metrics_example_events WHERE id = ?", {id});
  }
  std::printf("sweeper and metrics example %s\n", right ? "ok" : "WRONG");
  return right ? 0 : 1;
}
