// examples/two_phase_transfer.cc against the real test servers: the
// program exits 0, the first transfer committed, the second was refused,
// and the balances show the money moved once (75.00 and 25.00).
#include <gtest/gtest.h>

#include <string>

#include "tests/integration/example_run.h"

#ifndef EXAMPLE_BINARY
#error "EXAMPLE_BINARY must name the two_phase_transfer executable"
#endif

namespace xatm {
namespace {

TEST(TwoPhaseTransferExampleTest, MovesTheMoneyOnceAndRefusesAnOverdraft) {
  testing::TempDir dir;
  testing::ProcessResult r =
      testing::RunExample(EXAMPLE_BINARY, dir.path() + "/log");
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
