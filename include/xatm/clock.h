/// @file
/// The clock seam: grace periods and ages are computed from it, so tests can
/// move time without sleeping.
#pragma once

#include <cstdint>

namespace xatm {

/// A source of wall-clock time. Implementations must be thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  /// Unix time in milliseconds.
  virtual int64_t NowMs() const = 0;
  /// The wall clock. Never deleted.
  static Clock* System();
};

}  // namespace xatm
