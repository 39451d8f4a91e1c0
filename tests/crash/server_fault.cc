#include "tests/crash/server_fault.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "tests/crash/child_process.h"
#include "tests/integration/test_env.h"
#include "tests/integration/test_server_processes.h"

namespace xatm::crash {
namespace {

using xatm::testing::RequireEnv;

constexpr char kRulePrefix[] = "xatm_test_";

// The first of `candidates` that exists, or "".
std::string FindTool(std::initializer_list<const char*> candidates) {
  for (const char* path : candidates) {
    if (::access(path, X_OK) == 0) return path;
  }
  return "";
}

const std::string& Nft() {
  static const std::string path = FindTool({"/usr/sbin/nft", "/sbin/nft"});
  return path;
}

const std::string& Iptables() {
  static const std::string path =
      FindTool({"/usr/sbin/iptables", "/sbin/iptables"});
  return path;
}

ChildExit Run(const std::vector<std::string>& argv) {
  return RunChild(argv, {}, 20000);
}

std::string RuleName(pid_t pid, int port) {
  return kRulePrefix + std::to_string(pid) + "_" + std::to_string(port);
}

// The pid in "xatm_test_<pid>_<port>", or 0.
pid_t PidOfRuleName(const std::string& name) {
  if (name.rfind(kRulePrefix, 0) != 0) return 0;
  return static_cast<pid_t>(
      std::strtol(name.c_str() + sizeof(kRulePrefix) - 1, nullptr, 10));
}

bool ProcessGone(pid_t pid) {
  return pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH;
}

std::string NftScript(const std::string& table, int port) {
  const std::string chain = "inet " + table + " output";
  const std::string p = std::to_string(port);
  return "add table inet " + table + "; add chain " + chain +
         " { type filter hook output priority 0; policy accept; }; "
         "add rule " +
         chain + " oifname \"lo\" tcp dport " + p + " drop; add rule " + chain +
         " oifname \"lo\" tcp sport " + p + " drop";
}

// iptables arguments of the two rules, after -A or -D.
std::vector<std::vector<std::string>> IptablesRules(const std::string& comment,
                                                    int port) {
  std::vector<std::vector<std::string>> rules;
  for (const char* dir : {"--dport", "--sport"}) {
    rules.push_back({"OUTPUT", "-o", "lo", "-p", "tcp", dir,
                     std::to_string(port), "-m", "comment", "--comment",
                     comment, "-j", "DROP"});
  }
  return rules;
}

ChildExit RunIptables(const std::string& verb,
                      const std::vector<std::string>& rule) {
  std::vector<std::string> argv = {Iptables(), "-w", verb};
  argv.insert(argv.end(), rule.begin(), rule.end());
  return Run(argv);
}

// Decided once per process: nftables when it works, else iptables.
enum class Firewall { kNone, kNft, kIptables };
struct FirewallChoice {
  Firewall kind = Firewall::kNone;
  std::string why_not;
};

const FirewallChoice& ChosenFirewall() {
  static const FirewallChoice choice = [] {
    FirewallChoice c;
    if (::geteuid() != 0) {
      c.why_not = "not root: firewall rules need CAP_NET_ADMIN";
      return c;
    }
    // XATM_TEST_FIREWALL=iptables: iptables only (to test that way).
    const char* forced = std::getenv("XATM_TEST_FIREWALL");
    const bool iptables_first =
        forced != nullptr && std::string(forced) == "iptables";
    std::string nft_error = iptables_first ? "not tried" : "nft not installed";
    if (!Nft().empty() && !iptables_first) {
      const std::string probe = RuleName(::getpid(), 0);
      ChildExit add = Run({Nft(), "add table inet " + probe});
      if (add.ExitedWith(0)) {
        Run({Nft(), "delete table inet " + probe});
        c.kind = Firewall::kNft;
        return c;
      }
      nft_error = "nft: " + add.err;
    }
    std::string iptables_error = "iptables not installed";
    if (!Iptables().empty()) {
      ChildExit list = Run({Iptables(), "-w", "-S", "OUTPUT"});
      if (list.ExitedWith(0)) {
        c.kind = Firewall::kIptables;
        return c;
      }
      iptables_error = "iptables: " + list.err;
    }
    c.why_not =
        "no working firewall (" + nft_error + "; " + iptables_error + ")";
    return c;
  }();
  return choice;
}

// One /proc/net/tcp{,6} line: whether it concerns `port` and is unsettled;
// if so, its connection ("LOCAL REMOTE") in `key`.
bool UnsettledSocket(const std::string& line, int port, std::string* key) {
  std::istringstream in(line);
  std::string slot, local, remote, state, queues;
  if (!(in >> slot >> local >> remote >> state >> queues)) return false;
  auto port_of = [](const std::string& address) {
    size_t colon = address.rfind(':');
    return colon == std::string::npos
               ? -1
               : static_cast<int>(
                     std::strtol(address.c_str() + colon + 1, nullptr, 16));
  };
  if (port_of(local) != port && port_of(remote) != port) return false;
  size_t colon = queues.find(':');
  if (colon == std::string::npos) return false;
  long tx = std::strtol(queues.substr(0, colon).c_str(), nullptr, 16);
  long rx = std::strtol(queues.substr(colon + 1).c_str(), nullptr, 16);
  // SYN_SENT 02, SYN_RECV 03, FIN_WAIT1 04, CLOSE_WAIT 08, LAST_ACK 09,
  // CLOSING 0B: a handshake or a close still under way.
  static const std::set<std::string> moving = {"02", "03", "04",
                                               "08", "09", "0B"};
  if (tx == 0 && rx == 0 && moving.count(state) == 0) return false;
  *key = local + " " + remote;
  return true;
}

// The unsettled sockets on `port`: connection -> /proc/net/tcp line.
std::map<std::string, std::string> UnsettledSockets(int port) {
  std::map<std::string, std::string> found;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::string key;
      if (UnsettledSocket(line, port, &key)) found[key] = line;
    }
  }
  return found;
}

}  // namespace

