#include "tm/text_format.h"

#include <cstdio>

namespace xatm {

std::string Quoted(std::string_view text, size_t max_chars) {
  std::string out = "'";
  size_t shown = 0;
  for (char c : text) {
    if (shown == max_chars) {
      out += "...";
      break;
    }
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", u);
      out += hex;
    } else {
      out += c;
    }
    ++shown;
  }
  out += "'";
  return out;
}

std::string FormatAge(int64_t age_ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1fs", static_cast<double>(age_ms) / 1000);
  return buf;
}

}  // namespace xatm
