// Printing what recovery did, shared by recover, resolve and in-doubt.
#pragma once

#include <cstdint>
#include <ostream>
#include <vector>

#include "recovery/sweep_result.h"

namespace xatm {

// "GTRID RESOURCE ACTION[: DETAIL]" per event (a resource-level event has
// "-" for GTRID).
void PrintEvents(std::ostream& out, const std::vector<SweepEvent>& events);

// "12.3s"
std::string FormatAge(int64_t age_ms);

}  // namespace xatm
