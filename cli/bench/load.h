// Closed-loop load: N client threads each run one transfer after another
// until the time is up, and count what happened.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <random>
#include <string>

#include "cli/bench/latency.h"
#include "xatm/status.h"

namespace xatm {

struct LoadOptions {
  int clients = 1;
  int64_t duration_ms = 10'000;
  // One carriage-return-updated line every half second (elapsed time,
  // transfers/s so far); nullptr for none.
  std::ostream* progress = nullptr;
};

struct LoadResult {
  int64_t transfers = 0;  // committed
  int64_t aborted = 0;    // rolled back, nothing changed
  int64_t failed = 0;     // any other outcome (in doubt, error)
  std::string first_failure;
  double elapsed_s = 0;    // until the last client finished
  LatencySummary latency;  // of the committed transfers
};

// One transfer by client `client` (0 .. clients-1) with that client's
// random source. OK = committed, Aborted = rolled back, anything else =
// failed. Called from the clients' threads concurrently.
using TransferAttempt = std::function<Status(int client, std::mt19937_64& rng)>;

LoadResult RunLoad(const LoadOptions& options, const TransferAttempt& attempt);

}  // namespace xatm
