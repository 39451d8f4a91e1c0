// Makes one allocation fail on the calling thread: the next operator new
// there throws std::bad_alloc. For code paths where a library throws
// before a statement reaches the server.
#pragma once

namespace xatm::testing {

// The next allocation on this thread throws std::bad_alloc (once).
void FailNextAllocation();
// Whether the armed failure was thrown (and disarms it if it was not).
bool AllocationFailed();

}  // namespace xatm::testing
