#include "tests/integration/frozen_postgres.h"

#include <dirent.h>
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/integration/test_env.h"

namespace xatm::testing {
namespace {

// The first line of postmaster.pid is the postmaster's pid.
pid_t PostmasterPid() {
  const std::string path =
      RequireEnv("XATM_DB_DIR") + "/pg/data/postmaster.pid";
  std::ifstream in(path);
  long pid = 0;
  if (!(in >> pid) || pid <= 1) {
    ADD_FAILURE() << "no postmaster pid in " << path;
    return 0;
  }
  return static_cast<pid_t>(pid);
}

std::string ReadProcFile(pid_t pid, const char* name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Parent pid from /proc/PID/stat ("pid (comm) state ppid ..."; comm may
// hold spaces and parentheses, so parse after the last ')').
pid_t ParentOf(pid_t pid) {
  const std::string stat = ReadProcFile(pid, "stat");
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 1));
  std::string state;
  long ppid = 0;
  rest >> state >> ppid;
  return static_cast<pid_t>(ppid);
}

std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> children;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return children;
  while (dirent* entry = readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0') continue;
    if (ParentOf(static_cast<pid_t>(pid)) == parent) {
      children.push_back(static_cast<pid_t>(pid));
    }
  }
  closedir(proc);
  return children;
}

}  // namespace

FrozenPostgres::FrozenPostgres() {
  const pid_t postmaster = PostmasterPid();
  if (postmaster == 0) return;
  // A stale pid file must not make us stop some other program.
  if (ReadProcFile(postmaster, "cmdline").find("postgres") ==
      std::string::npos) {
    ADD_FAILURE() << "pid " << postmaster << " is not a postgres process";
    return;
  }
  if (kill(postmaster, SIGSTOP) != 0) {
    ADD_FAILURE() << "cannot stop the postmaster " << postmaster;
    return;
  }
  stopped_.push_back(postmaster);
  for (pid_t child : ChildrenOf(postmaster)) {
    if (kill(child, SIGSTOP) == 0) stopped_.push_back(child);
  }
}

void FrozenPostgres::Thaw() {
  // Children first: the postmaster must not find them stopped and wonder.
  for (auto it = stopped_.rbegin(); it != stopped_.rend(); ++it) {
    (void)kill(*it, SIGCONT);
  }
  stopped_.clear();
}

}  // namespace xatm::testing
