// The xatm command table.
//
// A command is a name, a one-line summary for `xatm --help`, and a run
// function. To add one (recover, in-doubt, log, ...): write
// cli/commands/NAME.cc defining `Command NameCommand()` (build files pick
// the new file up), declare it in cli/commands/commands.h, and add one line
// to the table in cli/command_table.cc. cli/command_line.h does the common
// work: options, --help, logging, loading the config.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace xatm {

// What `xatm` exits with. Scripts rely on these.
enum ExitCode : int {
  kExitOk = 0,          // done; for transfer: committed everywhere
  kExitFailed = 1,      // failed or aborted: nothing changed
  kExitUsage = 2,       // bad usage or configuration: nothing attempted
  kExitInDoubt = 3,     // commit decided and durable, not yet finished in every
                        // database: recovery finishes it; do not retry
  kExitUnresolved = 4,  // recovery: something is still in doubt (a database
                        // down, a young branch, a heuristic outcome)
  kExitUnknown = 5,     // transfer: outcome unknown, no durable decision
                        // settles it (a lost one-phase answer, a failed
                        // decision append): check the balances and the
                        // ledger (or run recover) before retrying
};

// One run of one command.
struct Invocation {
  std::string program = "xatm";
  std::string command;            // the command's name
  std::vector<std::string> args;  // every argument except the command name
  std::ostream* out = nullptr;    // results
  std::ostream* err = nullptr;    // errors (one line each)
};

struct Command {
  std::string_view name;
  std::string_view summary;                  // one line, no final period
  int (*run)(const Invocation& invocation);  // returns an ExitCode
};

// Every command, in the order `xatm --help` lists them.
const std::vector<Command>& Commands();

// nullptr when there is no command called `name`.
const Command* FindCommand(std::string_view name);

}  // namespace xatm
