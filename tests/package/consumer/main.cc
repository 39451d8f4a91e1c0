// Opens a transaction manager through the installed headers and libraries:
// proves the package is complete (headers, targets, dependencies).
#include <prometheus/registry.h>
#include <xatm/xatm.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer LOG_DIR\n");
    return 2;
  }
  xatm::ResourceConfig config;
  config.name = "pg";
  config.type = "postgresql";
  config.conninfo = "host=127.0.0.1 port=1 dbname=none";
  auto resource = xatm::MakeResource(config);
  if (!resource.ok()) return 1;
  xatm::TransactionManagerOptions options;
  options.node_id = "consumer";
  options.log_dir = argv[1];
  options.log_options.create_if_missing = true;  // a fresh directory
  // The application's registry: the manager's metrics are registered there.
  auto registry = std::make_shared<prometheus::Registry>();
  options.metrics_registry = registry;
  auto tm = xatm::TransactionManager::Open(options, {*resource});
  if (!tm.ok()) {
    std::fprintf(stderr, "%s\n", tm.status().ToString().c_str());
    return 1;
  }
  auto txn = (*tm)->Begin();
  if (!txn.ok()) return 1;
  bool counted = false;
  for (const auto& family : registry->Collect()) {
    counted = counted || family.name == "xatm_transactions_total";
  }
  if (!counted) {
    std::fprintf(stderr, "no xatm_transactions_total in the registry\n");
    return 1;
  }
  std::printf("consumer ok %s\n", (*txn)->gtrid().c_str());
  return 0;
}
