// The recover progress line: redrawn at most once per interval, the first
// and last figures always shown, ended by one newline, silent when unused.
#include "cli/commands/progress_line.h"

#include <gtest/gtest.h>

#include <sstream>

namespace xatm {
namespace {

using std::chrono::milliseconds;

class ProgressLineTest : public ::testing::Test {
 protected:
  ProgressLine Line() {
    return ProgressLine(out_, "recover", milliseconds(100),
                        [this] { return now_; });
  }
  std::ostringstream out_;
  std::chrono::steady_clock::time_point now_{};
};

TEST_F(ProgressLineTest, DrawsAtMostOncePerInterval) {
  ProgressLine line = Line();
  line.Update(1, 10);
  now_ += milliseconds(50);
  line.Update(2, 10);  // too soon: held back
  EXPECT_EQ(out_.str(), "\rrecover: 1/10 branches");
  now_ += milliseconds(60);
  line.Update(3, 10);
  EXPECT_EQ(out_.str(), "\rrecover: 1/10 branches\rrecover: 3/10 branches");
}

TEST_F(ProgressLineTest, TheLastFiguresAlwaysShowAndTheLineEnds) {
  ProgressLine line = Line();
  line.Update(1, 3);
  line.Update(3, 3);  // done: drawn at once
  line.Finish();
  EXPECT_EQ(out_.str(), "\rrecover: 1/3 branches\rrecover: 3/3 branches\n");
}

TEST_F(ProgressLineTest, FinishDrawsFiguresHeldBack) {
  ProgressLine line = Line();
  line.Update(1, 5);
  line.Update(2, 5);  // held back
  line.Finish();
  EXPECT_EQ(out_.str(), "\rrecover: 1/5 branches\rrecover: 2/5 branches\n");
}

TEST_F(ProgressLineTest, SilentWithoutUpdates) {
  ProgressLine line = Line();
  line.Finish();
  EXPECT_EQ(out_.str(), "");
}

}  // namespace
}  // namespace xatm
