// Latency percentiles of a benchmark run, from durations each client thread
// recorded on its own (merged once at the end: no lock per transfer).
#pragma once

#include <cstdint>
#include <vector>

namespace xatm {

struct LatencySummary {
  int64_t count = 0;
  double p50_ms = 0;
  double p95_ms = 0;
  double p99_ms = 0;
};

// Merges the per-thread durations (nanoseconds) and takes nearest-rank
// percentiles. All zero when there is no sample.
LatencySummary SummarizeLatencies(
    const std::vector<std::vector<int64_t>>& per_thread_ns);

}  // namespace xatm
