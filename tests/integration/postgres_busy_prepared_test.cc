// COMMIT PREPARED of a gid that another session is in the middle of
// finishing: PostgreSQL answers 55000 "prepared transaction with identifier
// ... is busy". That is "retry later" (Unavailable), never a final answer.
//
// To hold a session inside COMMIT PREPARED deterministically, the test
// server (ours alone) is given a synchronous standby that does not exist:
// a commit then waits for it forever, still holding the gid. Only the
// holding session asks to wait (synchronous_commit = on); the server's
// default is set to 'local' meanwhile, so nothing else waits. Both settings
// are reset on the way out, whatever happens.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <poll.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "adapters/postgres/pg_resource.h"
#include "tests/integration/resource_checks.h"
#include "tests/integration/test_env.h"
#include "tests/unit/library_log_level.h"
#include "xatm/clock.h"
#include "xatm/xid.h"

namespace xatm {
namespace {

using ::xatm::testing::IsOk;
using ::xatm::testing::PostgresTestConfig;
using ::xatm::testing::RequireEnv;

constexpr char kResourceName[] = "pg";

struct ConnCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using Conn = std::unique_ptr<PGconn, ConnCloser>;

// A plain libpq session; `user` overrides the test conninfo's user.
Conn Connect(const std::string& user = "") {
  std::string conninfo = RequireEnv("XATM_TEST_PG_CONNINFO");
  if (!user.empty()) conninfo += " user=" + user;
  Conn conn(PQconnectdb(conninfo.c_str()));
  EXPECT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
  return conn;
}

// Runs `sql`; the first row's first value, or "" (and a failure) on error.
std::string RunSql(PGconn* conn, const std::string& sql) {
  PGresult* result = PQexec(conn, sql.c_str());
  const ExecStatusType status = PQresultStatus(result);
  std::string value;
  if (status == PGRES_TUPLES_OK && PQntuples(result) > 0) {
    value = PQgetvalue(result, 0, 0);
  }
  EXPECT_TRUE(status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
      << sql << ": " << PQresultErrorMessage(result);
  PQclear(result);
  return value;
}

// Waits until a new session sees `setting` = `value`: the postmaster has
// reloaded and signalled every backend.
void WaitForSetting(const std::string& setting, const std::string& value) {
  for (int i = 0; i < 200; ++i) {
    Conn fresh = Connect();
    if (RunSql(fresh.get(), "SHOW " + setting) == value) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  FAIL() << setting << " never became '" << value << "'";
}

// Sets the server-wide settings that make a synchronous commit wait
// forever; the destructor resets them.
class UnsatisfiableSyncStandby {
 public:
  UnsatisfiableSyncStandby() : admin_(Connect("postgres")) {
    RunSql(admin_.get(), "ALTER SYSTEM SET synchronous_commit = 'local'");
    RunSql(admin_.get(), "SELECT pg_reload_conf()");
    WaitForSetting("synchronous_commit", "local");
    RunSql(
        admin_.get(),
        "ALTER SYSTEM SET synchronous_standby_names = 'xatm_no_such_standby'");
    RunSql(admin_.get(), "SELECT pg_reload_conf()");
    WaitForSetting("synchronous_standby_names", "xatm_no_such_standby");
  }
  ~UnsatisfiableSyncStandby() { Reset(); }

  // Resets both settings: a waiting commit is released.
  void Reset() {
    if (reset_) return;
    reset_ = true;
    RunSql(admin_.get(), "ALTER SYSTEM RESET synchronous_standby_names");
    RunSql(admin_.get(), "ALTER SYSTEM RESET synchronous_commit");
    RunSql(admin_.get(), "SELECT pg_reload_conf()");
  }

 private:
  Conn admin_;
  bool reset_ = false;
};

// Whether the result of the query `conn` sent arrives within `timeout`.
bool AwaitAnswer(PGconn* conn, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (PQisBusy(conn)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd fd{PQsocket(conn), POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(left.count())) < 0) return false;
    if (PQconsumeInput(conn) == 0) return true;
  }
  return true;
}

TEST(PostgresBusyPreparedTest, CommitOfAGidAnotherSessionIsFinishingRetries) {
  testing::SetLibraryLogLevel(spdlog::level::warn);
  std::unique_ptr<Resource> resource =
      MakePostgresResource(PostgresTestConfig(kResourceName));
  XidGenerator generator("pgbusy");
  const Xid xid = generator.Next(Clock::System()->NowMs());
  const std::string gid = xid.PostgresGid(kResourceName);
  // Whatever fails below, nothing stays prepared.
  struct RollbackAtExit {
    Resource& resource;
    const Xid& xid;
    ~RollbackAtExit() { (void)resource.RollbackPrepared(xid); }
  } rollback_at_exit{*resource, xid};
  {
    Result<std::unique_ptr<Branch>> branch = resource->Begin(xid);
    ASSERT_TRUE(IsOk(branch));
    ASSERT_TRUE(IsOk((*branch)->Query("SELECT 1", {})));
    ASSERT_TRUE(IsOk((*branch)->Prepare()));
  }

  Conn holder = Connect();
  const std::string holder_pid =
      RunSql(holder.get(), "SELECT pg_backend_pid()");
  {
    UnsatisfiableSyncStandby no_standby;
    RunSql(holder.get(), "SET synchronous_commit = on");
    ASSERT_EQ(
        PQsendQuery(holder.get(), ("COMMIT PREPARED '" + gid + "'").c_str()),
        1);
    // The holder waits for the standby while it still holds the gid.
    Conn watcher = Connect();
    std::string waiting;
    for (int i = 0; i < 400 && waiting != "SyncRep"; ++i) {
      waiting = RunSql(watcher.get(),
                       "SELECT coalesce(wait_event, '') FROM pg_stat_activity "
                       "WHERE pid = " +
                           holder_pid);
      if (waiting != "SyncRep") {
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
      }
    }
    ASSERT_EQ(waiting, "SyncRep");

    Status commit = resource->CommitPrepared(xid);
    EXPECT_EQ(commit.code(), StatusCode::kUnavailable) << commit.ToString();
    EXPECT_NE(commit.message().find("55000"), std::string::npos)
        << commit.message();
    Status rollback = resource->RollbackPrepared(xid);
    EXPECT_EQ(rollback.code(), StatusCode::kUnavailable) << rollback.ToString();

    no_standby.Reset();
    ASSERT_TRUE(AwaitAnswer(holder.get(), std::chrono::seconds(10)))
        << "COMMIT PREPARED still waits after the standby setting was reset";
  }
  PGresult* done = PQgetResult(holder.get());
  EXPECT_EQ(PQresultStatus(done), PGRES_COMMAND_OK)
      << PQresultErrorMessage(done);
  PQclear(done);
  while (PGresult* rest = PQgetResult(holder.get())) PQclear(rest);

  // The holder finished it: now the gid is simply gone.
  EXPECT_EQ(resource->CommitPrepared(xid).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace xatm
