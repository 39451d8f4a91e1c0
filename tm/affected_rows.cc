#include <string>

#include "xatm/resource.h"

namespace xatm {

Status CheckAffectedRows(const std::string& sql, int64_t affected,
                         std::optional<int64_t> expected) {
  if (!expected.has_value() || *expected == affected) return Status::Ok();
  return Status::FailedPrecondition(
      "statement affected " + std::to_string(affected) + " rows, expected " +
      std::to_string(*expected) + ": " + sql);
}

}  // namespace xatm
