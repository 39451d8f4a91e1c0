#include "xatm/resource_check.h"

#include <string>

#include "xatm/logging.h"

namespace xatm {

Status CheckResources(const std::vector<std::shared_ptr<Resource>>& resources) {
  Status first;
  std::string failures;
  for (const std::shared_ptr<Resource>& r : resources) {
    Result<std::vector<Row>> answered = r->QueryLocal("SELECT 1", {});
    if (answered.ok()) continue;
    const Status& s = answered.status();
    Logger()->error("resource '{}' cannot be used: {}", r->name(),
                    s.ToString());
    if (first.ok()) first = s;
    if (!failures.empty()) failures += "; ";
    failures += "'" + r->name() + "': " + s.message();
  }
  if (first.ok()) return first;
  return Status(first.code(), "resource check failed: " + failures);
}

Status CheckCanPrepare(Resource& resource) {
  if (resource.type() != "postgresql") return Status::Ok();
  Result<std::vector<Row>> rows =
      resource.QueryLocal("SHOW max_prepared_transactions", {});
  if (!rows.ok())
    return rows.status().WithContext("resource '" + resource.name() + "'");
  if (rows->size() == 1 && !rows->front().empty() && rows->front()[0] &&
      *rows->front()[0] == "0") {
    return Status::FailedPrecondition(
        "resource '" + resource.name() +
        "' cannot prepare: PostgreSQL reports max_prepared_transactions = 0");
  }
  return Status::Ok();
}

}  // namespace xatm
