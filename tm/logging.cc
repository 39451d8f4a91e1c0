#include "xatm/logging.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <utility>

namespace xatm {
namespace {

std::shared_ptr<spdlog::logger> MakeDefaultLogger() {
  // Not registered with spdlog: the application's registry and default
  // logger stay its own (it may name a logger "xatm" too).
  auto logger = std::make_shared<spdlog::logger>(
      "xatm", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_level(spdlog::level::warn);
  return logger;
}

// The logger SetLogger installed, and a generation that moves with it:
// threads keep a copy and take the mutex only when the generation moved.
struct Installed {
  std::mutex mu;
  std::shared_ptr<spdlog::logger> logger = MakeDefaultLogger();  // mu
  std::atomic<uint64_t> generation{1};
};

Installed& TheInstalled() {
  // Never destroyed: objects destroyed at exit may still log.
  static Installed* const installed = new Installed();
  return *installed;
}

std::shared_ptr<spdlog::logger> CurrentLocked(Installed& installed,
                                              uint64_t* generation) {
  std::lock_guard<std::mutex> lock(installed.mu);
  if (generation != nullptr) {
    *generation = installed.generation.load(std::memory_order_relaxed);
  }
  return installed.logger;
}

// Trivially destructible, so still readable while the thread's other
// thread-local objects (the cache below) are destroyed.
thread_local bool cache_gone = false;

struct CachedLogger {
  ~CachedLogger() { cache_gone = true; }
  uint64_t generation = 0;
  std::shared_ptr<spdlog::logger> logger;
};

}  // namespace

std::shared_ptr<spdlog::logger> Logger() {
  Installed& installed = TheInstalled();
  if (cache_gone) return CurrentLocked(installed, nullptr);
  thread_local CachedLogger cached;
  if (cached.generation !=
      installed.generation.load(std::memory_order_acquire)) {
    cached.logger = CurrentLocked(installed, &cached.generation);
  }
  return cached.logger;
}

void SetLogger(std::shared_ptr<spdlog::logger> logger) {
  if (logger == nullptr) logger = MakeDefaultLogger();
  Installed& installed = TheInstalled();
  std::shared_ptr<spdlog::logger> replaced;
  {
    std::lock_guard<std::mutex> lock(installed.mu);
    replaced = std::exchange(installed.logger, std::move(logger));
    installed.generation.fetch_add(1, std::memory_order_release);
  }
  // `replaced` goes outside the lock: destroying it may flush its sinks.
}

}  // namespace xatm
