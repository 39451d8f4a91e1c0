// xatm transfer --from RES:ID --to RES:ID --amount AMOUNT [--key KEY]
#include "cli/bank/transfer.h"

#include <optional>
#include <string>

#include "cli/command_line.h"
#include "cli/commands/commands.h"
#include "cli/manager.h"
#include "tm/keys/idempotency_key.h"

namespace xatm {
namespace {

constexpr int64_t kLogLockWaitMs = 10000;

// Library messages start with "xid=GTRID: " or "xid=GTRID "; the output
// line already begins with the gtrid.
std::string Reason(const std::string& message, const std::string& gtrid) {
  for (const std::string& prefix :
       {"xid=" + gtrid + ": ", "xid=" + gtrid + " "}) {
    if (message.rfind(prefix, 0) == 0) return message.substr(prefix.size());
  }
  return message;
}

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

    // Concurrent xatm commands take turns on the decision log.
    Result<std::unique_ptr<TransactionManager>> tm =
        OpenTransactionManager(ctx.config(), kLogLockWaitMs);
    if (!tm.ok()) {
      return ctx.Fail(kExitFailed, "cannot start the transaction manager: " +
                                       tm.status().ToString());
    }
    Result<TransferResult> result = Transfer(**tm, *from, *to, *amount, key);
    if (!result.ok()) {
      if (result.status().code() == StatusCode::kInvalidArgument) {
        return ctx.Fail(kExitUsage,
                        result.status().message() + " (nothing moved)");
      }
      return ctx.Fail(kExitFailed, result.status().ToString());
    }
    const Status& s = result->status;
    const std::string reason = Reason(s.message(), result->gtrid);
    // The key's original transaction: nothing moved now.
    const std::string replayed =
        result->replayed
            ? " (already done with key " + *key + ": nothing moved now)"
            : std::string();
    switch (s.code()) {
      case StatusCode::kOk:
        ctx.out() << result->gtrid << " committed" << replayed << "\n";
        return static_cast<int>(kExitOk);
      case StatusCode::kInDoubt:
        if (result->gtrid.empty()) {
          ctx.out() << "key " << *key << " in doubt: " << reason << "\n";
        } else {
          ctx.out() << result->gtrid << " in doubt: " << reason
                    << (result->replayed
                            ? " (key " + *key + ": nothing moved now)"
                            : std::string())
                    << "\n";
        }
        return static_cast<int>(kExitInDoubt);
      case StatusCode::kAborted:
        ctx.out() << result->gtrid << " aborted: " << reason << "\n";
        return static_cast<int>(kExitFailed);
      case StatusCode::kUnknownOutcome:
        ctx.out() << result->gtrid << " outcome unknown: " << reason << "\n";
        return static_cast<int>(kExitUnknown);
      default:
        // Not an outcome Commit() documents: nothing is known, so never
        // claim that nothing changed, nor that a decision is durable.
        ctx.out() << result->gtrid
                  << " outcome unknown: " << s.ToString() << "\n";
        return static_cast<int>(kExitUnknown);
    }
  });
}

}  // namespace

Command TransferCommand() {
  return {"transfer", "Move money between two accounts atomically", &Run};
}

}  // namespace xatm
