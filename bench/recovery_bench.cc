// Recovery at scale: builds a backlog of in-doubt transactions (both
// branches prepared, half with a COMMIT record; bench/backlog/), times ONE
// `xatm recover` over it, and checks the databases afterwards.
//
//   recovery_bench --config FILE --xatm PATH [--pairs N] [--threads T]
//                  [--server-pids PG_POSTMASTER,MARIADBD]
//
// The configuration names this node, its file decision log (made by `xatm
// init`, which also creates the tables) and one postgresql and one mysql
// resource. PostgreSQL needs max_prepared_transactions >= N (scripts/db.sh:
// XATM_PG_MAX_PREPARED). Prints N, the build time, recover's wall time,
// branches per second, the CPU time recover and (with --server-pids) the
// two servers spent meanwhile, and the check; exit 0 only when recover
// exited 0 and every check held.
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/backlog/recovery_backlog.h"
#include "xatm/config.h"
#include "xatm/logging.h"
#include "xatm/open_from_config.h"

extern char** environ;

namespace xatm {
namespace {

struct Args {
  std::string config;
  std::string xatm;
  int pairs = 10000;
  int threads = 8;
  int pg_pid = 0;  // postmaster: its backends count once reaped
  int my_pid = 0;
};

bool ParseArgs(int argc, char** argv, Args* args) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const char* value = argv[i + 1];
    if (key == "--config") {
      args->config = value;
    } else if (key == "--xatm") {
      args->xatm = value;
    } else if (key == "--pairs") {
      args->pairs = std::atoi(value);
    } else if (key == "--threads") {
      args->threads = std::atoi(value);
    } else if (key == "--server-pids") {
      if (std::sscanf(value, "%d,%d", &args->pg_pid, &args->my_pid) != 2) {
        return false;
      }
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && !args->config.empty() && !args->xatm.empty() &&
         args->pairs > 0 && args->threads > 0;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

// CPU seconds of process `pid` and of its children it has reaped; 0 when
// unknown.
double CpuSeconds(int pid) {
  if (pid <= 0) return 0;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  const size_t comm_end = stat.rfind(')');
  if (comm_end == std::string::npos) return 0;
  std::istringstream fields(stat.substr(comm_end + 2));
  std::string field;
  double ticks = 0;
  // state is field 3; utime, stime, cutime, cstime are fields 14 to 17.
  for (int i = 3; i <= 17 && fields >> field; ++i) {
    if (i >= 14) ticks += std::atof(field.c_str());
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Runs `xatm recover --grace 0` (stdout, one line per branch, discarded)
// and returns its exit code, or -1; `*cpu_s` its CPU time.
int RunRecover(const Args& args, double* cpu_s) {
  std::vector<std::string> argv_text = {args.xatm,     "--config", args.config,
                                        "--log-level", "warn",     "recover",
                                        "--grace",     "0"};
  std::vector<char*> argv;
  for (std::string& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args.xatm.c_str(), &actions, nullptr, argv.data(),
                       environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  struct rusage usage {};
  if (wait4(pid, &status, 0, &usage) != pid || !WIFEXITED(status)) return -1;
  *cpu_s = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
           (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  return WEXITSTATUS(status);
}

int Main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, &args)) {
    std::fprintf(stderr,
                 "usage: recovery_bench --config FILE --xatm PATH "
                 "[--pairs N] [--threads T] "
                 "[--server-pids PG_POSTMASTER,MARIADBD]\n");
    return 2;
  }
  Logger()->set_level(spdlog::level::err);
  Result<Config> config = LoadConfig(args.config);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.status().ToString().c_str());
    return 2;
  }
  Result<std::vector<std::shared_ptr<Resource>>> resources =
      MakeResources(*config);
  if (!resources.ok()) {
    std::fprintf(stderr, "%s\n", resources.status().ToString().c_str());
    return 2;
  }
  Resource* pg = nullptr;
  Resource* my = nullptr;
  for (const auto& r : *resources) {
    if (r->type() == "postgresql" && pg == nullptr) pg = r.get();
    if (r->type() == "mysql" && my == nullptr) my = r.get();
  }
  if (pg == nullptr || my == nullptr || !config->file_store()) {
    std::fprintf(stderr,
                 "recovery_bench: needs a postgresql and a mysql resource "
                 "and decision_store = file\n");
    return 2;
  }

  backlog::BacklogOptions options;
  options.pairs = args.pairs;
  options.threads = args.threads;
  options.account_prefix =
      "rb" + std::to_string(std::random_device{}() % 1000000) + "-";
  const auto build_start = std::chrono::steady_clock::now();
  Result<backlog::Backlog> built = [&]() -> Result<backlog::Backlog> {
    DecisionLogOptions log_options;
    log_options.node_id = config->node;
    XATM_ASSIGN_OR_RETURN(std::unique_ptr<DecisionLog> log,
                          DecisionLog::Open(config->log_dir, log_options));
    XidGenerator xids(config->node);
    return backlog::BuildBacklog(*pg, *my, *log, xids, options);
  }();  // the log closes here: recover takes its lock
  if (!built.ok()) {
    std::fprintf(stderr, "backlog: %s\n", built.status().ToString().c_str());
    return 1;
  }
  const double build_s = SecondsSince(build_start);

  const double pg_cpu_before = CpuSeconds(args.pg_pid);
  const double my_cpu_before = CpuSeconds(args.my_pid);
  const auto recover_start = std::chrono::steady_clock::now();
  double xatm_cpu_s = 0;
  const int exit_code = RunRecover(args, &xatm_cpu_s);
  const double recover_s = SecondsSince(recover_start);
  // The backends of recover's connections end with it; give the
  // postmaster a moment to reap them.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const double pg_cpu_s = CpuSeconds(args.pg_pid) - pg_cpu_before;
  const double my_cpu_s = CpuSeconds(args.my_pid) - my_cpu_before;

  Result<std::vector<std::string>> problems =
      backlog::CheckBacklog(*pg, *my, *built);
  const int branches = 2 * args.pairs;
  std::printf(
      "pairs %d (branches %d, %d with a COMMIT decision)\n"
      "build %.2f s\nrecover %.2f s (exit %d)\nbranches/s %.0f\n",
      args.pairs, branches, built->committed_count(), build_s, recover_s,
      exit_code, branches / recover_s);
  std::printf("cpu during recover: xatm %.2f s", xatm_cpu_s);
  if (args.pg_pid > 0) {
    std::printf(", postgresql %.2f s, mariadb %.2f s", pg_cpu_s, my_cpu_s);
  }
  std::printf("\n");
  if (!problems.ok()) {
    std::printf("check: FAILED to query: %s\n",
                problems.status().ToString().c_str());
    return 1;
  }
  for (const std::string& p : *problems) std::printf("check: %s\n", p.c_str());
  const bool ok = problems->empty() && exit_code == 0;
  std::printf("check: %s\n", ok ? "OK (nothing prepared, ledgers and "
                                  "balances exact)"
                                : "FAILED");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace xatm

int main(int argc, char** argv) { return xatm::Main(argc, argv); }
