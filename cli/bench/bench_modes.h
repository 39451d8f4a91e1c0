// The four ways `xatm bench` moves money, through the same transfer code
// where they can:
//   2pc   - the real thing: TransactionManager over the configured decision
//           log, cli/bank's Transfer.
//   saga  - the transfer as a saga, as `xatm transfer --protocol saga` runs
//           it: SagaManager over the configured decision store, cli/bank's
//           SagaTransfer (debit, then credit, each its own local commit).
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
#include "cli/bank/saga_transfer.h"
#include "xatm/config.h"
#include "xatm/resource.h"
#include "xatm/saga.h"
#include "xatm/status.h"
#include "xatm/transaction_manager.h"
#include "xatm/xid.h"

namespace xatm {

enum class BenchMode { kTwoPhase, kRaw, kLocal, kSaga };

// "2pc", "raw", "local" or "saga"; InvalidArgument otherwise.
Result<BenchMode> ParseBenchMode(std::string_view text);
const char* BenchModeName(BenchMode mode);

// The resources of a Config and what a mode needs on top of them.
// Thread-safe: Transfer is called by every client thread.
class BenchTarget {
 public:
  // 2pc and saga open the decision store of `config` (waiting up to
  // log_lock_wait while another process holds the file log).
  // `worker_threads`: the manager's pool.
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
              std::unique_ptr<TransactionManager> tm,
              std::unique_ptr<SagaManager> sagas, const Config& config);

  // local: side after side, each in its own local transaction.
  Status TransferLocally(const AccountRef& from, const AccountRef& to,
                         const Amount& amount);

  const BenchMode mode_;
  const std::vector<std::shared_ptr<Resource>> resources_;
  const std::unique_ptr<TransactionManager> tm_;  // 2pc, raw, saga
  const std::unique_ptr<SagaManager> sagas_;      // saga (over tm_)
  const SagaTransferOptions saga_options_;        // saga
  XidGenerator xids_;  // local: ids for the ledger rows
};

}  // namespace xatm
