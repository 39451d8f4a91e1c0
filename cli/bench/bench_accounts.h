// The accounts `xatm bench` moves money between: bench-000000,
// bench-000001, ... in every resource, created when missing. Another
// prefix keeps benches running at once (several nodes) on accounts of
// their own, so each one's sum check sees only its own transfers.
#pragma once

#include <string>

#include "cli/bank/amount.h"
#include "xatm/resource.h"
#include "xatm/status.h"

namespace xatm {

// At most this many per resource: six digits.
inline constexpr int kMaxBenchAccounts = 1'000'000;

inline constexpr char kDefaultBenchPrefix[] = "bench-";

// Whether `prefix` can start a bench account id: [a-z0-9-]{1,16}.
bool ValidBenchPrefix(const std::string& prefix);

// "bench-000042". REQUIRES: 0 <= index < kMaxBenchAccounts.
std::string BenchAccountId(const std::string& prefix, int index);

// Creates the schema if missing, then every bench account below `count`
// that does not exist yet, with `opening` balance. Existing accounts keep
// their balance.
Status EnsureBenchAccounts(Resource& resource, const std::string& prefix,
                           int count, const Amount& opening);

// The exact sum of the balances of the bench accounts below `count`.
Result<Amount> SumBenchAccounts(Resource& resource, const std::string& prefix,
                                int count);

}  // namespace xatm
