// examples/sweeper_metrics.cc against the real test servers: the program
// exits 0, its sweeper started, and the registry's text shows the committed
// transaction and nothing in doubt.
#include <gtest/gtest.h>

#include <string>

#include "tests/integration/test_env.h"
#include "tests/unit/run_process.h"

#ifndef EXAMPLE_BINARY
#error "EXAMPLE_BINARY must name the sweeper_metrics executable"
#endif

namespace xatm {
namespace {

TEST(SweeperMetricsExampleTest, ShowsTheCommitInTheRegistry) {
  for (const char* var :
       {"XATM_TEST_PG_CONNINFO", "XATM_TEST_MY_HOST", "XATM_TEST_MY_PORT",
        "XATM_TEST_MY_USER", "XATM_TEST_MY_DATABASE", "XATM_MY_PASSWORD"}) {
    (void)testing::RequireEnv(var);
  }
  testing::TempDir dir;
  testing::ProcessResult r =
      testing::RunProcess({EXAMPLE_BINARY, dir.path() + "/log"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("start-up recovery: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("transaction: OK\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("xatm_transactions_total{outcome=\"committed\"} 1\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("xatm_in_doubt_branches 0\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("sweeper and metrics example ok\n"), std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace xatm
