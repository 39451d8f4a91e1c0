#include "cli/commands/recovery_output.h"

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

Json EventsJson(const std::vector<SweepEvent>& events) {
  auto name_or_null = [](const std::string& name) {
    return name.empty() ? Json(nullptr) : Json(name);
  };
  Json list = Json::array();
  for (const SweepEvent& e : events) {
    list.push_back({{"gtrid", name_or_null(e.gtrid)},
                    {"resource", name_or_null(e.resource)},
                    {"action", SweepActionName(e.action)},
                    {"detail", e.detail}});
  }
  return list;
}

const char kAllNodesNeedsDatabaseStore[] =
    "--all-nodes needs a database decision_store: another node's decisions "
    "are in its own log_dir";

}  // namespace xatm
