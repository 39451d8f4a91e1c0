// Text in one-line messages: quoted user input, ages.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace xatm {

// `text` in single quotes, safe to print on one line: control and non-ASCII
// bytes become \xNN and anything past `max_chars` is cut to "...", so a
// pasted newline or a huge argument cannot break the one-line error.
std::string Quoted(std::string_view text, size_t max_chars = 80);

// "12.3s"
std::string FormatAge(int64_t age_ms);

}  // namespace xatm
