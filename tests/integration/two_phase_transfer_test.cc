// examples/two_phase_transfer.cc against the real test servers: the
// program exits 0, the first transfer committed, the second was refused,
// and the balances show the money moved once (75.00 and 25.00).
#include <gtest/gtest.h>

#include <string>

#include "tests/integration/test_env.h"
#include "tests/unit/run_process.h"

#ifndef EXAMPLE_BINARY
#error "EXAMPLE_BINARY must name the two_phase_transfer executable"
#endif

namespace xatm {
namespace {

TEST(TwoPhaseTransferExampleTest, MovesTheMoneyOnceAndRefusesAnOverdraft) {
  // The program reads these; a missing one fails here with its name.
  for (const char* var :
       {"XATM_TEST_PG_CONNINFO", "XATM_TEST_MY_HOST", "XATM_TEST_MY_PORT",
        "XATM_TEST_MY_USER", "XATM_TEST_MY_DATABASE", "XATM_MY_PASSWORD"}) {
    (void)testing::RequireEnv(var);
  }
  testing::TempDir dir;
  testing::ProcessResult r =
      testing::RunProcess({EXAMPLE_BINARY, dir.path() + "/log"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("transfer 25.00: OK\n"), std::string::npos) << r.out;
  // PostgreSQL's CHECK (balance >= 0) refused the debit.
  EXPECT_NE(r.out.find("transfer 500.00: FAILED_PRECONDITION"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("balances: pg 75.00, my 25.00\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("two-phase transfer example ok\n"), std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace xatm
