#include "cli/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <string>

#include "tm/text_format.h"
#include "xatm/logging.h"

namespace xatm {

Status SetUpLogging(std::string_view level) {
  static const std::pair<std::string_view, spdlog::level::level_enum>
      kLevels[] = {
          {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
          {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
          {"error", spdlog::level::err},   {"off", spdlog::level::off}};
  for (const auto& [name, value] : kLevels) {
    if (name != level) continue;
    // One stderr logger for the command's own lines (spdlog's default
    // writes to stdout, where results live) and the library's.
    static std::shared_ptr<spdlog::logger> logger = [] {
      auto l = spdlog::stderr_logger_mt("xatm");
      spdlog::set_default_logger(l);
      SetLogger(l);
      return l;
    }();
    logger->set_level(value);
    return Status::Ok();
  }
  return Status::InvalidArgument("log level " + Quoted(level) + " is not " +
                                 kLogLevels);
}

}  // namespace xatm
