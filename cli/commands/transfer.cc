// xatm transfer --from RES:ID --to RES:ID --amount AMOUNT [--key KEY]
//               [--protocol auto|2pc|saga]
#include "cli/bank/transfer.h"

#include <optional>
#include <string>

#include "cli/bank/saga_transfer.h"
#include "cli/command_line.h"
#include "cli/commands/commands.h"
#include "cli/commands/transfer_outcome.h"
#include "cli/json_output.h"
#include "cli/manager.h"
#include "xatm/idempotency_key.h"
#include "xatm/resource_check.h"
#include "xatm/saga.h"

namespace xatm {
namespace {

// Why the transfer must run as a saga, as far as the configuration says:
// a resource it touches is configured xa = off ("" when none is).
std::string ConfiguredWithoutXa(const Config& config, const AccountRef& from,
                                const AccountRef& to) {
  for (const AccountRef* account : {&from, &to}) {
    const ResourceConfig* rc = config.FindResource(account->resource);
    if (rc != nullptr && !rc->xa) {
      return "resource '" + rc->name + "' is configured xa = off";
    }
  }
  return std::string();
}

// After a two-phase attempt that rolled back: whether it was because a
// PostgreSQL it touches cannot prepare (max_prepared_transactions = 0),
// and so cannot take part in any two-phase commit ("" if not). Asked only
// then, so a transfer pays no round trip for it; the attempt changed
// nothing.
std::string WhyNoPrepare(TransactionManager& tm, const TransferResult& result,
                         const AccountRef& from, const AccountRef& to) {
  if (result.status.code() != StatusCode::kAborted ||
      result.status.message().find("max_prepared_transactions") ==
          std::string::npos) {
    return std::string();
  }
  for (const AccountRef* account : {&from, &to}) {
    Resource* resource = tm.FindResource(account->resource);
    if (resource == nullptr) continue;
    Status can = CheckCanPrepare(*resource);
    if (can.code() == StatusCode::kFailedPrecondition) return can.message();
  }
  return std::string();
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
      "--protocol saga moves the money as a saga: the debit commits, then\n"
      "the credit; if the credit cannot happen the debit is undone (in doubt\n"
      "= not finished yet: recovery drives it on). Without --protocol a\n"
      "transfer touching a resource that cannot prepare (xa = off, or a\n"
      "PostgreSQL with max_prepared_transactions = 0, found when it refuses\n"
      "to prepare: that attempt changes nothing) runs as a saga and says\n"
      "so; --protocol 2pc then fails naming the resource, exit 2.\n"
      "With --key KEY the transfer runs at most once per key, so retrying\n"
      "with the same key is always safe: a key already committed moves\n"
      "nothing and prints 'GTRID committed (already done with key KEY:\n"
      "nothing moved now)', exit 0; a key whose transaction is not finished\n"
      "prints 'GTRID in doubt: ...' or 'key KEY in doubt: ...', exit 3; the\n"
      "same key with other accounts or another amount is refused, exit 2.");
  spec.options.add_options()("protocol",
                             po::value<std::string>()->value_name("PROTOCOL"),
                             "auto (default): 2pc, or saga when a resource "
                             "cannot prepare; 2pc; saga")(
      "from", po::value<std::string>()->value_name("RES:ID"),
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

    std::string protocol = "auto";
    if (const std::string* text = ctx.Option("protocol")) protocol = *text;
    if (protocol != "auto" && protocol != "2pc" && protocol != "saga") {
      return ctx.Fail(kExitUsage,
                      "--protocol " + protocol + " is not auto, 2pc or saga");
    }

    // What is known before anything starts, for a --json failure.
    Json request = {{"from", from->ToString()},
                    {"to", to->ToString()},
                    {"amount", amount->ToString()}};
    if (key) request["key"] = *key;

    // Concurrent xatm commands take turns on the decision log.
    Result<std::unique_ptr<TransactionManager>> tm =
        OpenCommandManager(ctx.config());
    if (!tm.ok()) {
      return ctx.Fail(
          kExitFailed,
          "cannot start the transaction manager: " + tm.status().ToString(),
          request);
    }
    auto not_possible = [&](const std::string& why) {
      return ctx.Fail(kExitUsage,
                      why +
                          ": two-phase commit is not possible (use "
                          "--protocol saga, or leave --protocol out)",
                      request);
    };
    std::string why_saga;
    Result<TransferResult> result = Status::Internal("not run");
    if (protocol != "saga") {
      why_saga = ConfiguredWithoutXa(ctx.config(), *from, *to);
      if (!why_saga.empty() && protocol == "2pc") return not_possible(why_saga);
      if (why_saga.empty()) {
        result = Transfer(**tm, *from, *to, *amount, key);
        if (result.ok()) why_saga = WhyNoPrepare(**tm, *result, *from, *to);
        // The attempt rolled back: nothing moved.
        if (!why_saga.empty() && protocol == "2pc") {
          return not_possible(why_saga);
        }
      }
    }
    if (protocol == "saga" || !why_saga.empty()) {
      Result<std::unique_ptr<SagaManager>> sagas = SagaManager::Create(**tm);
      if (!sagas.ok()) {
        return ctx.Fail(kExitFailed, sagas.status().ToString(), request);
      }
      result = SagaTransfer(**sagas, **tm, *from, *to, *amount, key,
                            ctx.config().saga);
    }
    if (!result.ok()) {
      if (result.status().code() == StatusCode::kInvalidArgument) {
        return ctx.Fail(kExitUsage,
                        result.status().message() + " (nothing moved)",
                        request);
      }
      return ctx.Fail(kExitFailed, result.status().ToString(), request);
    }
    if (ctx.json()) {
      Json doc = TransferJson(*result, *from, *to, *amount, key);
      if (!why_saga.empty()) doc["protocol_reason"] = why_saga;
      WriteJson(ctx.out(), doc);
    } else {
      ctx.out() << TransferLine(*result, key);
      if (!why_saga.empty()) ctx.out() << " (as a saga: " << why_saga << ")";
      ctx.out() << "\n";
    }
    return DescribeTransfer(*result).exit_code;
  });
}

}  // namespace

Command TransferCommand() {
  return {"transfer", "Move money between two accounts atomically", &Run};
}

}  // namespace xatm
