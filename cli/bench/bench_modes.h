// The three ways `xatm bench` moves money, through the same transfer code
// where they can:
//   2pc   - the real thing: TransactionManager over the configured decision
//           log, cli/bank's Transfer.
//   raw   - the same coordinator and statements, but the decision kept in
//           memory (MemoryDecisionLog): no fsync, not crash safe. What the
//           protocol costs without the log.
//   local - each side's statements committed as an independent local
//           transaction: no atomicity at all. The unsafe baseline.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cli/bank/account_ref.h"
#include "cli/bank/amount.h"
#include "cli/config.h"
#include "xatm/resource.h"
#include "xatm/status.h"
#include "xatm/transaction_manager.h"
#include "xatm/xid.h"

namespace xatm {

enum class BenchMode { kTwoPhase, kRaw, kLocal };

// "2pc", "raw" or "local"; InvalidArgument otherwise.
Result<BenchMode> ParseBenchMode(std::string_view text);
const char* BenchModeName(BenchMode mode);

// The resources of a Config and what a mode needs on top of them.
// Thread-safe: Transfer is called by every client thread.
class BenchTarget {
 public:
  // 2pc opens the decision log of `config` (waiting up to log_lock_wait
  // while another process holds it). `worker_threads`: the manager's pool.
  static Result<std::unique_ptr<BenchTarget>> Open(BenchMode mode,
                                                   const Config& config,
                                                   int worker_threads);

  const std::vector<std::shared_ptr<Resource>>& resources() const {
    return resources_;
  }

  // One transfer: OK committed, Aborted rolled back, other = failed or in
  // doubt.
  Status Transfer(const AccountRef& from, const AccountRef& to,
                  const Amount& amount);

 private:
  BenchTarget(BenchMode mode, std::vector<std::shared_ptr<Resource>> resources,
              std::unique_ptr<TransactionManager> tm, const std::string& node);

  // local: side after side, each in its own local transaction.
  Status TransferLocally(const AccountRef& from, const AccountRef& to,
                         const Amount& amount);

  const BenchMode mode_;
  const std::vector<std::shared_ptr<Resource>> resources_;
  const std::unique_ptr<TransactionManager> tm_;  // 2pc, raw
  XidGenerator xids_;  // local: ids for the ledger rows
};

}  // namespace xatm
