// An application's logger for tests of the library's logging: it keeps the
// lines it gets in memory (the message text and its level).
#pragma once

#include <spdlog/logger.h>
#include <spdlog/sinks/ringbuffer_sink.h>

#include <memory>
#include <string>
#include <vector>

namespace xatm::testing {

struct LoggedLine {
  spdlog::level::level_enum level;
  std::string text;
};

class RingLogger {
 public:
  RingLogger(spdlog::level::level_enum level, size_t capacity = 10000)
      : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(capacity)),
        logger_(std::make_shared<spdlog::logger>("app", sink_)) {
    logger_->set_level(level);
  }

  const std::shared_ptr<spdlog::logger>& logger() const { return logger_; }

  std::vector<LoggedLine> Lines() const {
    std::vector<LoggedLine> lines;
    for (const auto& msg : sink_->last_raw()) {
      lines.push_back(
          {msg.level, std::string(msg.payload.data(), msg.payload.size())});
    }
    return lines;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace xatm::testing
