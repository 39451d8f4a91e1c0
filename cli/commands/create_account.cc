// xatm create-account RES:ID --balance AMOUNT
#include "cli/bank/accounts.h"
#include "cli/command_line.h"
#include "cli/commands/commands.h"
#include "cli/manager.h"
#include "xatm/resource_factory.h"

namespace xatm {
namespace {

int Run(const Invocation& invocation) {
  CommandSpec spec("create-account RES:ID [--balance AMOUNT]",
                   "Creates account ID in the database named RES with an "
                   "opening balance.\nFails (exit 1) if the account exists.");
  spec.options.add_options()("balance",
                             po::value<std::string>()->value_name("AMOUNT"),
                             "opening balance, e.g. 100.00 (default 0.00)");
  spec.hidden.add_options()("account", po::value<std::string>());
  spec.positional.add("account", 1);
  return RunCommand(invocation, spec, [](CommandContext& ctx) {
    const std::string* text = ctx.Option("account");
    if (text == nullptr) return ctx.Fail(kExitUsage, "missing RES:ID");
    Result<AccountRef> account = ctx.Account(*text);
    if (!account.ok()) return ctx.Fail(kExitUsage, account.status().message());
    const std::string* balance_text = ctx.Option("balance");
    Result<Amount> balance = Amount::ParseNonNegative(
        balance_text != nullptr ? *balance_text : "0.00", "balance");
    if (!balance.ok()) return ctx.Fail(kExitUsage, balance.status().message());

    Result<std::shared_ptr<Resource>> resource =
        MakeResource(*ctx.config().FindResource(account->resource));
    if (!resource.ok()) {
      return ctx.Fail(kExitUsage, resource.status().message());
    }
    Status created = CreateAccount(**resource, account->id, *balance);
    if (!created.ok()) {
      return ctx.Fail(kExitFailed, created.code() == StatusCode::kAlreadyExists
                                       ? created.message()
                                       : created.ToString());
    }
    ctx.out() << "created " << account->ToString() << " " << balance->ToString()
              << "\n";
    return static_cast<int>(kExitOk);
  });
}

}  // namespace

Command CreateAccountCommand() {
  return {"create-account", "Create an account with an opening balance", &Run};
}

}  // namespace xatm
