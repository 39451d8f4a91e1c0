#include "cli/dispatch.h"

#include <iomanip>

#include "cli/command.h"
#include "cli/command_line.h"
#include "cli/logging.h"
#include "tm/text_format.h"

namespace xatm {
namespace {

constexpr char kProgram[] = "xatm";

void PrintHelp(std::ostream& out) {
  out << "Usage: " << kProgram << " [--config FILE] COMMAND [ARGS...]\n\n"
      << "Moves money between accounts in PostgreSQL and MariaDB as one\n"
      << "atomic global transaction (two-phase commit with a durable\n"
      << "decision log).\n\nCommands:\n";
  for (const Command& c : Commands()) {
    out << "  " << std::left << std::setw(16) << c.name << c.summary << "\n";
  }
  out << "\n"
      << GlobalOptions() << "\n"
      << "Run '" << kProgram << " COMMAND --help' for a command's options.\n\n"
      << "Exit codes:\n"
      << "  0  done (transfer: committed in every database)\n"
      << "  1  failed or aborted: nothing changed\n"
      << "  2  bad usage or configuration: nothing attempted\n"
      << "  3  in doubt: the commit is decided and durable but not yet\n"
      << "     finished in every database; recovery finishes it (do not "
         "retry)\n";
}

// The index of the command name in `args`: the first word that is neither
// an option nor the value of a global option that takes one.
size_t FindCommandName(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") return i + 1 < args.size() ? i + 1 : args.size();
    if (a.size() < 2 || a[0] != '-') return i;
    if (a[1] != '-' || a.find('=') != std::string::npos) continue;
    const po::option_description* global =
        GlobalOptions().find_nothrow(a.substr(2), /*approx=*/false);
    if (global != nullptr && global->semantic()->max_tokens() > 0) ++i;
  }
  return args.size();
}

}  // namespace

int RunXatm(const std::vector<std::string>& args, std::ostream& out,
            std::ostream& err) {
  // Until a command sets the level: warnings and errors on stderr.
  (void)SetUpLogging(kDefaultLogLevel);
  size_t at = FindCommandName(args);
  if (at == args.size()) {
    for (const std::string& a : args) {
      if (a == "--help" || a == "-h") {
        PrintHelp(out);
        return kExitOk;
      }
    }
    err << kProgram << ": no command given (see " << kProgram << " --help)"
        << std::endl;
    return kExitUsage;
  }
  const Command* command = FindCommand(args[at]);
  if (command == nullptr) {
    err << kProgram << ": unknown command " << Quoted(args[at]) << " (see "
        << kProgram << " --help)" << std::endl;
    return kExitUsage;
  }
  Invocation invocation;
  invocation.program = kProgram;
  invocation.command = std::string(command->name);
  invocation.args = args;
  invocation.args.erase(invocation.args.begin() + static_cast<long>(at));
  invocation.out = &out;
  invocation.err = &err;
  return command->run(invocation);
}

}  // namespace xatm
