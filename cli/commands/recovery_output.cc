#include "cli/commands/recovery_output.h"

#include <cstdio>

namespace xatm {

void PrintEvents(std::ostream& out, const std::vector<SweepEvent>& events) {
  for (const SweepEvent& e : events) {
    out << (e.gtrid.empty() ? "-" : e.gtrid) << " "
        << (e.resource.empty() ? "-" : e.resource) << " "
        << SweepActionName(e.action);
    if (!e.detail.empty()) out << ": " << e.detail;
    out << "\n";
  }
}

const char kAllNodesNeedsDatabaseStore[] =
    "--all-nodes needs a database decision_store: another node's decisions "
    "are in its own log_dir";

std::string FormatAge(int64_t age_ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1fs", static_cast<double>(age_ms) / 1000);
  return buf;
}

}  // namespace xatm
