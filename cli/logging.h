// Diagnostics go to stderr through spdlog; stdout carries only results, so
// scripts can read it.
#pragma once

#include <string_view>

#include "xatm/status.h"

namespace xatm {

// Accepted by --log-level.
inline constexpr char kLogLevels[] = "trace|debug|info|warn|error|off";
inline constexpr char kDefaultLogLevel[] = "warn";

// Makes the default spdlog logger and the library's (xatm::SetLogger) one
// logger that writes to stderr at `level`.
// InvalidArgument naming the level when it is not one of kLogLevels.
Status SetUpLogging(std::string_view level);

}  // namespace xatm
