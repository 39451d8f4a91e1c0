// Named crash points for recovery tests, set from the environment:
//   XATM_CRASH_AT=NAME    the process ends at NAME at once, as kill -9 would
//   XATM_CRASH_AT=NAME:N  ... the N-th time NAME is reached
//   XATM_PAUSE_AT=NAME:MS the thread sleeps MS milliseconds at NAME, after
//                         printing "xatm: paused at NAME" to stderr (so a
//                         test can crash a database at that very step)
// Unset, a crash point costs one comparison of a cached empty string.
#pragma once

namespace xatm {

// Every crash point the code defines, for documentation and validation.
extern const char* const kCrashPoints[];

void CrashPoint(const char* name);

// Whether XATM_CRASH_AT or XATM_PAUSE_AT names `name`: code that would
// otherwise send the step before the point together with the step after it
// sends it alone, so that the point lies between the two.
bool CrashPointArmed(const char* name);

}  // namespace xatm
