// The coordinator's own cost per global transaction: no-op resources and an
// in-memory decision log, so what remains is Xid creation, enlistment, the
// parallel phases' hand-offs and the bookkeeping. Reports ns and heap
// allocations per transaction.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "xatm/logging.h"
#include "xatm/memory_decision_log.h"
#include "xatm/transaction.h"
#include "xatm/transaction_manager.h"

namespace {

std::atomic<uint64_t> g_allocations{0};

}  // namespace

void* operator new(size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace xatm {
namespace {

class NoopBranch : public Branch {
 public:
  explicit NoopBranch(const std::string& name) : name_(name) {}
  const std::string& resource_name() const override { return name_; }
  Result<int64_t> Execute(const std::string&,
                          const std::vector<std::string>&) override {
    return int64_t{1};
  }
  Result<std::vector<Row>> Query(const std::string&,
                                 const std::vector<std::string>&) override {
    return std::vector<Row>{};
  }
  Status Prepare() override { return Status::Ok(); }
  Status CommitPrepared() override { return Status::Ok(); }
  Status Rollback() override { return Status::Ok(); }
  Status CommitOnePhase() override { return Status::Ok(); }

 private:
  const std::string& name_;
};

class NoopResource : public Resource {
 public:
  explicit NoopResource(std::string name) : name_(std::move(name)) {}
  const std::string& name() const override { return name_; }
  const std::string& type() const override { return type_; }
  Result<std::unique_ptr<Branch>> Begin(const Xid&) override {
    return std::unique_ptr<Branch>(new NoopBranch(name_));
  }
  Result<std::vector<PreparedBranch>> ListPrepared() override {
    return std::vector<PreparedBranch>{};
  }
  Status CommitPrepared(const Xid&) override { return Status::Ok(); }
  Status RollbackPrepared(const Xid&) override { return Status::Ok(); }
  Result<BranchOutcome> LookupOutcome(const Xid&) override {
    return BranchOutcome::kCommitted;
  }
  Result<std::vector<Row>> QueryLocal(
      const std::string&, const std::vector<std::string>&) override {
    return std::vector<Row>{};
  }
  Status ExecuteLocal(const std::string&,
                      const std::vector<std::string>&) override {
    return Status::Ok();
  }

 private:
  std::string name_;
  std::string type_ = "noop";
};

std::unique_ptr<TransactionManager> MakeManager(int resources) {
  std::vector<std::shared_ptr<Resource>> all;
  for (int i = 0; i < resources; ++i) {
    all.push_back(std::make_shared<NoopResource>("r" + std::to_string(i)));
  }
  TransactionManagerOptions options;
  options.node_id = "bench";
  return TransactionManager::Create(options, all,
                                    std::make_unique<MemoryDecisionLog>())
      .value();
}

void RunTransactions(benchmark::State& state, int resources) {
  auto tm = MakeManager(resources);
  std::vector<std::string> names;
  for (int i = 0; i < resources; ++i) names.push_back("r" + std::to_string(i));
  uint64_t allocations_before = g_allocations.load();
  for (auto _ : state) {
    auto txn = tm->Begin().value();
    for (const auto& name : names) {
      benchmark::DoNotOptimize(txn->Enlist(name).value());
    }
    Status s = txn->Commit();
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
  // The counter is process-wide: per transaction only with one thread.
  if (state.threads() == 1) {
    double allocations =
        static_cast<double>(g_allocations.load() - allocations_before);
    state.counters["allocs/txn"] =
        benchmark::Counter(allocations, benchmark::Counter::kAvgIterations);
  }
  state.counters["txn/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// One branch: one-phase commit, no log, no hand-off.
void BM_OnePhase(benchmark::State& state) { RunTransactions(state, 1); }
// Two branches: parallel prepare, in-memory decision, parallel commit, END.
void BM_TwoPhase(benchmark::State& state) { RunTransactions(state, 2); }
void BM_TwoPhaseFourBranches(benchmark::State& state) {
  RunTransactions(state, 4);
}

BENCHMARK(BM_OnePhase);
BENCHMARK(BM_TwoPhase);
BENCHMARK(BM_TwoPhaseFourBranches);
BENCHMARK(BM_TwoPhase)->Threads(8)->UseRealTime();

}  // namespace
}  // namespace xatm

int main(int argc, char** argv) {
  // Warnings only (the default): per-commit lines are not the cost.
  xatm::Logger()->set_level(spdlog::level::warn);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
