// The commands of the xatm table (cli/command_table.cc), one file each.
#pragma once

#include "cli/command.h"

namespace xatm {

Command InitCommand();           // init.cc
Command CreateAccountCommand();  // create_account.cc
Command BalanceCommand();        // balance.cc
Command TransferCommand();       // transfer.cc
Command RecoverCommand();        // recover.cc
Command InDoubtCommand();        // in_doubt.cc
Command ResolveCommand();        // resolve.cc
Command LogCommand();            // log.cc
Command BenchCommand();          // bench.cc
Command ServeCommand();          // serve.cc
Command NodesCommand();          // nodes.cc

}  // namespace xatm