int ServerPort(const std::string& which) {
  if (which == "pg") {
    int port = std::atoi(RequireEnv("XATM_PG_PORT").c_str());
    // The port the tests connect to, or this would cut off the wrong one.
    if (RequireEnv("XATM_TEST_PG_CONNINFO")
            .find("port=" + std::to_string(port)) == std::string::npos) {
      return -1;
    }
    return port;
  }
  int port = std::atoi(RequireEnv("XATM_MY_PORT").c_str());
  return port == std::atoi(RequireEnv("XATM_TEST_MY_PORT").c_str()) ? port : -1;
}

Result<std::vector<pid_t>> ServerPids(const std::string& which) {
  return xatm::testing::TestServerPids(which);
}

Result<std::unique_ptr<ServerFault>> FrozenServer::Freeze(
    const std::string& which) {
  Result<std::vector<pid_t>> stopped = xatm::testing::StopTestServer(which);
  if (!stopped.ok()) return stopped.status();
  // The owner SIGCONTs whatever was stopped, also on the error path below.
  std::unique_ptr<FrozenServer> frozen(
      new FrozenServer(which, std::move(stopped).value()));
  Result<std::unique_ptr<UndoGuard>> guard =
      UndoGuard::Start(frozen->pids_, {});
  if (!guard.ok()) return guard.status();
  frozen->guard_ = std::move(guard).value();
  return std::unique_ptr<ServerFault>(std::move(frozen));
}

void FrozenServer::End() {
  xatm::testing::ContinueProcesses(pids_);
  pids_.clear();
  if (guard_) guard_->Undo();
}

void ThawTestServers() {
  for (const char* which : {"pg", "my"}) {
    Result<std::vector<pid_t>> pids = ServerPids(which);
    if (!pids.ok()) continue;
    for (pid_t pid : *pids) ::kill(pid, SIGCONT);
  }
}

Status BlackHole::Available() {
  const FirewallChoice& choice = ChosenFirewall();
  if (choice.kind == Firewall::kNone)
    return Status::Unavailable(choice.why_not);
  return Status::Ok();
}

