// Decision-log append throughput and latency: group commit (DecisionLog)
// against a naive baseline that appends and fdatasyncs each record under a
// mutex (O_APPEND write + fdatasync: a growing file), with the same record
// size and the same threads, on the real disk. A third row does the same
// through the log's own file, which writes into space filled with zeros
// ahead of it: it separates what preallocation gains from what sharing a
// sync gains.
//
//   log_bench --benchmark_counters_tabular=true
//
// Counters: records/s over the wall time of the run, and p50/p99 latency
// of one append in microseconds, over all threads.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tm/log/record_codec.h"
#include "xatm/decision_log.h"
#include "xatm/file_system.h"
#include "xatm/logging.h"

namespace xatm {
namespace {

using Clock = std::chrono::steady_clock;

const std::vector<std::string> kResources = {"bank_pg", "bank_my"};

// The size of a real one: "xatm:" node ":" begin_ms ":" 16 hex digits.
std::string MakeGtrid(uint64_t id) {
  char buf[64];
  std::snprintf(buf, sizeof(buf),
                "xatm:bench-node-01:1700000000000:%016" PRIx64, id);
  return buf;
}

// State of one run, shared by its threads.
struct Run {
  std::string dir;
  std::unique_ptr<DecisionLog> log;    // group commit
  int naive_fd = -1;                   // baseline
  std::unique_ptr<WritableFile> file;  // one sync per record, preallocated
  std::mutex file_mu;
  std::atomic<uint64_t> next_id{0};
  Clock::time_point start;

  std::mutex mu;
  std::condition_variable all_in;
  std::vector<double> latencies_us;
  uint64_t records = 0;
  int arrived = 0;
  double p50 = 0, p99 = 0, records_per_s = 0;
};

Run* run = nullptr;

void Die(const char* what, const Status& status) {
  std::fprintf(stderr, "log_bench: %s: %s\n", what, status.ToString().c_str());
  std::exit(1);
}

void SetUp(const benchmark::State&) {
  run = new Run();
  const char* base = std::getenv("XATM_BENCH_DIR");
  std::string tmpl = std::string(base != nullptr ? base : "/var/tmp") +
                     "/xatm-log-bench-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::perror("mkdtemp");
    std::exit(1);
  }
  run->dir = tmpl;
  DecisionLogOptions options;
  options.create_if_missing = true;  // a fresh directory
  Result<std::unique_ptr<DecisionLog>> log =
      DecisionLog::Open(run->dir + "/log", options);
  if (!log.ok()) Die("open", log.status());
  run->log = std::move(*log);
  Result<std::unique_ptr<WritableFile>> file =
      FileSystem::Default()->NewWritableFile(run->dir + "/baseline.log");
  if (!file.ok()) Die("create", file.status());
  run->file = std::move(*file);
  const std::string naive = run->dir + "/naive.log";
  run->naive_fd =
      ::open(naive.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (run->naive_fd < 0) {
    std::perror(naive.c_str());
    std::exit(1);
  }
  run->start = Clock::now();
}

void TearDown(const benchmark::State&) {
  run->log.reset();
  (void)run->file->Close();
  ::close(run->naive_fd);
  const std::string cmd = "rm -rf '" + run->dir + "'";
  if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "rm failed\n");
  delete run;
  run = nullptr;
}

// Merges this thread's latencies; the last thread computes the figures, and
// every thread reports them averaged (kAvgThreads), i.e. unchanged.
void Report(benchmark::State& state, std::vector<double>* mine) {
  std::unique_lock<std::mutex> lock(run->mu);
  run->latencies_us.insert(run->latencies_us.end(), mine->begin(), mine->end());
  run->records += mine->size();
  if (++run->arrived == state.threads()) {
    const double seconds =
        std::chrono::duration<double>(Clock::now() - run->start).count();
    std::vector<double>& all = run->latencies_us;
    if (!all.empty()) {
      std::sort(all.begin(), all.end());
      run->p50 = all[all.size() / 2];
      run->p99 = all[std::min(all.size() - 1, all.size() * 99 / 100)];
    }
    run->records_per_s = static_cast<double>(run->records) / seconds;
    run->all_in.notify_all();
  } else {
    run->all_in.wait(lock, [&] { return run->arrived == state.threads(); });
  }
  state.counters["records/s"] =
      benchmark::Counter(run->records_per_s, benchmark::Counter::kAvgThreads);
  state.counters["p50_us"] =
      benchmark::Counter(run->p50, benchmark::Counter::kAvgThreads);
  state.counters["p99_us"] =
      benchmark::Counter(run->p99, benchmark::Counter::kAvgThreads);
}

double MicrosSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

void BM_GroupCommit(benchmark::State& state) {
  std::vector<double> latencies;
  latencies.reserve(4096);
  for (auto _ : state) {
    const std::string gtrid = MakeGtrid(run->next_id++);
    const auto t0 = Clock::now();
    Status s = run->log->LogCommit(gtrid, kResources, 1700000000000);
    latencies.push_back(MicrosSince(t0));
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  Report(state, &latencies);
}

// One record per write and per sync, through `append` (called under
// run->file_mu).
template <typename AppendAndSync>
void SyncEachRecord(benchmark::State& state, AppendAndSync append) {
  std::vector<double> latencies;
  latencies.reserve(4096);
  std::string frame;
  for (auto _ : state) {
    const std::string gtrid = MakeGtrid(run->next_id++);
    const auto t0 = Clock::now();
    frame.clear();
    Status s = AppendRecordFrame(RecordType::kCommit, gtrid, kResources,
                                 1700000000000, "", &frame);
    if (s.ok()) {
      std::lock_guard<std::mutex> lock(run->file_mu);
      s = append(frame);
    }
    latencies.push_back(MicrosSince(t0));
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  Report(state, &latencies);
}

void BM_SyncEachRecord(benchmark::State& state) {
  SyncEachRecord(state, [](const std::string& frame) {
    if (::write(run->naive_fd, frame.data(), frame.size()) !=
            static_cast<ssize_t>(frame.size()) ||
        ::fdatasync(run->naive_fd) != 0) {
      return Status::Unavailable(std::string("naive append: ") +
                                 std::strerror(errno));
    }
    return Status::Ok();
  });
}

void BM_SyncEachRecordPreallocated(benchmark::State& state) {
  SyncEachRecord(state, [](const std::string& frame) {
    Status s = run->file->Append(frame);
    return s.ok() ? run->file->Sync() : s;
  });
}

// Baseline and group commit side by side for each thread count, run one
// right after the other so that both see the same disk.
void Register() {
  for (int threads : {1, 4, 16, 64}) {
    for (auto [name, fn] : {std::pair{"BM_SyncEachRecord", &BM_SyncEachRecord},
                            std::pair{"BM_SyncEachRecordPreallocated",
                                      &BM_SyncEachRecordPreallocated},
                            std::pair{"BM_GroupCommit", &BM_GroupCommit}}) {
      benchmark::RegisterBenchmark(name, fn)
          ->Setup(SetUp)
          ->Teardown(TearDown)
          ->UseRealTime()
          ->MinTime(1.0)
          ->Threads(threads);
    }
  }
}

}  // namespace
}  // namespace xatm

int main(int argc, char** argv) {
  xatm::Logger()->set_level(spdlog::level::warn);  // one open per trial
  xatm::Register();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
