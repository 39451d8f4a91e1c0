// xatm transfer --from RES:ID --to RES:ID --amount AMOUNT [--key KEY]
#include "cli/bank/transfer.h"

#include <optional>
#include <string>

#include "cli/command_line.h"
#include "cli/commands/commands.h"
#include "cli/commands/transfer_outcome.h"
#include "cli/json_output.h"
#include "cli/manager.h"
#include "xatm/idempotency_key.h"

namespace xatm {
namespace {

int Run(const Invocation& invocation) {
  CommandSpec spec(
      "transfer --from RES:ID --to RES:ID --amount AMOUNT [--key KEY]",
      "Moves AMOUNT from one account to another as one global transaction\n"
      "and prints 'GTRID committed', 'GTRID aborted: REASON', 'GTRID in\n"
      "doubt: REASON' or 'GTRID outcome unknown: REASON'. Exit 0 committed,\n"
      "1 aborted (nothing changed), 2 bad usage (nothing attempted), 3 in\n"
      "doubt (the commit is decided; recovery finishes it: do not retry),\n"
      "5 outcome unknown (no durable decision settles it: check the\n"
      "balances, or run recover, before retrying).\n"
      "With --key KEY the transfer runs at most once per key, so retrying\n"
      "with the same key is always safe: a key already committed moves\n"
      "nothing and prints 'GTRID committed (already done with key KEY:\n"
      "nothing moved now)', exit 0; a key whose transaction is not finished\n"
      "prints 'GTRID in doubt: ...' or 'key KEY in doubt: ...', exit 3; the\n"
      "same key with other accounts or another amount is refused, exit 2.");
  spec.options.add_options()("from",
                             po::value<std::string>()->value_name("RES:ID"),
                             "account to debit, e.g. pg:alice")(
      "to", po::value<std::string>()->value_name("RES:ID"),
      "account to credit, e.g. my:bob")(
      "amount", po::value<std::string>()->value_name("AMOUNT"),
      "positive, at most 2 decimals, e.g. 25.50")(
      "key", po::value<std::string>()->value_name("KEY"),
      "idempotency key: 1-64 characters [A-Za-z0-9._:-]");
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
    std::optional<std::string> key;
    if (const std::string* text = ctx.Option("key")) {
      Status valid = ValidateKeyText(*text);
      if (!valid.ok()) return ctx.Fail(kExitUsage, "--key: " + valid.message());
      key = *text;
    }

    // What is known before anything starts, for a --json failure.
    Json request = {{"from", from->ToString()},
                    {"to", to->ToString()},
                    {"amount", amount->ToString()}};
    if (key) request["key"] = *key;

    // Concurrent xatm commands take turns on the decision log.
    Result<std::unique_ptr<TransactionManager>> tm =
        OpenTransactionManager(ctx.config());
    if (!tm.ok()) {
      return ctx.Fail(
          kExitFailed,
          "cannot start the transaction manager: " + tm.status().ToString(),
          request);
    }
    Result<TransferResult> result = Transfer(**tm, *from, *to, *amount, key);
    if (!result.ok()) {
      if (result.status().code() == StatusCode::kInvalidArgument) {
        return ctx.Fail(kExitUsage,
                        result.status().message() + " (nothing moved)",
                        request);
      }
      return ctx.Fail(kExitFailed, result.status().ToString(), request);
    }
    if (ctx.json()) {
      WriteJson(ctx.out(), TransferJson(*result, *from, *to, *amount, key));
    } else {
      ctx.out() << TransferLine(*result, key) << "\n";
    }
    return DescribeTransfer(*result).exit_code;
  });
}

}  // namespace

Command TransferCommand() {
  return {"transfer", "Move money between two accounts atomically", &Run};
}

}  // namespace xatm
