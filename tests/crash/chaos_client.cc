#include "tests/crash/chaos_client.h"

#include <signal.h>

#include <chrono>
#include <regex>
#include <utility>

#include "tests/crash/child_process.h"

namespace xatm::crash {
namespace {

using Clock = std::chrono::steady_clock;

// One in this many transfers stays within one database (one-phase commit).
constexpr unsigned kSameDatabaseOneIn = 8;
// One in this many transfers runs as a saga (--protocol saga).
constexpr unsigned kSagaOneIn = 2;

int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() -
                                                               start)
      .count();
}

std::string FirstGtrid(const std::string& node, const std::string& text) {
  // Node ids hold only [A-Za-z0-9_-]: nothing to escape outside brackets.
  std::smatch m;
  std::regex gtrid("xatm:" + node + ":[0-9]+:[0-9a-f]{16}(?::[a-z0-9]{1,9})?");
  return std::regex_search(text, m, gtrid) ? m.str() : "";
}

}  // namespace

ChaosClient::ChaosClient(unsigned seed, const ChaosAccounts& accounts,
                         const NodeSettings& settings)
    : node_(NewNodeId("c"), settings), accounts_(accounts), rng_(seed) {}

bool ChaosClient::RequestKill() {
  if (!killable_running_.load()) return false;
  kill_requested_ = true;
  return true;
}

ChaosClient::ProcessRun ChaosClient::RunProcess(
    const std::vector<std::string>& args, bool killable) {
  const Clock::time_point started = Clock::now();
  std::unique_ptr<Child> child = Child::Start(node_.XatmCommand(args));
  kill_requested_ = false;
  killable_running_ = killable;
  bool killed = false;
  bool hung = false;
  while (child->Running(20)) {
    // Only this thread reaps the child: its pid cannot have been reused.
    if (kill_requested_.exchange(false) && !killed) {
      ::kill(child->pid(), SIGKILL);
      killed = true;
    }
    if (MsSince(started) > kProcessLimitMs) {
      hung = true;
      break;
    }
  }
  killable_running_ = false;
  ChildExit e = child->Wait(0);  // kills it if it still runs
  ProcessRun run{ProcessEnd::kExited, e.code, MsSince(started), e.out, e.err};
  if (hung || e.timed_out) {
    run.end = ProcessEnd::kHung;
  } else if (e.signaled) {
    run.end = killed && e.KilledBySigkill() ? ProcessEnd::kKilled
                                            : ProcessEnd::kSignal;
    run.code = -e.signal;
  }
  return run;
}

TransferRecord ChaosClient::RunTransfer() {
  TransferRecord r;
  if (rng_() % kSameDatabaseOneIn == 0) {
    const std::vector<AccountRef>& side =
        rng_() % 2 == 0 ? accounts_.pg : accounts_.my;
    size_t a = rng_() % side.size();
    size_t b = (a + 1 + rng_() % (side.size() - 1)) % side.size();
    r.from = side[a];
    r.to = side[b];
  } else {
    r.from = accounts_.pg[rng_() % accounts_.pg.size()];
    r.to = accounts_.my[rng_() % accounts_.my.size()];
    if (rng_() % 2 == 0) std::swap(r.from, r.to);
  }
  r.amount = Amount::FromCents(1 + rng_() % 500);
  r.saga = rng_() % kSagaOneIn == 0;
  std::vector<std::string> args = {
      "transfer",      "--from",   r.from.ToString(),  "--to",
      r.to.ToString(), "--amount", r.amount.ToString()};
  if (r.saga) {
    args.push_back("--protocol");
    args.push_back("saga");
  }
  ProcessRun run = RunProcess(args, /*killable=*/true);
  r.end = run.end;
  r.code = run.code;
  r.ms = run.ms;
  r.gtrid = FirstGtrid(node_.id(), run.out + run.err);
  r.output = run.out + run.err;
  return r;
}

void ChaosClient::Run(const std::atomic<bool>& stop) {
  for (int i = 1; !stop.load(); ++i) {
    if (i % kRecoverEvery == 0) {
      ProcessRun run = RunProcess({"recover"}, /*killable=*/false);
      recoveries_.push_back({run.end, run.code, run.ms, run.out + run.err});
      continue;
    }
    transfers_.push_back(RunTransfer());
  }
}

}  // namespace xatm::crash
