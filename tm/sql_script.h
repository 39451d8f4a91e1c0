// Running the schema scripts of sql/*.sql (embedded at build time).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "xatm/resource.h"
#include "xatm/status.h"

namespace xatm {

// The statements of a script: split at ';' outside quotes and comments,
// comments dropped, empty statements skipped.
std::vector<std::string> SplitSqlStatements(std::string_view script);

// Runs each statement of `script` in `resource`, in order, each on its own
// (the DDL of `xatm init`); stops at the first failure.
Status RunSqlScript(Resource& resource, std::string_view script);

}  // namespace xatm
