// The library's log level in tests (xatm::Logger(), not spdlog's default
// logger): `level`, or SPDLOG_LEVEL from the environment when it is set
// (SPDLOG_LEVEL=debug shows every step of every transaction).
#pragma once

#include <spdlog/cfg/env.h>
#include <spdlog/spdlog.h>

#include "xatm/logging.h"

namespace xatm::testing {

inline void SetLibraryLogLevel(spdlog::level::level_enum level) {
  spdlog::set_level(level);
  spdlog::cfg::load_env_levels();
  Logger()->set_level(spdlog::get_level());
}

}  // namespace xatm::testing
