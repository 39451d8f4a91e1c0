// The library's logger: quiet by default (never stdout, nothing for a
// successful transaction), and the application's own logger and level when
// it hands one over, also while transactions run.
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/coordinator_fixture.h"
#include "xatm/transaction.h"

namespace xatm {
namespace {

class LibraryLoggerTest : public testing::CoordinatorFixture {
 protected:
  // A two-phase commit over both fakes; returns the gtrid.
  std::string CommitOnBoth() {
    auto txn = tm_->Begin();
    EXPECT_TRUE(txn.ok());
    EXPECT_TRUE((*txn)->Enlist("a").ok());
    EXPECT_TRUE((*txn)->Enlist("b").ok());
    EXPECT_TRUE((*txn)->Commit().ok());
    return (*txn)->gtrid();
  }
};

TEST_F(LibraryLoggerTest, SuccessfulTransactionWritesNothingByDefault) {
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  CommitOnBoth();
  const std::string out = ::testing::internal::GetCapturedStdout();
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(out, "") << "the library wrote to the application's stdout";
  EXPECT_EQ(err, "") << "the library logged a successful transaction";
}

}  // namespace
}  // namespace xatm
