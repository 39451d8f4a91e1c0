#include "tests/integration/failing_allocation.h"

#include <cstdlib>
#include <new>

namespace xatm::testing {
namespace {

thread_local bool armed = false;
thread_local bool thrown = false;

}  // namespace

void FailNextAllocation() {
  armed = true;
  thrown = false;
}

bool AllocationFailed() {
  armed = false;
  return thrown;
}

}  // namespace xatm::testing

// Replaces the global allocation functions of the test program; every other
// form (array, nothrow, sized delete) forwards to these.
void* operator new(std::size_t size) {
  if (xatm::testing::armed) {
    xatm::testing::armed = false;
    xatm::testing::thrown = true;
    throw std::bad_alloc();
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
