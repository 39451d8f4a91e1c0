#include "tests/integration/test_server_processes.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/integration/test_env.h"

namespace xatm::testing {
namespace {

struct ProcStat {
  std::string comm;
  char state = '?';
  pid_t ppid = 0;
};

// /proc/PID/stat: "PID (COMM) STATE PPID ..."; COMM may hold spaces and
// parentheses, so it ends at the last ')'.
bool ReadProcStat(pid_t pid, ProcStat* out) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  size_t open = line.find('(');
  size_t close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos) return false;
  out->comm = line.substr(open + 1, close - open - 1);
  std::istringstream rest(line.substr(close + 1));
  rest >> out->state >> out->ppid;
  return static_cast<bool>(rest);
}

// A live (not zombie) process whose command name is `comm`.
bool IsLive(pid_t pid, const std::string& comm) {
  ProcStat stat;
  return ReadProcStat(pid, &stat) && stat.state != 'Z' && stat.comm == comm;
}

std::vector<pid_t> LiveChildrenOf(pid_t parent, const std::string& comm) {
  std::vector<pid_t> children;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return children;
  while (dirent* e = ::readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    ProcStat stat;
    if (ReadProcStat(static_cast<pid_t>(pid), &stat) && stat.ppid == parent &&
        stat.state != 'Z' && stat.comm == comm) {
      children.push_back(static_cast<pid_t>(pid));
    }
  }
  ::closedir(proc);
  return children;
}

const char* ServerComm(const std::string& which) {
  return which == "my" ? "mariadbd" : "postgres";
}

std::string PidFile(const std::string& which) {
  const std::string dir = RequireEnv("XATM_DB_DIR");
  if (which == "pg-standby") return dir + "/pg-standby/data/postmaster.pid";
  return which == "pg" ? dir + "/pg/data/postmaster.pid"
                       : dir + "/my/mysqld.pid";
}

Result<pid_t> MainPid(const std::string& which) {
  const std::string path = PidFile(which);
  std::ifstream in(path);
  long pid = 0;
  if (!(in >> pid) || pid <= 0) {
    return Status::Unavailable("no pid in " + path + ": server not running?");
  }
  if (!IsLive(static_cast<pid_t>(pid), ServerComm(which))) {
    return Status::Unavailable("pid " + std::to_string(pid) + " of " + path +
                               " is not a live " + ServerComm(which));
  }
  return static_cast<pid_t>(pid);
}

}  // namespace

Result<std::vector<pid_t>> TestServerPids(const std::string& which) {
  Result<pid_t> main_pid = MainPid(which);
  if (!main_pid.ok()) return main_pid.status();
  std::vector<pid_t> pids = {*main_pid};
  if (which != "my") {
    for (pid_t child : LiveChildrenOf(*main_pid, "postgres")) {
      pids.push_back(child);
    }
  }
  return pids;
}

// SIGSTOP takes effect asynchronously: a thread running on another core can
// still answer a query for a moment. Waits until every thread of `pid`
// (/proc/PID/task/TID/stat) reads stopped ('T'), at most 2 s.
bool WaitUntilStopped(pid_t pid) {
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  for (int attempt = 0; attempt < 400; ++attempt) {
    bool all_stopped = true;
    DIR* dir = ::opendir(tasks.c_str());
    if (dir == nullptr) return false;
    while (dirent* e = ::readdir(dir)) {
      if (e->d_name[0] == '.') continue;
      std::ifstream in(tasks + "/" + e->d_name + "/stat");
      std::string line;
      if (!std::getline(in, line)) continue;  // the thread ended
      size_t close = line.rfind(')');
      if (close == std::string::npos || close + 2 >= line.size()) continue;
      char state = line[close + 2];
      if (state != 'T' && state != 't' && state != 'Z' && state != 'X') {
        all_stopped = false;
      }
    }
    ::closedir(dir);
    if (all_stopped) return true;
    ::usleep(5000);
  }
  return false;
}

Result<std::vector<pid_t>> StopTestServer(const std::string& which) {
  Result<pid_t> main_pid = MainPid(which);
  if (!main_pid.ok()) return main_pid.status();
  if (::kill(*main_pid, SIGSTOP) != 0) {
    return Status::Internal("SIGSTOP " + std::to_string(*main_pid) + " failed");
  }
  std::vector<pid_t> stopped = {*main_pid};
  if (which != "my") {
    for (pid_t child : LiveChildrenOf(*main_pid, "postgres")) {
      if (::kill(child, SIGSTOP) == 0) stopped.push_back(child);
    }
  }
  for (pid_t pid : stopped) {
    if (!WaitUntilStopped(pid)) {
      ContinueProcesses(stopped);
      return Status::Internal("process " + std::to_string(pid) +
                              " did not stop within 2 s of SIGSTOP");
    }
  }
  return stopped;
}

void ContinueProcesses(const std::vector<pid_t>& stopped) {
  for (auto it = stopped.rbegin(); it != stopped.rend(); ++it) {
    (void)::kill(*it, SIGCONT);
  }
}

FrozenServer::FrozenServer(const std::string& which,
                           std::chrono::milliseconds thaw_after) {
  Result<std::vector<pid_t>> stopped = StopTestServer(which);
  if (!stopped.ok()) {
    ADD_FAILURE() << "cannot freeze " << which << ": "
                  << stopped.status().ToString();
    return;
  }
  stopped_ = std::move(stopped).value();
  if (thaw_after.count() <= 0) return;
  thawer_ = std::thread([this, thaw_after] {
    std::unique_lock<std::mutex> lock(mu_);
    thaw_now_.wait_for(lock, thaw_after, [this] { return thawing_; });
    ContinueProcesses(stopped_);
    stopped_.clear();
  });
}

void FrozenServer::Thaw() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    thawing_ = true;
    ContinueProcesses(stopped_);
    stopped_.clear();
  }
  thaw_now_.notify_all();
  if (thawer_.joinable() && thawer_.get_id() != std::this_thread::get_id()) {
    thawer_.join();
  }
}

}  // namespace xatm::testing
