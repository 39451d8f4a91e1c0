#include "cli/command.h"
#include "cli/commands/commands.h"

namespace xatm {

const std::vector<Command>& Commands() {
  // One line per command, in the order `xatm --help` lists them.
  // clang-format off
  static const std::vector<Command> table = {
      InitCommand(),
      CreateAccountCommand(),
      BalanceCommand(),
      TransferCommand(),
      RecoverCommand(),
      InDoubtCommand(),
      ResolveCommand(),
      LogCommand(),
      ServeCommand(),
      NodesCommand(),
      BenchCommand(),
  };
  // clang-format on
  return table;
}

const Command* FindCommand(std::string_view name) {
  for (const Command& c : Commands()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

}  // namespace xatm
