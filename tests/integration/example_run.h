// Runs one of the example programs (examples/) against the test servers,
// the way each example's test does.
#pragma once

#include <string>

#include "tests/integration/test_env.h"
#include "tests/unit/run_process.h"

namespace xatm::testing {

// `binary LOG_DIR`. The program reads the servers' settings from the
// environment (scripts/db.sh's env.sh): a missing one fails here, named.
inline ProcessResult RunExample(const std::string& binary,
                                const std::string& log_dir) {
  for (const char* var :
       {"XATM_TEST_PG_CONNINFO", "XATM_TEST_MY_HOST", "XATM_TEST_MY_PORT",
        "XATM_TEST_MY_USER", "XATM_TEST_MY_DATABASE", "XATM_MY_PASSWORD"}) {
    (void)RequireEnv(var);
  }
  return RunProcess({binary, log_dir});
}

}  // namespace xatm::testing
