// xatm: the command line. Everything but main() lives in xatm_cli.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/dispatch.h"

int main(int argc, char** argv) {
  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    int code = xatm::RunXatm(args, std::cout, std::cerr);
    std::cout.flush();
    return code;
  } catch (const std::exception& e) {
    std::cerr << "xatm: internal error: " << e.what() << std::endl;
    return xatm::kExitFailed;
  }
}
