// What a finished sweep pass adds to the manager's metrics: prepared
// branches found, committed, rolled back and left for later, heuristic
// outcomes, and the in-doubt gauges (branches left prepared, the oldest's
// age). Read from the SweepResult alone, so the pass itself stays as is.
#pragma once

#include <cstdint>

#include "xatm/metrics.h"
#include "xatm/sweep_result.h"

namespace xatm {

// `now_ms`: the pass's wall-clock time, against which a branch's age is
// taken from its gtrid's begin time.
void RecordSweep(const SweepResult& result, int64_t now_ms, Metrics& metrics);

}  // namespace xatm
