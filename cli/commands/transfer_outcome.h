// What a transfer's answer means on the command line: the text line, the
// --json document and the exit code come from one description.
#pragma once

#include <optional>
#include <string>

#include "cli/bank/account_ref.h"
#include "cli/bank/amount.h"
#include "cli/bank/transfer.h"
#include "cli/json_output.h"

namespace xatm {

struct TransferOutcome {
  const char* name;  // --json "outcome": committed|aborted|in_doubt|unknown
  const char* text;  // committed|aborted|in doubt|outcome unknown
  int exit_code;
  std::string reason;  // why, when not committed; "" when committed
};

TransferOutcome DescribeTransfer(const TransferResult& result);

// "GTRID committed" or "GTRID aborted: REASON", without the line break;
// with a key, what the key did: "GTRID committed (already done with key K:
// nothing moved now)", "key K in doubt: REASON" (held by a transaction not
// finished yet, whose gtrid is not known).
std::string TransferLine(const TransferResult& result,
                         const std::optional<std::string>& key = std::nullopt);

// {"gtrid", "outcome", "from", "to", "amount"}, with a key also "key" and
// "replayed" (the key's original transaction: nothing moved now; "gtrid"
// null when it is not known), and when not committed "error": the reason
// and "exit_code".
Json TransferJson(const TransferResult& result, const AccountRef& from,
                  const AccountRef& to, const Amount& amount,
                  const std::optional<std::string>& key = std::nullopt);

}  // namespace xatm
