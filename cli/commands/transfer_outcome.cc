#include "cli/commands/transfer_outcome.h"

#include "cli/command.h"

namespace xatm {
namespace {

// Library messages start with "xid=GTRID: " or "xid=GTRID "; the output
// already names the gtrid.
std::string Reason(const std::string& message, const std::string& gtrid) {
  for (const std::string& prefix :
       {"xid=" + gtrid + ": ", "xid=" + gtrid + " "}) {
    if (message.rfind(prefix, 0) == 0) return message.substr(prefix.size());
  }
  return message;
}

}  // namespace

TransferOutcome DescribeTransfer(const TransferResult& result) {
  const Status& s = result.status;
  const std::string reason = Reason(s.message(), result.gtrid);
  switch (s.code()) {
    case StatusCode::kOk:
      return {"committed", "committed", kExitOk, ""};
    case StatusCode::kInDoubt:
      return {"in_doubt", "in doubt", kExitInDoubt, reason};
    case StatusCode::kAborted:
      return {"aborted", "aborted", kExitFailed, reason};
    case StatusCode::kUnknownOutcome:
      return {"unknown", "outcome unknown", kExitUnknown, reason};
    default:
      // Not an outcome Commit() documents: nothing is known, so never
      // claim that nothing changed, nor that a decision is durable.
      return {"unknown", "outcome unknown", kExitUnknown, s.ToString()};
  }
}

std::string TransferLine(const TransferResult& result,
                         const std::optional<std::string>& key) {
  const TransferOutcome outcome = DescribeTransfer(result);
  std::string line = result.gtrid.empty() && key
                         ? "key " + *key + " " + outcome.text
                         : result.gtrid + " " + outcome.text;
  if (outcome.exit_code != kExitOk) line += ": " + outcome.reason;
  if (result.replayed && key) {
    line += outcome.exit_code == kExitOk
                ? " (already done with key " + *key + ": nothing moved now)"
                : " (key " + *key + ": nothing moved now)";
  }
  return line;
}

Json TransferJson(const TransferResult& result, const AccountRef& from,
                  const AccountRef& to, const Amount& amount,
                  const std::optional<std::string>& key) {
  const TransferOutcome outcome = DescribeTransfer(result);
  Json doc = {{"gtrid", result.gtrid.empty() ? Json() : Json(result.gtrid)},
              {"outcome", outcome.name},
              {"from", from.ToString()},
              {"to", to.ToString()},
              {"amount", amount.ToString()},
              {"protocol", result.protocol}};
  if (key) {
    doc["key"] = *key;
    doc["replayed"] = result.replayed;
  }
  if (outcome.exit_code == kExitOk) return doc;
  return ErrorJson(outcome.exit_code, outcome.reason, std::move(doc));
}

}  // namespace xatm
