// xatm balance [RES:ID ...]
#include <algorithm>
#include <map>

#include "cli/bank/accounts.h"
#include "cli/command_line.h"
#include "cli/commands/commands.h"
#include "cli/json_output.h"
#include "cli/manager.h"
#include "xatm/resource_factory.h"

namespace xatm {
namespace {

// Every balance asked for, or every account of every resource.
Result<std::vector<AccountBalance>> Collect(
    const std::vector<AccountRef>& accounts,
    const std::vector<std::shared_ptr<Resource>>& resources) {
  std::map<std::string, Resource*> by_name;
  for (const auto& r : resources) by_name[r->name()] = r.get();
  std::vector<AccountBalance> balances;
  if (accounts.empty()) {
    for (const auto& r : resources) {
      XATM_ASSIGN_OR_RETURN(std::vector<AccountBalance> listed,
                            ListAccounts(*r));
      balances.insert(balances.end(), listed.begin(), listed.end());
    }
    std::sort(balances.begin(), balances.end(),
              [](const AccountBalance& a, const AccountBalance& b) {
                return a.account < b.account;
              });
    return balances;
  }
  for (const AccountRef& account : accounts) {
    XATM_ASSIGN_OR_RETURN(Amount balance,
                          ReadBalance(*by_name[account.resource], account.id));
    balances.push_back({account, balance});
  }
  return balances;
}

// {"accounts": [{"account": "pg:alice", "balance": "84.75"}, ...],
//  "total": "150.00"}
Json BalancesJson(const std::vector<AccountBalance>& balances,
                  const Amount& total) {
  Json accounts = Json::array();
  for (const AccountBalance& b : balances) {
    accounts.push_back(
        {{"account", b.account.ToString()}, {"balance", b.balance.ToString()}});
  }
  return {{"accounts", std::move(accounts)}, {"total", total.ToString()}};
}

int Run(const Invocation& invocation) {
  CommandSpec spec(
      "balance [RES:ID ...]",
      "Prints 'RES:ID AMOUNT' for each account named, or for every account "
      "of every\nconfigured database (sorted) when none is named, then "
      "'total AMOUNT'.\nEach database is read in its own transaction: while "
      "transfers run, the total\nmay include a transfer's debit but not yet "
      "its credit.");
  spec.hidden.add_options()("account", po::value<std::vector<std::string>>());
  spec.positional.add("account", -1);
  AddJsonOption(spec);
  return RunCommand(invocation, spec, [](CommandContext& ctx) {
    std::vector<AccountRef> accounts;
    for (const std::string& text : ctx.Options("account")) {
      Result<AccountRef> account = ctx.Account(text);
      if (!account.ok()) {
        return ctx.Fail(kExitUsage, account.status().message());
      }
      accounts.push_back(*account);
    }
    Result<std::vector<std::shared_ptr<Resource>>> resources =
        MakeResources(ctx.config());
    if (!resources.ok()) {
      return ctx.Fail(kExitUsage, resources.status().message());
    }
    Result<std::vector<AccountBalance>> balances =
        Collect(accounts, *resources);
    if (!balances.ok()) {
      const Status& s = balances.status();
      return ctx.Fail(kExitFailed, s.code() == StatusCode::kNotFound
                                       ? s.message()
                                       : s.ToString());
    }
    Result<Amount> total = Total(*balances);
    if (!total.ok()) return ctx.Fail(kExitFailed, total.status().ToString());
    if (ctx.json()) {
      WriteJson(ctx.out(), BalancesJson(*balances, *total));
      return static_cast<int>(kExitOk);
    }
    for (const AccountBalance& b : *balances) {
      ctx.out() << b.account.ToString() << " " << b.balance.ToString() << "\n";
    }
    ctx.out() << "total " << total->ToString() << "\n";
    return static_cast<int>(kExitOk);
  });
}

}  // namespace

Command BalanceCommand() {
  return {"balance", "Print account balances and their total", &Run};
}

}  // namespace xatm
