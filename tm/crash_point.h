// Named crash points for recovery tests. XATM_CRASH_AT=NAME (or NAME:N for the
// N-th time the point is reached) makes the process end at that point at once,
// as kill -9 would: no destructors, no flushing. Unset, a crash point costs
// one relaxed atomic load.
#pragma once

namespace xatm {

// Every crash point the code defines, for documentation and validation.
extern const char* const kCrashPoints[];

// Kills the process with SIGKILL when XATM_CRASH_AT selects `name`.
void CrashPoint(const char* name);

}  // namespace xatm
