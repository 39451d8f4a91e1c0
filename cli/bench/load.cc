#include "cli/bench/load.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace xatm {
namespace {

using SteadyClock = std::chrono::steady_clock;

// What one client thread counts. Only the progress line reads the atomics
// meanwhile; the rest is read after the thread is joined.
struct alignas(64) ClientTally {
  std::atomic<int64_t> transfers{0};
  std::atomic<int64_t> aborted{0};
  int64_t failed = 0;
  std::string first_failure;
  std::vector<int64_t> latencies_ns;  // committed transfers only
};

void RunClient(int client, SteadyClock::time_point deadline,
               const TransferAttempt& attempt, ClientTally* tally) {
  std::mt19937_64 rng(std::random_device{}() ^
                      (static_cast<uint64_t>(client) << 32));
  tally->latencies_ns.reserve(1 << 16);
  for (SteadyClock::time_point start = SteadyClock::now(); start < deadline;
       start = SteadyClock::now()) {
    Status s = attempt(client, rng);
    const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           SteadyClock::now() - start)
                           .count();
    if (s.ok()) {
      tally->latencies_ns.push_back(ns);
      tally->transfers.fetch_add(1, std::memory_order_relaxed);
    } else if (s.code() == StatusCode::kAborted) {
      tally->aborted.fetch_add(1, std::memory_order_relaxed);
    } else {
      if (tally->failed++ == 0) tally->first_failure = s.ToString();
    }
  }
}

// Rewrites one line in place until `stop` is set, then clears it.
class ProgressLine {
 public:
  ProgressLine(std::ostream* out, SteadyClock::time_point start,
               const std::vector<std::unique_ptr<ClientTally>>& tallies)
      : out_(out), start_(start), tallies_(tallies) {
    if (out_ != nullptr) thread_ = std::thread([this] { Loop(); });
  }
  ~ProgressLine() {
    if (out_ == nullptr) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
    *out_ << "\r" << std::string(60, ' ') << "\r" << std::flush;
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(500),
                         [this] { return stop_; })) {
      int64_t transfers = 0, aborted = 0;
      for (const auto& t : tallies_) {
        transfers += t->transfers.load(std::memory_order_relaxed);
        aborted += t->aborted.load(std::memory_order_relaxed);
      }
      const double elapsed =
          std::chrono::duration<double>(SteadyClock::now() - start_).count();
      char line[96];
      std::snprintf(line, sizeof(line),
                    "\r%6.1f s  %9.1f transfers/s  %lld aborted   ", elapsed,
                    transfers / elapsed, static_cast<long long>(aborted));
      *out_ << line << std::flush;
    }
  }

  std::ostream* out_;
  const SteadyClock::time_point start_;
  const std::vector<std::unique_ptr<ClientTally>>& tallies_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

LoadResult RunLoad(const LoadOptions& options, const TransferAttempt& attempt) {
  std::vector<std::unique_ptr<ClientTally>> tallies;
  for (int i = 0; i < options.clients; ++i) {
    tallies.push_back(std::make_unique<ClientTally>());
  }
  const SteadyClock::time_point start = SteadyClock::now();
  const SteadyClock::time_point deadline =
      start + std::chrono::milliseconds(options.duration_ms);
  SteadyClock::time_point end;
  {
    ProgressLine progress(options.progress, start, tallies);
    std::vector<std::thread> clients;
    for (int i = 0; i < options.clients; ++i) {
      clients.emplace_back(RunClient, i, deadline, std::cref(attempt),
                           tallies[i].get());
    }
    for (std::thread& t : clients) t.join();
    end = SteadyClock::now();
  }
  LoadResult result;
  result.elapsed_s = std::chrono::duration<double>(end - start).count();
  std::vector<std::vector<int64_t>> latencies;
  for (auto& t : tallies) {
    result.transfers += t->transfers.load();
    result.aborted += t->aborted.load();
    result.failed += t->failed;
    if (result.first_failure.empty()) result.first_failure = t->first_failure;
    latencies.push_back(std::move(t->latencies_ns));
  }
  result.latency = SummarizeLatencies(latencies);
  return result;
}

}  // namespace xatm
