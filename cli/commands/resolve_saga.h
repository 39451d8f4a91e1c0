// xatm resolve SAGA_ID --retry | --mark-compensated --reason TEXT: an
// operator's hand on a saga failed to compensate (resolve.cc dispatches).
#pragma once

#include <string>

#include "cli/command_line.h"

namespace xatm {

// `reason` set: mark compensated; else retry. The exit code.
int ResolveSaga(CommandContext& ctx, const std::string& saga_id,
                const std::string* reason);

}  // namespace xatm
