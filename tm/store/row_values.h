// Reading the text values of a result row (Row: optional strings) in the
// store's tables.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace xatm::internal {

// The integer in `text`; 0 for NULL or anything else.
inline int64_t RowInt(const std::optional<std::string>& text) {
  if (!text.has_value()) return 0;
  try {
    return std::stoll(*text);
  } catch (...) {
    return 0;
  }
}

}  // namespace xatm::internal
