#include "cli/command.h"
#include "cli/commands/commands.h"

namespace xatm {

const std::vector<Command>& Commands() {
  // One line per command.
  static const std::vector<Command> table = {
      InitCommand(),
      CreateAccountCommand(),
      BalanceCommand(),
      TransferCommand(),
      RecoverCommand(),
      InDoubtCommand(),
      ResolveCommand(),
      LogCommand(),
  };
  return table;
}

const Command* FindCommand(std::string_view name) {
  for (const Command& c : Commands()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

}  // namespace xatm
