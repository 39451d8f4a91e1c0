// How big the decision log directory gets: a million transactions, each a
// COMMIT and an END, from 64 threads on the real disk (XATM_BENCH_DIR,
// default /var/tmp). Prints the time, the largest size of the directory
// seen while it ran (sampled every 20 ms), its size after the close, and
// how long the reopen's replay takes.
//
//   log_size_bench [TRANSACTIONS]
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "xatm/decision_log.h"
#include "xatm/logging.h"

namespace xatm {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr int kThreads = 64;

uint64_t DirectoryBytes(const std::string& dir) {
  uint64_t bytes = 0;
  std::error_code ignored;  // a segment deleted while we look
  for (const auto& entry : fs::directory_iterator(dir, ignored)) {
    const uintmax_t size = fs::file_size(entry.path(), ignored);
    if (size != static_cast<uintmax_t>(-1)) bytes += size;
  }
  return bytes;
}

double SecondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

int Run(int transactions) {
  const char* base = std::getenv("XATM_BENCH_DIR");
  std::string dir = std::string(base != nullptr ? base : "/var/tmp") +
                    "/xatm-log-size-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string log_dir = dir + "/log";
  const std::vector<std::string> resources = {"bank_pg", "bank_my"};
  const auto start = Clock::now();
  std::atomic<uint64_t> largest{0};
  {
    DecisionLogOptions create;
    create.create_if_missing = true;  // a fresh directory
    Result<std::unique_ptr<DecisionLog>> log =
        DecisionLog::Open(log_dir, create);
    if (!log.ok()) {
      std::fprintf(stderr, "open: %s\n", log.status().ToString().c_str());
      return 1;
    }
    std::atomic<int> next{0};
    std::atomic<bool> done{false}, failed{false};
    std::thread watcher([&] {
      while (!done) {
        largest = std::max<uint64_t>(largest, DirectoryBytes(log_dir));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        char gtrid[64];
        for (int i; (i = next++) < transactions && !failed;) {
          std::snprintf(gtrid, sizeof(gtrid),
                        "xatm:bench-node-01:1700000000000:%016x", i);
          if (!(*log)->LogCommit(gtrid, resources, 1).ok() ||
              !(*log)->LogEnd(gtrid, 2).ok()) {
            failed = true;
          }
        }
      });
    }
    for (std::thread& t : threads) t.join();
    done = true;
    watcher.join();
    if (failed) {
      std::fprintf(stderr, "an append failed: %s\n",
                   (*log)->health().ToString().c_str());
      return 1;
    }
  }
  const double seconds = SecondsSince(start);
  const uint64_t after = DirectoryBytes(log_dir);
  const auto reopened = Clock::now();
  Result<std::unique_ptr<DecisionLog>> log = DecisionLog::Open(log_dir);
  if (!log.ok()) {
    std::fprintf(stderr, "reopen: %s\n", log.status().ToString().c_str());
    return 1;
  }
  const double replay = SecondsSince(reopened);
  std::printf(
      "%d transactions (COMMIT + END) from %d threads in %.1f s\n"
      "log directory: at most %.2f MB while running, %.2f MB after\n"
      "reopen: %zu open decisions, %.3f s\n",
      transactions, kThreads, seconds, static_cast<double>(largest) / 1e6,
      static_cast<double>(after) / 1e6, (*log)->OpenCommits().size(), replay);
  log->reset();
  fs::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace xatm

int main(int argc, char** argv) {
  xatm::Logger()->set_level(spdlog::level::warn);
  const int transactions = argc > 1 ? std::atoi(argv[1]) : 1000000;
  if (transactions <= 0) {
    std::fprintf(stderr, "usage: log_size_bench [TRANSACTIONS > 0]\n");
    return 2;
  }
  return xatm::Run(transactions);
}
