#include "xatm/decision_deadline.h"

#include <gtest/gtest.h>

namespace xatm {
namespace {

TEST(DecisionDeadlineTest, HalfOfTheGracePeriodIsAccepted) {
  EXPECT_TRUE(CheckDecisionDeadline(5000, 10000).ok());
  EXPECT_TRUE(CheckDecisionDeadline(1, 10000).ok());
}

TEST(DecisionDeadlineTest, MoreThanHalfIsRefusedNamingBothSettings) {
  Status s = CheckDecisionDeadline(8000, 10000);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("decision_deadline_ms = 8000"), std::string::npos)
      << s.ToString();
  EXPECT_NE(s.message().find("grace_period_ms = 10000"), std::string::npos)
      << s.ToString();
  EXPECT_NE(s.message().find("at most half"), std::string::npos)
      << s.ToString();
  EXPECT_FALSE(CheckDecisionDeadline(5001, 10000).ok());
  // The library's defaults disagree with a shortened grace period.
  EXPECT_FALSE(CheckDecisionDeadline(5000, 5000).ok());
}

TEST(DecisionDeadlineTest, ZeroOrNegativeIsRefused) {
  EXPECT_EQ(CheckDecisionDeadline(0, 10000).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckDecisionDeadline(1000, 0).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckDecisionDeadline(-1, 10000).code(),
            StatusCode::kInvalidArgument);
}

TEST(DecisionDeadlineTest, TheDerivedDeadlineAlwaysFitsTheRule) {
  // What the CLI derives from grace_period is what the library accepts.
  for (int64_t grace : {2, 3, 999, 1000, 10000, 86400000}) {
    EXPECT_TRUE(
        CheckDecisionDeadline(DecisionDeadlineForGrace(grace), grace).ok())
        << grace;
  }
  EXPECT_EQ(DecisionDeadlineForGrace(10000), 5000);
  // Too short to derive a deadline from.
  EXPECT_FALSE(CheckDecisionDeadline(DecisionDeadlineForGrace(1), 1).ok());
}

}  // namespace
}  // namespace xatm
