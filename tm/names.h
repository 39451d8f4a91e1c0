// Lists of names as one string: "a,b,c" in decision records, rows and
// command output.
#pragma once

#include <string>
#include <vector>

namespace xatm {

std::string JoinNames(const std::vector<std::string>& names,
                      const char* separator = ",");

// The inverse of JoinNames with ","; empty parts are dropped.
std::vector<std::string> SplitNames(const std::string& joined);

}  // namespace xatm
