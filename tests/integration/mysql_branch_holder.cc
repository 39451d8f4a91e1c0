// A coordinator that prepares one MariaDB branch and then stops answering:
// run by mysql_idle_session_test, which freezes it (SIGSTOP) so that its
// session stays open on a socket nobody reads, like the session of a dead
// or partitioned host.
//
//   mysql_branch_holder GTRID ACCOUNT IDLE_SESSION_TIMEOUT_S SESSION_FILE
//
// Credits ACCOUNT by 1.00 and writes the ledger row inside the branch of
// GTRID on resource "my" (the test database from the environment),
// prepares it, writes the server's id of its session to SESSION_FILE,
// prints "prepared" on stderr and waits forever.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>

#include "adapters/mysql/my_branch.h"
#include "adapters/mysql/my_resource.h"
#include "tests/integration/test_env.h"
#include "xatm/xid.h"

int main(int argc, char** argv) {
  using namespace xatm;
  if (argc != 5) {
    std::fprintf(
        stderr, "usage: %s GTRID ACCOUNT IDLE_SESSION_TIMEOUT_S SESSION_FILE\n",
        argv[0]);
    return 2;
  }
  Result<Xid> xid = Xid::ParseGtrid(argv[1]);
  if (!xid.ok()) {
    std::fprintf(stderr, "bad gtrid: %s\n", xid.status().ToString().c_str());
    return 2;
  }
  ResourceConfig config = testing::MysqlTestConfig("my");
  config.idle_session_timeout_s = std::atoi(argv[3]);
  MyResource resource(config);
  auto branch = resource.Begin(*xid);
  if (!branch.ok()) {
    std::fprintf(stderr, "begin: %s\n", branch.status().ToString().c_str());
    return 1;
  }
  auto credited = (*branch)->Execute(
      "UPDATE xatm_accounts SET balance = balance + 1 WHERE id = ?", {argv[2]});
  auto ledger = (*branch)->Execute(
      "INSERT INTO xatm_ledger (gtrid, branch, account, delta) "
      "VALUES (?, 'my', ?, '1.00')",
      {argv[1], argv[2]});
  Status vote = (*branch)->Prepare();
  if (!credited.ok() || !ledger.ok() || !vote.ok()) {
    std::fprintf(stderr, "branch failed: %s\n", vote.ToString().c_str());
    return 1;
  }
  auto* my = dynamic_cast<MyBranch*>(branch->get());
  {
    std::ofstream out(argv[4]);
    out << (my != nullptr ? my->session_id() : 0) << "\n";
  }
  std::fprintf(stderr, "prepared\n");
  std::fflush(stderr);
  for (;;) pause();
}
