// examples/sweeper_metrics.cc against the real test servers: the program
// exits 0, its sweeper started, and the registry's text shows the committed
// transaction and nothing in doubt.
#include <gtest/gtest.h>

#include <string>

#include "tests/integration/example_run.h"

#ifndef EXAMPLE_BINARY
#error "EXAMPLE_BINARY must name the sweeper_metrics executable"
#endif

namespace xatm {
namespace {

TEST(SweeperMetricsExampleTest, ShowsTheCommitInTheRegistry) {
  testing::TempDir dir;
  testing::ProcessResult r =
      testing::RunExample(EXAMPLE_BINARY, dir.path() + "/log");
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
