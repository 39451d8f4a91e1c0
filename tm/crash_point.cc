#include "tm/crash_point.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

namespace xatm {

const char* const kCrashPoints[] = {
    "after-prepare-first",        // one branch prepared, the other not yet
    "after-prepare-all",          // all prepared, decision not written
    "after-decision",             // COMMIT durable, nothing committed
    "after-commit-first",         // one branch committed
    "after-commit-all",           // all committed, END not written
    "recover-after-commit-first",    // sweeper committed one branch
    "recover-after-rollback-first",  // sweeper rolled back one branch
    nullptr,
};

namespace {

struct CrashConfig {
  std::string name;  // empty: disabled
  long nth = 1;
  std::atomic<long> hits{0};
};

CrashConfig* LoadConfig() {
  auto* config = new CrashConfig();
  const char* env = std::getenv("XATM_CRASH_AT");
  if (env == nullptr || *env == '\0') return config;
  std::string spec(env);
  size_t colon = spec.find(':');
  config->name = spec.substr(0, colon);
  if (colon != std::string::npos) {
    config->nth = std::strtol(spec.c_str() + colon + 1, nullptr, 10);
    if (config->nth < 1) config->nth = 1;
  }
  return config;
}

}  // namespace

void CrashPoint(const char* name) {
  static CrashConfig* config = LoadConfig();
  if (config->name.empty() || config->name != name) return;
  if (config->hits.fetch_add(1) + 1 != config->nth) return;
  ::kill(::getpid(), SIGKILL);
  ::_exit(137);  // not reached
}

}  // namespace xatm
