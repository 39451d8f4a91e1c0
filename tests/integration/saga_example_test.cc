// examples/saga_example.cc against the real test servers: the program
// exits 0 and each of its three orders ends as it should (one committed,
// two compensated), the wallet keeping 70.00 and one shipment.
#include <gtest/gtest.h>

#include <string>

#include "tests/integration/example_run.h"

#ifndef EXAMPLE_BINARY
#error "EXAMPLE_BINARY must name the saga_example executable"
#endif

namespace xatm {
namespace {

TEST(SagaExampleTest, RunsItsOrdersToTheRightEnds) {
  testing::TempDir dir;
  testing::ProcessResult r =
      testing::RunExample(EXAMPLE_BINARY, dir.path() + "/log");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("order 30.00 to Lisbon: committed OK\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("order 30.00 to nowhere: compensated ABORTED"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("order 500.00 to Oslo: compensated ABORTED"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("balance 70.00, shipments 1\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("saga example ok\n"), std::string::npos) << r.out;

  // A second run on the same log: the first left nothing unfinished.
  testing::ProcessResult again =
      testing::RunProcess({EXAMPLE_BINARY, dir.path() + "/log"});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
}

}  // namespace
}  // namespace xatm
