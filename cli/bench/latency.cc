#include "cli/bench/latency.h"

#include <algorithm>
#include <cmath>

namespace xatm {
namespace {

// Nearest rank: the smallest sample with at least `p` of all at or below.
double PercentileMs(const std::vector<int64_t>& sorted, double p) {
  size_t rank = static_cast<size_t>(std::ceil(p * sorted.size()));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return static_cast<double>(sorted[rank - 1]) / 1e6;
}

}  // namespace

LatencySummary SummarizeLatencies(
    const std::vector<std::vector<int64_t>>& per_thread_ns) {
  std::vector<int64_t> all;
  size_t total = 0;
  for (const auto& v : per_thread_ns) total += v.size();
  all.reserve(total);
  for (const auto& v : per_thread_ns) all.insert(all.end(), v.begin(), v.end());
  LatencySummary summary;
  summary.count = static_cast<int64_t>(all.size());
  if (all.empty()) return summary;
  std::sort(all.begin(), all.end());
  summary.p50_ms = PercentileMs(all, 0.50);
  summary.p95_ms = PercentileMs(all, 0.95);
  summary.p99_ms = PercentileMs(all, 0.99);
  return summary;
}

}  // namespace xatm
