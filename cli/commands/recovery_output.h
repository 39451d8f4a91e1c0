// Printing what recovery did, shared by recover, resolve and in-doubt.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "cli/json_output.h"
#include "tm/text_format.h"  // FormatAge
#include "xatm/sweep_result.h"

namespace xatm {

// "GTRID RESOURCE ACTION[: DETAIL]" per event (a resource-level event has
// "-" for GTRID).
void PrintEvents(std::ostream& out, const std::vector<SweepEvent>& events);

// The same events for --json: [{"gtrid", "resource", "action", "detail"}],
// null for the "-" of the text, "" for no detail.
Json EventsJson(const std::vector<SweepEvent>& events);

// Why --all-nodes is refused with a file decision store.
extern const char kAllNodesNeedsDatabaseStore[];

}  // namespace xatm
