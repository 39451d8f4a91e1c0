#include "tm/crash_point.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace xatm {

const char* const kCrashPoints[] = {
    "before-one-phase-commit",          // one branch, its COMMIT not sent
    "before-prepare",                   // work done, nothing prepared
    "after-prepare-first",              // one branch prepared, maybe not all
    "after-prepare-all",                // all prepared, decision not written
    "decision-inserted",                // decision row sent, not committed
    "after-decision",                   // COMMIT durable, nothing committed
    "after-commit-first",               // one branch committed
    "after-commit-all",                 // all committed, END not written
    "recover-after-commit-first",       // sweeper committed one branch
    "recover-after-rollback-first",     // sweeper rolled back one branch
    "saga-begun",                       // saga recorded, no step run
    "saga-before-action-commit",        // a step's work done, not committed
    "saga-after-action",                // a step committed, not recorded
    "saga-compensating",                // turn recorded, nothing undone
    "saga-before-compensation-commit",  // an undo done, not committed
    "saga-after-compensation",          // an undo committed, not recorded
    "saga-before-final",                // every step settled, end not recorded
    nullptr,
};

namespace {

struct PointSpec {
  std::string name;  // empty: disabled
  long number = 1;   // N-th hit (crash) or milliseconds (pause)
  std::atomic<long> hits{0};
};

// Parses "NAME" or "NAME:NUMBER" from `var`.
PointSpec* LoadSpec(const char* var, long default_number) {
  auto* spec = new PointSpec();
  spec->number = default_number;
  const char* env = std::getenv(var);
  if (env == nullptr || *env == '\0') return spec;
  std::string text(env);
  size_t colon = text.find(':');
  spec->name = text.substr(0, colon);
  if (colon != std::string::npos) {
    long n = std::strtol(text.c_str() + colon + 1, nullptr, 10);
    if (n > 0) spec->number = n;
  }
  return spec;
}

}  // namespace

namespace {

PointSpec& CrashSpec() {
  static PointSpec* crash = LoadSpec("XATM_CRASH_AT", 1);
  return *crash;
}

PointSpec& PauseSpec() {
  static PointSpec* pause = LoadSpec("XATM_PAUSE_AT", 1000);
  return *pause;
}

}  // namespace

bool CrashPointArmed(const char* name) {
  return CrashSpec().name == name || PauseSpec().name == name;
}

void CrashPoint(const char* name) {
  PointSpec* crash = &CrashSpec();
  PointSpec* pause = &PauseSpec();
  if (!pause->name.empty() && pause->name == name) {
    std::fprintf(stderr, "xatm: paused at %s\n", name);
    std::fflush(stderr);
    std::this_thread::sleep_for(std::chrono::milliseconds(pause->number));
  }
  if (crash->name.empty() || crash->name != name) return;
  if (crash->hits.fetch_add(1) + 1 != crash->number) return;
  ::kill(::getpid(), SIGKILL);
  ::_exit(137);  // not reached
}

}  // namespace xatm
