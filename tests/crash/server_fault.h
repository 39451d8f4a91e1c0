// Faults of the test servers that a kill cannot show: a server frozen with
// SIGSTOP (its TCP peers still get ACKs, no answers), and a black hole (all
// packets to and from its port on loopback dropped: no ACKs, no RST). Each
// fault is an RAII object that ends the fault when destroyed, so a failed
// assertion never leaves a server frozen or cut off for the next test; an
// UndoGuard process ends it as well if the test program dies first.
//
// Only the servers named by the environment that `scripts/db.sh start DIR`
// wrote (XATM_DB_DIR, XATM_PG_PORT, XATM_MY_PORT) are ever touched.
#pragma once

#include <sys/types.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/crash/undo_guard.h"
#include "xatm/status.h"

namespace xatm::crash {

// The TCP port of test server "pg" or "my", checked against the port the
// tests connect to.
int ServerPort(const std::string& which);

// The live processes of test server "pg" (the postmaster, then its
// children) or "my" (mariadbd), each checked by its command name.
Result<std::vector<pid_t>> ServerPids(const std::string& which);

// A fault in force until End() or destruction.
class ServerFault {
 public:
  virtual ~ServerFault() = default;
  // Ends the fault; idempotent.
  virtual void End() = 0;
  virtual std::string Describe() const = 0;
};

// SIGSTOP of every process of one server; SIGCONT at the end.
class FrozenServer : public ServerFault {
 public:
  static Result<std::unique_ptr<ServerFault>> Freeze(const std::string& which);
  ~FrozenServer() override { End(); }
  void End() override;
  std::string Describe() const override { return "freeze " + which_; }

 private:
  FrozenServer(std::string which, std::vector<pid_t> pids)
      : which_(std::move(which)), pids_(std::move(pids)) {}

  std::string which_;
  std::vector<pid_t> pids_;  // stopped, not yet continued
  std::unique_ptr<UndoGuard> guard_;
};

// SIGCONT to every process of both test servers: a safety net for a test
// program killed while a server was frozen.
void ThawTestServers();

// Drops every TCP packet to or from one server's port on loopback, through
// an nftables table of this process ("inet xatm_test_<pid>_<port>") or,
// without nftables (or with XATM_TEST_FIREWALL=iptables), iptables rules
// with the comment "xatm_test_<pid>_<port>".
class BlackHole : public ServerFault {
 public:
  // OK when a black hole can be made here (root, a working nft or
  // iptables); otherwise why not, for a skip message.
  static Status Available();
  static Result<std::unique_ptr<ServerFault>> Open(const std::string& which);
  ~BlackHole() override { End(); }
  void End() override;
  std::string Describe() const override { return "black hole " + which_; }

 private:
  BlackHole(std::string which, int port, bool nft)
      : which_(std::move(which)), port_(port), nft_(nft) {}

  // The commands that remove it.
  std::vector<std::vector<std::string>> RemoveCommands() const;

  std::string which_;
  int port_;
  bool nft_;  // nftables table, else iptables rules
  bool in_force_ = true;
  std::unique_ptr<UndoGuard> guard_;
};

// Removes the black holes of earlier test processes that are gone (killed
// before their destructors ran). Those of live processes stay.
void RemoveStaleBlackHoles();

// The connections on `port` (either end) that are not settled right now
// (see WaitForQuietPort), as "LOCAL REMOTE" in /proc/net/tcp's notation.
std::set<std::string> UnsettledConnections(int port);

// Waits until no TCP socket on `port` (either end) holds unsent, unacked or
// unread data, a pending connection or an unfinished close, so that nothing
// a client sent before a fault is still on its way to the server. The
// `ignored` connections (unsettled before the test began: not its own, e.g.
// a socket an earlier test's restarted server inherited) do not count.
// False when `timeout_ms` passed first, with the sockets still unsettled
// (lines of /proc/net/tcp) in `unsettled`.
bool WaitForQuietPort(int port, int timeout_ms,
                      const std::set<std::string>& ignored,
                      std::string* unsettled = nullptr);

}  // namespace xatm::crash
