// Runs fn(0) .. fn(count - 1) on at most `workers` threads, the caller being
// one of them: a recovery pass over thousands of branches keeps a bounded
// number of round trips in flight per database, and a pass over one task
// starts no thread at all.
#pragma once

#include <cstddef>
#include <functional>

namespace xatm {

// Each index runs exactly once; returns when all have run. `fn` must be
// callable concurrently with different indexes.
void ParallelFor(size_t count, int workers,
                 const std::function<void(size_t index)>& fn);

}  // namespace xatm
