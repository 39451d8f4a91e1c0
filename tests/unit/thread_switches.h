// How often the other threads of this process blocked and woke: a thread
// hand-off or a watchdog wake-up costs one voluntary context switch each.
#pragma once

#include <sys/resource.h>

namespace xatm::testing {

// Voluntary context switches of every thread of this process but the
// calling one.
inline long OtherThreadsSwitches() {
  rusage process{};
  rusage self{};
  ::getrusage(RUSAGE_SELF, &process);
  ::getrusage(RUSAGE_THREAD, &self);
  return process.ru_nvcsw - self.ru_nvcsw;
}

}  // namespace xatm::testing
