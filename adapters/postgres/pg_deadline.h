// Deadlines for round trips to PostgreSQL: a point on the steady clock that
// no wait may pass, and the budget it was set with (for "timed out after N
// ms"). Budgets come from the resource's request timeout and a branch's own
// deadline, whichever is earlier.
#pragma once

#include <chrono>
#include <cstdint>

namespace xatm {

struct PgDeadline {
  using Clock = std::chrono::steady_clock;

  Clock::time_point at = Clock::time_point::max();
  int64_t budget_ms = 0;  // what it was set to; meaningless when unlimited

  // No limit.
  static PgDeadline None() { return PgDeadline(); }
  // `ms` from now; no limit when `ms` <= 0 (none configured).
  static PgDeadline InMs(int64_t ms) {
    if (ms <= 0) return None();
    return PgDeadline{Clock::now() + std::chrono::milliseconds(ms), ms};
  }
  // At `at`, its budget counted from now.
  static PgDeadline At(Clock::time_point at) {
    if (at == Clock::time_point::max()) return None();
    const auto left = at - Clock::now();
    const int64_t ms =
        left.count() <= 0
            ? 0
            : std::chrono::duration_cast<std::chrono::milliseconds>(
                  left + std::chrono::microseconds(500))
                  .count();
    return PgDeadline{at, ms};
  }

  bool unlimited() const { return at == Clock::time_point::max(); }
  bool passed() const { return !unlimited() && Clock::now() >= at; }

  PgDeadline EarlierOf(const PgDeadline& other) const {
    return other.at < at ? other : *this;
  }
};

}  // namespace xatm
