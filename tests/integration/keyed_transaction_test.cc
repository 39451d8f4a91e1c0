// examples/keyed_transaction.cc against the real test servers: the program
// exits 0, the retry with the same key was replayed with the first run's
// gtrid, the same key for another request was refused, and the work ran
// once (90.00 and 10.00 left).
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "tests/integration/example_run.h"

#ifndef EXAMPLE_BINARY
#error "EXAMPLE_BINARY must name the keyed_transaction executable"
#endif

namespace xatm {
namespace {

TEST(KeyedTransactionExampleTest, RunsTheRequestOnceAndReplaysTheRetry) {
  testing::TempDir dir;
  testing::ProcessResult r =
      testing::RunExample(EXAMPLE_BINARY, dir.path() + "/log");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // The same gtrid both times: the retry answered the first run's outcome
  // (the library's own log lines come between).
  std::smatch first, retry;
  ASSERT_TRUE(std::regex_search(
      r.out, first,
      std::regex("(?:^|\n)first: (xatm:keyed-example:\\S+) OK\n")))
      << r.out;
  ASSERT_TRUE(std::regex_search(
      r.out, retry, std::regex("(?:^|\n)retry: (\\S+) OK \\(replayed\\)\n")))
      << r.out;
  EXPECT_EQ(first[1], retry[1]);
  EXPECT_NE(r.out.find("other request, same key: INVALID_ARGUMENT"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("work ran 1 time(s); balances: pg 90.00, my 10.00\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("keyed transaction example ok\n"), std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace xatm
