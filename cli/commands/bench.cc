// xatm bench --clients N --seconds S --accounts A
//            [--mode 2pc|raw|local|saga]
//            [--json]
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "cli/bench/bench_accounts.h"
#include "cli/bench/bench_modes.h"
#include "cli/bench/load.h"
#include "cli/command_line.h"
#include "cli/commands/commands.h"
#include "cli/json_output.h"

namespace xatm {
namespace {

constexpr char kOpeningBalance[] = "1000000.00";
constexpr int64_t kMaxAmountCents = 1000;  // transfers of 0.01 .. 10.00

struct BenchSettings {
  BenchMode mode = BenchMode::kTwoPhase;
  int clients = 8;
  int seconds = 10;
  int accounts = 1000;
  std::string account_prefix = kDefaultBenchPrefix;
};

struct BenchReport {
  std::string decision_store;  // where 2pc (or saga) kept its decisions
  LoadResult load;
  bool conserved = false;
  Amount before, after;
  int64_t prepared_left = 0;
};

// Reads an integer option within [min, max] into `*out`; the message on
// failure.
std::string IntOption(const CommandContext& ctx, const char* name, int min,
                      int max, int* out) {
  if (ctx.vars().count(name) == 0) return "";
  const int value = ctx.vars()[name].as<int>();
  if (value < min || value > max) {
    return std::string("--") + name + " must be from " + std::to_string(min) +
           " to " + std::to_string(max);
  }
  *out = value;
  return "";
}

// The sum over every resource's bench accounts.
Result<Amount> SumAll(const BenchTarget& target,
                      const BenchSettings& settings) {
  Amount total;
  for (const auto& r : target.resources()) {
    XATM_ASSIGN_OR_RETURN(
        Amount sum,
        SumBenchAccounts(*r, settings.account_prefix, settings.accounts));
    XATM_ASSIGN_OR_RETURN(total, total.Plus(sum));
  }
  return total;
}

// Prepared branches of `node` still in any database.
Result<int64_t> CountPrepared(const BenchTarget& target,
                              const std::string& node) {
  int64_t count = 0;
  for (const auto& r : target.resources()) {
    XATM_ASSIGN_OR_RETURN(std::vector<PreparedBranch> listed,
                          r->ListPrepared());
    count += std::count_if(
        listed.begin(), listed.end(),
        [&](const PreparedBranch& b) { return b.id.xid.node == node; });
  }
  return count;
}

// A random transfer between two accounts of two different resources, in a
// random direction, of a small random amount.
Status RandomTransfer(BenchTarget& target, const std::string& prefix,
                      int accounts, std::mt19937_64& rng) {
  const auto& resources = target.resources();
  std::uniform_int_distribution<size_t> pick_resource(0, resources.size() - 1);
  const size_t a = pick_resource(rng);
  size_t b = pick_resource(rng);
  while (b == a) b = pick_resource(rng);
  std::uniform_int_distribution<int> pick_account(0, accounts - 1);
  const AccountRef from{resources[a]->name(),
                        BenchAccountId(prefix, pick_account(rng))};
  const AccountRef to{resources[b]->name(),
                      BenchAccountId(prefix, pick_account(rng))};
  std::uniform_int_distribution<int64_t> cents(1, kMaxAmountCents);
  return target.Transfer(from, to, Amount::FromCents(cents(rng)));
}

std::string Fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

// `value` rounded to `decimals` places: the JSON number prints as short
// as that (2.003, not 2.0031237).
double Rounded(double value, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

Json BenchJson(const BenchSettings& settings, const BenchReport& report) {
  const LoadResult& load = report.load;
  const double elapsed = std::max(load.elapsed_s, 1e-9);
  return {{"mode", BenchModeName(settings.mode)},
          {"decision_store", report.decision_store},
          {"clients", settings.clients},
          {"seconds", settings.seconds},
          {"accounts", settings.accounts},
          {"elapsed_s", Rounded(load.elapsed_s, 3)},
          {"transfers", load.transfers},
          {"aborted", load.aborted},
          {"failed", load.failed},
          {"tps", Rounded(load.transfers / elapsed, 1)},
          {"aborted_per_s", Rounded(load.aborted / elapsed, 1)},
          {"p50_ms", Rounded(load.latency.p50_ms, 3)},
          {"p95_ms", Rounded(load.latency.p95_ms, 3)},
          {"p99_ms", Rounded(load.latency.p99_ms, 3)},
          {"conserved", report.conserved},
          {"prepared_left", report.prepared_left}};
}

void PrintText(std::ostream& out, const BenchSettings& settings,
               const BenchReport& report) {
  const LoadResult& load = report.load;
  const double elapsed = std::max(load.elapsed_s, 1e-9);
  out << "mode " << BenchModeName(settings.mode)
      << " (decisions: " << report.decision_store << "), clients "
      << settings.clients << ", " << Fixed(load.elapsed_s, 1) << " s, "
      << settings.accounts << " accounts per resource\n"
      << "transfers      " << load.transfers << " ("
      << Fixed(load.transfers / elapsed, 1) << "/s)\n"
      << "aborted        " << load.aborted << " ("
      << Fixed(load.aborted / elapsed, 1) << "/s)\n";
  if (load.failed > 0) {
    out << "failed         " << load.failed << " (first: " << load.first_failure
        << ")\n";
  }
  out << "latency ms     p50 " << Fixed(load.latency.p50_ms, 2) << "  p95 "
      << Fixed(load.latency.p95_ms, 2) << "  p99 "
      << Fixed(load.latency.p99_ms, 2) << "\n"
      << "money          "
      << (report.conserved
              ? "conserved (" + report.before.ToString() + " before and after)"
              : "NOT conserved: " + report.before.ToString() + " before, " +
                    report.after.ToString() + " after")
      << "\n"
      << "prepared left  " << report.prepared_left << "\n";
}

int RunBench(CommandContext& ctx, const BenchSettings& settings) {
  // Every client holds one connection per resource at a time: a smaller
  // pool would close and reopen connections all run long.
  Config config = ctx.config();
  for (ResourceConfig& r : config.resources) {
    r.pool_size = std::max(r.pool_size, settings.clients);
  }
  if (config.resources.size() < 2) {
    return ctx.Fail(kExitUsage, "bench needs at least two resources");
  }
  // Enough pool threads that no phase waits for one.
  Result<std::unique_ptr<BenchTarget>> target =
      BenchTarget::Open(settings.mode, config, std::max(4, settings.clients));
  if (!target.ok()) {
    return ctx.Fail(kExitFailed, "cannot start: " + target.status().ToString());
  }
  const Amount opening = *Amount::ParseStored(kOpeningBalance);
  for (const auto& r : (*target)->resources()) {
    Status s = EnsureBenchAccounts(*r, settings.account_prefix,
                                   settings.accounts, opening);
    if (!s.ok()) return ctx.Fail(kExitFailed, s.ToString());
  }
  BenchReport report;
  // 2pc and saga keep their decisions (saga records) where configured.
  const bool stored = settings.mode == BenchMode::kTwoPhase ||
                      settings.mode == BenchMode::kSaga;
  report.decision_store = stored ? config.decision_store
                          : settings.mode == BenchMode::kRaw ? "memory"
                                                             : "none";
  Result<Amount> before = SumAll(**target, settings);
  if (!before.ok()) return ctx.Fail(kExitFailed, before.status().ToString());
  report.before = *before;

  LoadOptions load;
  load.clients = settings.clients;
  load.duration_ms = int64_t{settings.seconds} * 1000;
  // Only a person watching a terminal wants the moving line.
  if (isatty(STDERR_FILENO)) load.progress = &ctx.err();
  BenchTarget& t = **target;
  const int accounts = settings.accounts;
  const std::string prefix = settings.account_prefix;
  report.load =
      RunLoad(load, [&t, &prefix, accounts](int, std::mt19937_64& rng) {
        return RandomTransfer(t, prefix, accounts, rng);
      });

  Result<Amount> after = SumAll(t, settings);
  if (!after.ok()) return ctx.Fail(kExitFailed, after.status().ToString());
  report.after = *after;
  report.conserved = report.before == report.after;
  Result<int64_t> prepared = CountPrepared(t, ctx.config().node);
  if (!prepared.ok()) {
    return ctx.Fail(kExitFailed, prepared.status().ToString());
  }
  report.prepared_left = *prepared;

  if (!ctx.json()) PrintText(ctx.out(), settings, report);
  if (report.load.failed > 0 && ctx.json()) {
    ctx.err() << "xatm bench: " << report.load.failed
              << " transfers failed; first: " << report.load.first_failure
              << "\n";
  }
  const bool clean = report.conserved && report.prepared_left == 0;
  return ctx.Finish(
      clean ? kExitOk : kExitFailed,
      std::string(report.conserved ? "" : "money not conserved; ") +
          std::to_string(report.prepared_left) + " branch(es) left prepared",
      BenchJson(settings, report));
}

int Run(const Invocation& invocation) {
  CommandSpec spec(
      "bench [--clients N] [--seconds S] [--accounts A] "
      "[--account-prefix P] [--mode 2pc|raw|local|saga] [--json]",
      "Runs N concurrent clients that make random transfers between accounts\n"
      "of two different databases (random direction and accounts, 0.01 to\n"
      "10.00) for S seconds, then prints transfers/s, aborted/s and latency\n"
      "percentiles, checks that the bench accounts still hold the same sum\n"
      "to the cent and that no prepared branch of this node is left.\n"
      "Creates A accounts bench-000000.. per database first if missing\n"
      "(another --account-prefix gives several benches at once, say one\n"
      "per node, accounts of their own; balance " +
          std::string(kOpeningBalance) +
          "). Modes: 2pc = the transaction manager with its decision log;\n"
          "raw = the same statements and coordinator with the decision kept\n"
          "in memory (not crash safe); local = each side committed on its "
          "own\n"
          "(no atomicity: the unsafe baseline); saga = each transfer as the\n"
          "saga of `transfer --protocol saga` (debit, then credit, each its\n"
          "own local commit; its record in the decision store). Ledger rows\n"
          "stay, as for any transfer. Exit 0 when money was conserved and\n"
          "nothing is left prepared, 1 otherwise, 2 for bad usage.");
  spec.options.add_options()("clients", po::value<int>()->value_name("N"),
                             "concurrent clients (default 8)")(
      "seconds", po::value<int>()->value_name("S"),
      "how long to run (default 10)")("accounts",
                                      po::value<int>()->value_name("A"),
                                      "accounts per database (default 1000)")(
      "account-prefix", po::value<std::string>()->value_name("P"),
      "bench account ids start with P ([a-z0-9-], default bench-)")(
      "mode", po::value<std::string>()->value_name("MODE"),
      "2pc (default), raw, local or saga");
  AddJsonOption(spec);
  return RunCommand(invocation, spec, [](CommandContext& ctx) {
    BenchSettings settings;
    for (const std::string& problem :
         {IntOption(ctx, "clients", 1, 1024, &settings.clients),
          IntOption(ctx, "seconds", 1, 86400, &settings.seconds),
          IntOption(ctx, "accounts", 1, kMaxBenchAccounts - 1,
                    &settings.accounts)}) {
      if (!problem.empty()) return ctx.Fail(kExitUsage, problem);
    }
    if (const std::string* prefix = ctx.Option("account-prefix")) {
      if (!ValidBenchPrefix(*prefix)) {
        return ctx.Fail(kExitUsage,
                        "--account-prefix must be 1 to 16 of "
                        "[a-z0-9-]");
      }
      settings.account_prefix = *prefix;
    }
    if (const std::string* mode = ctx.Option("mode")) {
      Result<BenchMode> parsed = ParseBenchMode(*mode);
      if (!parsed.ok()) return ctx.Fail(kExitUsage, parsed.status().message());
      settings.mode = *parsed;
    }
    return RunBench(ctx, settings);
  });
}

}  // namespace

Command BenchCommand() {
  return {"bench", "Measure transfer throughput and latency", &Run};
}

}  // namespace xatm
