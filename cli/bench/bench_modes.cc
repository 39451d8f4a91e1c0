#include "cli/bench/bench_modes.h"

#include <utility>

#include "cli/bank/saga_transfer.h"
#include "cli/bank/transfer.h"
#include "cli/manager.h"
#include "xatm/clock.h"
#include "xatm/memory_decision_log.h"

namespace xatm {

Result<BenchMode> ParseBenchMode(std::string_view text) {
  if (text == "2pc") return BenchMode::kTwoPhase;
  if (text == "raw") return BenchMode::kRaw;
  if (text == "local") return BenchMode::kLocal;
  if (text == "saga") return BenchMode::kSaga;
  return Status::InvalidArgument("--mode " + std::string(text) +
                                 " is not 2pc, raw, local or saga");
}

const char* BenchModeName(BenchMode mode) {
  switch (mode) {
    case BenchMode::kTwoPhase:
      return "2pc";
    case BenchMode::kRaw:
      return "raw";
    case BenchMode::kLocal:
      return "local";
    case BenchMode::kSaga:
      return "saga";
  }
  return "?";
}

Result<std::unique_ptr<BenchTarget>> BenchTarget::Open(BenchMode mode,
                                                       const Config& config,
                                                       int worker_threads) {
  XATM_ASSIGN_OR_RETURN(std::vector<std::shared_ptr<Resource>> resources,
                        MakeResources(config));
  std::unique_ptr<TransactionManager> tm;
  if (mode != BenchMode::kLocal) {
    TransactionManagerOptions options = CommandManagerOptions(config);
    options.worker_threads = worker_threads;
    OpenOptions open;
    open.worker_threads = worker_threads;
    // 2pc and saga keep their decisions where the configuration says.
    XATM_ASSIGN_OR_RETURN(
        tm,
        mode == BenchMode::kTwoPhase || mode == BenchMode::kSaga
            ? OpenCommandManager(config, open)
            : TransactionManager::Create(
                  options, resources, std::make_unique<MemoryDecisionLog>()));
    resources = tm->resources();
  }
  std::unique_ptr<SagaManager> sagas;
  if (mode == BenchMode::kSaga) {
    // The sagas of `xatm transfer --protocol saga`: their records in the
    // same decision store.
    XATM_ASSIGN_OR_RETURN(sagas, SagaManager::Create(*tm));
  }
  return std::unique_ptr<BenchTarget>(new BenchTarget(
      mode, std::move(resources), std::move(tm), std::move(sagas), config));
}

BenchTarget::BenchTarget(BenchMode mode,
                         std::vector<std::shared_ptr<Resource>> resources,
                         std::unique_ptr<TransactionManager> tm,
                         std::unique_ptr<SagaManager> sagas,
                         const Config& config)
    : mode_(mode),
      resources_(std::move(resources)),
      tm_(std::move(tm)),
      sagas_(std::move(sagas)),
      saga_options_(config.saga),
      xids_(config.node) {}

Status BenchTarget::Transfer(const AccountRef& from, const AccountRef& to,
                             const Amount& amount) {
  if (mode_ == BenchMode::kLocal) return TransferLocally(from, to, amount);
  Result<TransferResult> result = Status::Internal("not run");
  if (mode_ == BenchMode::kSaga) {
    result = SagaTransfer(*sagas_, *tm_, from, to, amount, std::nullopt,
                          saga_options_);
  } else {
    result = xatm::Transfer(*tm_, from, to, amount);
  }
  return result.ok() ? result->status : result.status();
}

Status BenchTarget::TransferLocally(const AccountRef& from,
                                    const AccountRef& to,
                                    const Amount& amount) {
  // Ledger rows look like those of a global transaction, so all modes run
  // the same statements.
  const std::string gtrid = xids_.Next(Clock::System()->NowMs()).Gtrid();
  for (const TransferSide& side : TransferSides(from, to, amount)) {
    Resource* resource = nullptr;
    for (const auto& r : resources_) {
      if (r->name() == side.account.resource) resource = r.get();
    }
    if (resource == nullptr) {
      return Status::InvalidArgument("unknown resource '" +
                                     side.account.resource + "'");
    }
    XATM_ASSIGN_OR_RETURN(std::unique_ptr<Branch> branch,
                          resource->BeginLocal());
    Status s = RunTransferSide(*branch, gtrid, side);
    // A side committed before this one stays committed: that is what
    // makes this mode unsafe.
    s = s.ok() ? branch->CommitOnePhase() : s;
    if (!s.ok()) {
      (void)branch->Rollback();
      return s;
    }
  }
  return Status::Ok();
}

}  // namespace xatm
