// Latency percentiles of `xatm bench`.
#include <gtest/gtest.h>

#include "cli/bench/latency.h"

namespace xatm {
namespace {

TEST(BenchLatencyTest, PercentilesAreNearestRankOverAllThreads) {
  // 1..100 ms spread over three threads, out of order.
  std::vector<std::vector<int64_t>> per_thread(3);
  for (int ms = 100; ms >= 1; --ms) {
    per_thread[ms % 3].push_back(int64_t{ms} * 1'000'000);
  }
  LatencySummary s = SummarizeLatencies(per_thread);
  EXPECT_EQ(s.count, 100);
  EXPECT_DOUBLE_EQ(s.p50_ms, 50.0);
  EXPECT_DOUBLE_EQ(s.p95_ms, 95.0);
  EXPECT_DOUBLE_EQ(s.p99_ms, 99.0);
}

TEST(BenchLatencyTest, OneSampleIsEveryPercentileAndNoneIsZero) {
  LatencySummary one = SummarizeLatencies({{}, {2'500'000}});
  EXPECT_EQ(one.count, 1);
  EXPECT_DOUBLE_EQ(one.p50_ms, 2.5);
  EXPECT_DOUBLE_EQ(one.p99_ms, 2.5);
  LatencySummary none = SummarizeLatencies({{}, {}});
  EXPECT_EQ(none.count, 0);
  EXPECT_DOUBLE_EQ(none.p99_ms, 0.0);
}

}  // namespace
}  // namespace xatm
