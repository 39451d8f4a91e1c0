#include "recovery/parallel_for.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace xatm {

void ParallelFor(size_t count, int workers,
                 const std::function<void(size_t index)>& fn) {
  std::atomic<size_t> next{0};
  auto drain = [&] {
    for (size_t i = next++; i < count; i = next++) fn(i);
  };
  // The caller drains too, so one thread fewer is started.
  const size_t threads =
      count <= 1
          ? 0
          : std::min(count, static_cast<size_t>(std::max(workers, 1))) - 1;
  std::vector<std::thread> helpers;
  helpers.reserve(threads);
  for (size_t t = 0; t < threads; ++t) helpers.emplace_back(drain);
  drain();
  for (std::thread& t : helpers) t.join();
}

}  // namespace xatm
