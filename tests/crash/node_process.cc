// xatm_node_process: one node of an application that links the library,
// for the takeover tests. It opens the manager of an xatm config (its
// decision store, grace_period, sweep_interval, takeover_after and
// heartbeat_interval), starts a BackgroundSweeper (node claim, heartbeat,
// takeover of silent nodes) and runs client threads doing transfers
// between the given accounts, the way `xatm transfer` does, until SIGTERM,
// --seconds or --transfers. One flushed stdout line per transfer:
//   acked GTRID     committed in every database
//   decided GTRID   the COMMIT decision is durable, phase 2 unfinished
//   aborted GTRID   rolled back everywhere
//   unknown GTRID   no durable decision settles it
// Status lines go to stderr ("xatm_node_process: started NODE" once the
// sweeper runs). Exit 0 after a stop, 1 when the manager or the sweeper
// cannot start, 2 for bad usage. Crash points (XATM_CRASH_AT,
// XATM_PAUSE_AT) fire inside it as in `xatm`.
//
//   xatm_node_process --config FILE --accounts RES:ID,RES:ID,...
//       [--threads K] [--seconds S] [--transfers N] [--seed N]
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli/bank/account_ref.h"
#include "cli/bank/amount.h"
#include "cli/bank/transfer.h"
#include "cli/serve/stop_signal.h"
#include "xatm/background_sweeper.h"
#include "xatm/config.h"
#include "xatm/logging.h"
#include "xatm/open_from_config.h"

namespace xatm {
namespace {

constexpr char kName[] = "xatm_node_process";

struct Options {
  std::string config_path;
  std::vector<AccountRef> pg;  // the debit or credit side in PostgreSQL
  std::vector<AccountRef> my;  // ... in MariaDB
  int threads = 4;
  int64_t seconds = 3600;
  int64_t transfers = 0;  // per thread; 0 = no limit
  unsigned seed = 0;
};

[[noreturn]] void Usage(const std::string& problem) {
  std::fprintf(stderr,
               "%s: %s\nusage: %s --config FILE --accounts RES:ID,... "
               "[--threads K] [--seconds S] [--transfers N] [--seed N]\n",
               kName, problem.c_str(), kName);
  std::exit(2);
}

int64_t NumberOf(const std::string& flag, const char* text) {
  char* end = nullptr;
  long long n = std::strtoll(text, &end, 10);
  if (end == text || *end != '\0' || n < 0) Usage("bad " + flag + " " + text);
  return n;
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) Usage("missing value of " + flag);
    const char* value = argv[++i];
    if (flag == "--config") {
      o.config_path = value;
    } else if (flag == "--accounts") {
      std::istringstream list(value);
      for (std::string item; std::getline(list, item, ',');) {
        Result<AccountRef> account = AccountRef::Parse(item);
        if (!account.ok()) Usage(account.status().message());
        (account->resource == "pg" ? o.pg : o.my).push_back(*account);
      }
    } else if (flag == "--threads") {
      o.threads = static_cast<int>(NumberOf(flag, value));
    } else if (flag == "--seconds") {
      o.seconds = NumberOf(flag, value);
    } else if (flag == "--transfers") {
      o.transfers = NumberOf(flag, value);
    } else if (flag == "--seed") {
      o.seed = static_cast<unsigned>(NumberOf(flag, value));
    } else {
      Usage("unknown option " + flag);
    }
  }
  if (o.config_path.empty()) Usage("missing --config");
  if (o.pg.empty() || o.my.empty()) {
    Usage("--accounts needs accounts on pg and on my");
  }
  if (o.threads < 1) Usage("--threads must be at least 1");
  return o;
}

// The word a test reads for each outcome.
const char* OutcomeWord(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return "acked";
    case StatusCode::kInDoubt:
      return "decided";
    case StatusCode::kAborted:
      return "aborted";
    default:
      return "unknown";
  }
}

class Clients {
 public:
  Clients(TransactionManager& tm, const Options& options, StopSignal& stop)
      : tm_(tm), options_(options), stop_(stop) {}

  // Runs every client thread to its end; returns when all are done.
  void Run() {
    std::vector<std::thread> threads;
    for (int i = 0; i < options_.threads; ++i) {
      threads.emplace_back([this, i] { RunClient(options_.seed * 131 + i); });
    }
    for (std::thread& t : threads) t.join();
  }

 private:
  void RunClient(unsigned seed) {
    std::mt19937 rng(seed);
    for (int64_t n = 0; options_.transfers == 0 || n < options_.transfers;
         ++n) {
      if (stop_.requested()) return;
      AccountRef a = options_.pg[rng() % options_.pg.size()];
      AccountRef b = options_.my[rng() % options_.my.size()];
      if (rng() % 2 == 0) std::swap(a, b);
      const Amount amount = Amount::FromCents(1 + rng() % 500);
      Result<TransferResult> r = Transfer(tm_, a, b, amount);
      std::lock_guard<std::mutex> lock(print_mu_);
      if (!r.ok()) {
        // Nothing was attempted (the manager refuses new transactions).
        std::fprintf(stderr, "%s: transfer not started: %s\n", kName,
                     r.status().ToString().c_str());
        std::fflush(stderr);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      std::printf("%s %s\n", OutcomeWord(r->status), r->gtrid.c_str());
      std::fflush(stdout);
    }
  }

  TransactionManager& tm_;
  const Options& options_;
  StopSignal& stop_;
  std::mutex print_mu_;
};

int Main(int argc, char** argv) {
  const Options options = ParseOptions(argc, argv);
  // Before any thread starts: SIGTERM is then taken by the listener only.
  StopSignal stop;
  // Its own lines and the library's on stderr, at warn.
  auto logger = spdlog::stderr_logger_mt("xatm");
  logger->set_level(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  SetLogger(logger);

  Result<Config> config = LoadConfig(options.config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "%s: %s\n", kName, config.status().ToString().c_str());
    return 2;
  }
  Result<std::unique_ptr<TransactionManager>> tm =
      OpenTransactionManager(*config);
  if (!tm.ok()) {
    std::fprintf(stderr, "%s: cannot open the transaction manager: %s\n", kName,
                 tm.status().ToString().c_str());
    return 1;
  }
  SweeperOptions sweep;
  sweep.grace_period_ms = config->grace_period_ms;
  sweep.takeover_after_ms = config->takeover_after_ms;
  BackgroundSweeper sweeper(tm->get(), sweep, config->sweep_interval_ms,
                            config->heartbeat_interval_ms);
  Result<SweepResult> started = sweeper.Start();
  if (!started.ok()) {
    std::fprintf(stderr, "%s: node %s cannot start its sweeper: %s\n", kName,
                 config->node.c_str(), started.status().ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "%s: started %s\n", kName, config->node.c_str());
  std::fflush(stderr);

  std::thread deadline([&stop, &options] {
    if (!stop.WaitFor(options.seconds * 1000)) stop.Request();
  });
  Clients(**tm, options, stop).Run();
  stop.Request();  // the clients ended by --transfers: end the deadline
  deadline.join();
  sweeper.Stop();
  std::fprintf(stderr, "%s: stopped %s\n", kName, config->node.c_str());
  return 0;
}

}  // namespace
}  // namespace xatm

int main(int argc, char** argv) { return xatm::Main(argc, argv); }
