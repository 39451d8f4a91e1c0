// xatm transfer --from RES:ID --to RES:ID --amount AMOUNT
#include "cli/bank/transfer.h"

#include "cli/command_line.h"
#include "cli/commands/commands.h"
#include "cli/commands/transfer_outcome.h"
#include "cli/json_output.h"
#include "cli/manager.h"

namespace xatm {
namespace {

int Run(const Invocation& invocation) {
  CommandSpec spec(
      "transfer --from RES:ID --to RES:ID --amount AMOUNT",
      "Moves AMOUNT from one account to another as one global transaction\n"
      "and prints 'GTRID committed', 'GTRID aborted: REASON', 'GTRID in\n"
      "doubt: REASON' or 'GTRID outcome unknown: REASON'. Exit 0 committed,\n"
      "1 aborted (nothing changed), 2 bad usage (nothing attempted), 3 in\n"
      "doubt (the commit is decided; recovery finishes it: do not retry),\n"
      "5 outcome unknown (no durable decision settles it: check the\n"
      "balances, or run recover, before retrying).");
  spec.options.add_options()("from",
                             po::value<std::string>()->value_name("RES:ID"),
                             "account to debit, e.g. pg:alice")(
      "to", po::value<std::string>()->value_name("RES:ID"),
      "account to credit, e.g. my:bob")(
      "amount", po::value<std::string>()->value_name("AMOUNT"),
      "positive, at most 2 decimals, e.g. 25.50");
  AddJsonOption(spec);
  return RunCommand(invocation, spec, [](CommandContext& ctx) {
    // Everything is checked before any connection or the log is opened.
    for (const char* required : {"from", "to", "amount"}) {
      if (ctx.Option(required) == nullptr) {
        return ctx.Fail(kExitUsage, std::string("missing --") + required);
      }
    }
    Result<Amount> amount = Amount::ParsePositive(*ctx.Option("amount"));
    if (!amount.ok()) return ctx.Fail(kExitUsage, amount.status().message());
    Result<AccountRef> from = ctx.Account(*ctx.Option("from"));
    if (!from.ok()) return ctx.Fail(kExitUsage, from.status().message());
    Result<AccountRef> to = ctx.Account(*ctx.Option("to"));
    if (!to.ok()) return ctx.Fail(kExitUsage, to.status().message());
    if (*from == *to) {
      return ctx.Fail(kExitUsage, "--from and --to are the same account " +
                                      from->ToString());
    }

    // What is known before anything starts, for a --json failure.
    const Json request = {{"from", from->ToString()},
                          {"to", to->ToString()},
                          {"amount", amount->ToString()}};

    // Concurrent xatm commands take turns on the decision log.
    Result<std::unique_ptr<TransactionManager>> tm =
        OpenTransactionManager(ctx.config());
    if (!tm.ok()) {
      return ctx.Fail(
          kExitFailed,
          "cannot start the transaction manager: " + tm.status().ToString(),
          request);
    }
    Result<TransferResult> result = Transfer(**tm, *from, *to, *amount);
    if (!result.ok()) {
      return ctx.Fail(result.status().code() == StatusCode::kInvalidArgument
                          ? kExitUsage
                          : kExitFailed,
                      result.status().ToString(), request);
    }
    if (ctx.json()) {
      WriteJson(ctx.out(), TransferJson(*result, *from, *to, *amount));
    } else {
      ctx.out() << TransferLine(*result) << "\n";
    }
    return DescribeTransfer(*result).exit_code;
  });
}

}  // namespace

Command TransferCommand() {
  return {"transfer", "Move money between two accounts atomically", &Run};
}

}  // namespace xatm
