// Opens a transaction manager through the installed headers and libraries:
// proves the package is complete (headers, targets, dependencies).
#include <cstdio>

#include <xatm/xatm.h>

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
  auto tm = xatm::TransactionManager::Open(options, {*resource});
  if (!tm.ok()) {
    std::fprintf(stderr, "%s\n", tm.status().ToString().c_str());
    return 1;
  }
  auto txn = (*tm)->Begin();
  if (!txn.ok()) return 1;
  std::printf("consumer ok %s\n", (*txn)->gtrid().c_str());
  return 0;
}
