#include "xatm/resource_check.h"

#include <spdlog/spdlog.h>

#include <string>

namespace xatm {

Status CheckResources(const std::vector<std::shared_ptr<Resource>>& resources) {
  Status first;
  std::string failures;
  for (const std::shared_ptr<Resource>& r : resources) {
    Result<std::vector<Row>> answered = r->QueryLocal("SELECT 1", {});
    if (answered.ok()) continue;
    const Status& s = answered.status();
    spdlog::error("resource '{}' cannot be used: {}", r->name(), s.ToString());
    if (first.ok()) first = s;
    if (!failures.empty()) failures += "; ";
    failures += "'" + r->name() + "': " + s.message();
  }
  if (first.ok()) return first;
  return Status(first.code(), "resource check failed: " + failures);
}

}  // namespace xatm
