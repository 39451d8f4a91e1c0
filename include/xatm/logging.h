/// @file
/// Where the library's diagnostics go. Every line of xatm goes to one spdlog
/// logger: by default one named "xatm" that writes to stderr (never stdout,
/// which belongs to the application) at level warn, so a successful
/// transaction logs nothing. Routine per-transaction lines (begun, prepared,
/// committed, rolled back) are at debug and name their xid; warnings and
/// errors are about real trouble.
///
/// An application hands over its own logger, with its sinks and level:
///
/// @code
///   auto logger = std::make_shared<spdlog::logger>("xatm", my_sink);
///   logger->set_level(spdlog::level::info);
///   xatm::SetLogger(logger);
/// @endcode
///
/// or changes the level of the default one: xatm::Logger()->set_level(...).
#pragma once

#include <spdlog/logger.h>

#include <memory>

namespace xatm {

/// The logger the library writes to now. Cheap (no lock unless SetLogger ran
/// since this thread's last call); use it for one line or a few, not kept.
std::shared_ptr<spdlog::logger> Logger();

/// From now on the library writes to `logger`, filtered by its level;
/// nullptr restores the default. Safe while transactions run on other
/// threads: each line goes whole to the old or to the new logger, and the
/// old one lives until no thread uses it.
void SetLogger(std::shared_ptr<spdlog::logger> logger);

}  // namespace xatm
