// `xatm [GLOBAL OPTIONS] COMMAND [ARGS]`: finds the command and runs it.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace xatm {

// Runs the xatm command line `args` (without the program name); returns the
// exit code. Global options may come before or after the command name.
int RunXatm(const std::vector<std::string>& args, std::ostream& out,
            std::ostream& err);

}  // namespace xatm
