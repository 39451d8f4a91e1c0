// One statement in a local transaction of its own, when its affected rows
// matter (Resource::ExecuteLocal does not return them).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "xatm/resource.h"
#include "xatm/status.h"

namespace xatm::internal {

// The rows `sql` affected once committed; or the failure (rolled back), or
// the commit's answer (Aborted, or an unknown outcome).
inline Result<int64_t> ExecuteCommitted(
    Resource& resource, const std::string& sql,
    const std::vector<std::string>& params) {
  XATM_ASSIGN_OR_RETURN(std::unique_ptr<Branch> local, resource.BeginLocal());
  Result<int64_t> rows = local->Execute(sql, params);
  if (!rows.ok()) {
    (void)local->Rollback();
    return rows.status();
  }
  XATM_RETURN_IF_ERROR(local->CommitOnePhase());
  return *rows;
}

}  // namespace xatm::internal
