// Quoting user input inside one-line error messages.
#pragma once

#include <string>
#include <string_view>

namespace xatm {

// `text` in single quotes, safe to print on one line: control and non-ASCII
// bytes become \xNN and anything past `max_chars` is cut to "...", so a
// pasted newline or a huge argument cannot break the one-line error.
std::string Quoted(std::string_view text, size_t max_chars = 80);

}  // namespace xatm