Result<std::unique_ptr<ServerFault>> BlackHole::Open(const std::string& which) {
  Status available = Available();
  if (!available.ok()) return available;
  int port = ServerPort(which);
  if (port <= 0) {
    return Status::InvalidArgument("no test server port for " + which);
  }
  const std::string name = RuleName(::getpid(), port);
  const bool nft = ChosenFirewall().kind == Firewall::kNft;
  std::unique_ptr<BlackHole> hole(new BlackHole(which, port, nft));
  // The guard first: from the first rule on, a death of the test program
  // does not leave the server cut off.
  Result<std::unique_ptr<UndoGuard>> guard =
      UndoGuard::Start({}, hole->RemoveCommands());
  if (!guard.ok()) return guard.status();
  hole->guard_ = std::move(guard).value();
  if (nft) {
    ChildExit add = Run({Nft(), NftScript(name, port)});
    if (!add.ExitedWith(0)) {
      return Status::Internal("nft: " + add.Describe());
    }
  } else {
    for (const auto& rule : IptablesRules(name, port)) {
      ChildExit add = RunIptables("-A", rule);
      if (!add.ExitedWith(0)) {
        return Status::Internal("iptables: " + add.Describe());
      }
    }
  }
  return std::unique_ptr<ServerFault>(std::move(hole));
}

std::vector<std::vector<std::string>> BlackHole::RemoveCommands() const {
  const std::string name = RuleName(::getpid(), port_);
  if (nft_) return {{Nft(), "delete table inet " + name}};
  std::vector<std::vector<std::string>> commands;
  for (const auto& rule : IptablesRules(name, port_)) {
    std::vector<std::string> argv = {Iptables(), "-w", "-D"};
    argv.insert(argv.end(), rule.begin(), rule.end());
    commands.push_back(std::move(argv));
  }
  return commands;
}

void BlackHole::End() {
  if (!in_force_) return;
  in_force_ = false;
  // The guard removes it and is waited for: it cannot remove a later
  // black hole of the same name.
  if (guard_) guard_->Undo();
  // Without a guard, or if its removal failed: once more (a rule already
  // gone fails harmlessly).
  for (const auto& command : RemoveCommands()) Run(command);
}

void RemoveStaleBlackHoles() {
  switch (ChosenFirewall().kind) {
    case Firewall::kNone:
      return;
    case Firewall::kNft: {
      ChildExit list = Run({Nft(), "list tables inet"});
      std::istringstream in(list.out);
      // "table inet NAME"
      for (std::string line; std::getline(in, line);) {
        std::string name = line.substr(line.rfind(' ') + 1);
        if (ProcessGone(PidOfRuleName(name))) {
          Run({Nft(), "delete table inet " + name});
        }
      }
      return;
    }
    case Firewall::kIptables: {
      ChildExit list = Run({Iptables(), "-w", "-S", "OUTPUT"});
      std::istringstream in(list.out);
      // "-A OUTPUT ... --comment NAME -j DROP": deleted by the same words.
      for (std::string line; std::getline(in, line);) {
        size_t at = line.find("--comment ");
        if (at == std::string::npos || line.rfind("-A ", 0) != 0) continue;
        std::istringstream comment(line.substr(at + 10));
        std::string name;
        comment >> name;
        if (!ProcessGone(PidOfRuleName(name))) continue;
        std::istringstream words(line.substr(3));
        std::vector<std::string> rule;
        for (std::string w; words >> w;) rule.push_back(w);
        RunIptables("-D", rule);
      }
      return;
    }
  }
}

std::set<std::string> UnsettledConnections(int port) {
  std::set<std::string> keys;
  for (const auto& [key, line] : UnsettledSockets(port)) keys.insert(key);
  return keys;
}

bool WaitForQuietPort(int port, int timeout_ms,
                      const std::set<std::string>& ignored,
                      std::string* unsettled) {
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  // Quiet twice in a row: one scan can fall between two retransmissions.
  int quiet = 0;
  while (quiet < 2) {
    std::string found;
    for (const auto& [key, line] : UnsettledSockets(port)) {
      if (ignored.count(key) == 0) found += line + "\n";
    }
    quiet = found.empty() ? quiet + 1 : 0;
    if (std::chrono::steady_clock::now() > deadline) {
      if (unsettled != nullptr) *unsettled = found;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

}  // namespace xatm::crash
