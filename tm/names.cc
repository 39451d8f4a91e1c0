#include "tm/names.h"

namespace xatm {

std::string JoinNames(const std::vector<std::string>& names,
                      const char* separator) {
  std::string joined;
  for (const auto& n : names) {
    if (!joined.empty()) joined += separator;
    joined += n;
  }
  return joined;
}

std::vector<std::string> SplitNames(const std::string& joined) {
  std::vector<std::string> names;
  size_t start = 0;
  while (start < joined.size()) {
    size_t comma = joined.find(',', start);
    if (comma == std::string::npos) comma = joined.size();
    if (comma > start) names.push_back(joined.substr(start, comma - start));
    start = comma + 1;
  }
  return names;
}

}  // namespace xatm
