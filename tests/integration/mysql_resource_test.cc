// The MariaDB adapter against the real test server (scripts/db.sh).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <list>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "adapters/mysql/my_branch.h"
#include "adapters/mysql/my_connection.h"
#include "adapters/mysql/my_connection_pool.h"
#include "adapters/mysql/my_resource.h"
#include "adapters/mysql/my_xa_resolve.h"
#include "tests/integration/bank_cleanup.h"
#include "tests/integration/resource_checks.h"
#include "tests/integration/test_env.h"
#include "xatm/xid.h"

namespace xatm {
namespace {

using testing::IsOk;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string& Pid() {
  static const std::string pid = std::to_string(getpid());
  return pid;
}

// Forwards TCP connections to the server and can cut the client side of
// the connections it carries while keeping their server side open: the
// server then still holds the sessions, as after a client-side network
// failure it has not noticed yet.
class TcpProxy {
 public:
  TcpProxy(const std::string& host, int port) : server_host_(host) {
    server_port_ = port;
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(listen_fd_, 16);
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    if (pipe(stop_) != 0) std::abort();
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~TcpProxy() {
    char byte = 1;
    (void)!write(stop_[1], &byte, 1);  // readable for every poller
    acceptor_.join();
    std::lock_guard<std::mutex> lock(mu_);
    for (Link& l : links_) {
      l.pump.join();
      close(l.client);
      close(l.server);
    }
    close(listen_fd_);
    close(stop_[0]);
    close(stop_[1]);
  }

  int port() const { return port_; }

  // Closes the client half of every connection carried so far.
  void CutClients() {
    std::lock_guard<std::mutex> lock(mu_);
    for (Link& l : links_) {
      l.cut = true;  // before the shutdown wakes the pump
      shutdown(l.client, SHUT_RDWR);
    }
  }

 private:
  struct Link {
    int client = -1;
    int server = -1;
    std::atomic<bool> cut{false};
    std::thread pump;
  };

  static bool SendAll(int fd, const char* p, ssize_t n) {
    while (n > 0) {
      ssize_t w = send(fd, p, static_cast<size_t>(n), MSG_NOSIGNAL);
      if (w <= 0) return false;
      p += w;
      n -= w;
    }
    return true;
  }

  void AcceptLoop() {
    for (;;) {
      pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_[0], POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) continue;
      if (fds[1].revents != 0) return;
      int client = accept(listen_fd_, nullptr, nullptr);
      if (client < 0) continue;
      int server = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<uint16_t>(server_port_));
      inet_pton(AF_INET, server_host_.c_str(), &addr.sin_addr);
      if (connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) !=
          0) {
        close(client);
        close(server);
        continue;
      }
      std::lock_guard<std::mutex> lock(mu_);
      links_.emplace_back();
      Link* l = &links_.back();
      l->client = client;
      l->server = server;
      l->pump = std::thread([this, l] { Pump(l); });
    }
  }

  void Pump(Link* l) {
    char buf[16384];
    for (;;) {
      pollfd fds[3] = {{l->client, POLLIN, 0},
                       {l->server, POLLIN, 0},
                       {stop_[0], POLLIN, 0}};
      if (poll(fds, 3, -1) < 0) continue;
      if (fds[2].revents != 0 || l->cut) return;  // server side stays open
      if (fds[0].revents != 0) {
        ssize_t n = read(l->client, buf, sizeof(buf));
        if (n <= 0 || !SendAll(l->server, buf, n)) {
          shutdown(l->server, SHUT_RDWR);  // a real disconnect: pass it on
          return;
        }
      }
      if (fds[1].revents != 0) {
        ssize_t n = read(l->server, buf, sizeof(buf));
        if (n <= 0 || !SendAll(l->client, buf, n)) {
          shutdown(l->client, SHUT_RDWR);
          return;
        }
      }
    }
  }

  std::string server_host_;
  int server_port_ = 0;
  int listen_fd_ = -1;
  int port_ = 0;
  int stop_[2] = {-1, -1};
  std::thread acceptor_;
  std::mutex mu_;
  std::list<Link> links_;  // stable addresses
};

class MysqlResourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = testing::MysqlTestConfig("my");
    resource_ = std::make_unique<MyResource>(config_);
    // The schema script runs as one multi-statement ExecuteLocal.
    std::string schema = ReadFile(std::string(XATM_SQL_DIR) + "/mysql.sql");
    ASSERT_FALSE(schema.empty());
    ASSERT_TRUE(IsOk(resource_->ExecuteLocal(schema, {})));
    prefix_ = "myt-" + Pid() + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name();
    prefix_ = prefix_.substr(0, 48);
  }

  void TearDown() override {
    // The database is shared: whatever a failed test left prepared would
    // hold row locks and stall everyone. Sessions of destroyed branches
    // detach a moment after they close, and finishing a branch during that
    // hand-over silently does nothing (my_xa_resolve.h): wait it out first.
    bool leftovers = !foreign_xids_.empty();
    if (auto prepared = resource_->ListPrepared(); prepared.ok()) {
      for (const PreparedBranch& b : *prepared) {
        leftovers |= b.id.xid.node == gen_.node();
      }
    }
    if (leftovers) std::this_thread::sleep_for(std::chrono::milliseconds(300));
    for (int i = 0; i < 100; ++i) {
      bool attached = false;
      auto prepared = resource_->ListPrepared();
      if (prepared.ok()) {
        for (const PreparedBranch& b : *prepared) {
          if (b.id.xid.node != gen_.node()) continue;
          Status s = resource_->RollbackPrepared(b.id.xid);
          attached |= s.code() == StatusCode::kUnavailable;
        }
      }
      Result<std::unique_ptr<MyConnection>> opened =
          MyConnection::Open(config_);
      if (opened.ok()) {
        std::unique_ptr<MyConnection> raw = std::move(opened).value();
        for (auto it = foreign_xids_.begin(); it != foreign_xids_.end();) {
          MyStatus s = raw->Run("XA ROLLBACK " + *it);
          bool gone = s.ok() || s.code() == my_errc::kXaRbrollback;
          if (s.code() == my_errc::kXaerNota) {
            std::vector<Row> rows;
            gone = raw->RunQuery("XA RECOVER FORMAT='SQL'", &rows).ok();
            for (const Row& r : rows) {
              if (r.size() == 4 && r[3] && *r[3] == *it) gone = false;
            }
          }
          it = gone ? foreign_xids_.erase(it) : std::next(it);
        }
      }
      if (!attached && foreign_xids_.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(foreign_xids_.empty());
    // By primary key: a range DELETE would queue behind other tests'
    // prepared branches (see bank_cleanup.h).
    testing::DeleteLedgerRows(*resource_, gen_.node());
    for (const std::string& id : accounts_) {
      testing::DeleteAccount(*resource_, id);
    }
  }

  Xid NewXid() {
    return gen_.Next(std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count());
  }

  // A fresh account id, deleted after the test.
  std::string Account(const std::string& suffix) {
    accounts_.push_back(prefix_ + "-" + suffix);
    return accounts_.back();
  }

  void CreateAccount(const std::string& id, const std::string& balance) {
    ASSERT_TRUE(IsOk(resource_->ExecuteLocal(
        "INSERT INTO xatm_accounts (id, balance) VALUES (?, ?)",
        {id, balance})));
  }

  // Read from a pooled session, never a branch's.
  std::string Balance(const std::string& id) {
    return testing::CommittedBalance(*resource_, id);
  }
  bool Listed(const Xid& xid) {
    return testing::ListedPrepared(*resource_, xid);
  }

  std::unique_ptr<Branch> Begin(Resource* r, const Xid& xid) {
    auto branch = r->Begin(xid);
    EXPECT_TRUE(IsOk(branch));
    return branch.ok() ? std::move(branch).value() : nullptr;
  }

  void AddToBalance(Branch* b, const std::string& account,
                    const std::string& delta, const Xid& xid) {
    auto n = b->Execute(
        "UPDATE xatm_accounts SET balance = balance + CAST(? AS "
        "DECIMAL(20,2)) WHERE id = ?",
        {delta, account});
    ASSERT_TRUE(IsOk(n));
    EXPECT_EQ(*n, 1);
    ASSERT_TRUE(IsOk(
        b->Execute("INSERT INTO xatm_ledger (gtrid, branch, account, delta) "
                   "VALUES (?, ?, ?, CAST(? AS DECIMAL(20,2)))",
                   {xid.Gtrid(), b->resource_name(), account, delta})));
  }

  // KILLs a server session from a connection of its own.
  void Kill(int64_t session) {
    Result<std::unique_ptr<MyConnection>> conn = MyConnection::Open(config_);
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE((*conn)->Run("KILL " + std::to_string(session)).ok());
  }

  // Ends the session of a prepared branch the safe way: KILL, then wait
  // until the server has handed the branch over (a commit from elsewhere
  // during the hand-over would silently do nothing, see my_xa_resolve.h).
  void EndSessionOf(Branch* branch) {
    auto* my = dynamic_cast<MyBranch*>(branch);
    ASSERT_NE(my, nullptr);
    Result<std::unique_ptr<MyConnection>> conn = MyConnection::Open(config_);
    ASSERT_TRUE(conn.ok());
    MyPreparingSession session{my->session_id(), (*conn)->server_boot_s()};
    MyStatus s = EndSession(conn->get(), session);
    ASSERT_TRUE(s.ok()) << s.Describe();
  }

  ResourceConfig config_;
  std::unique_ptr<MyResource> resource_;
  XidGenerator gen_{"myt" + Pid()};
  std::string prefix_;
  std::vector<std::string> accounts_;
  // Prepared by raw sessions, as XA RECOVER FORMAT='SQL' prints them.
  std::vector<std::string> foreign_xids_;
};

TEST_F(MysqlResourceTest, CommitPreparedMakesTheUpdateVisibleToOtherSessions) {
  const std::string a = Account("a");
  CreateAccount(a, "100.00");
  Xid xid = NewXid();
  auto branch = Begin(resource_.get(), xid);
  ASSERT_NE(branch, nullptr);
  AddToBalance(branch.get(), a, "-0.10", xid);
  // Inside the branch the change shows; outside it does not yet.
  auto inside =
      branch->Query("SELECT balance FROM xatm_accounts WHERE id = ?", {a});
  ASSERT_TRUE(IsOk(inside));
  EXPECT_EQ(*(*inside)[0][0], "99.90");
  EXPECT_EQ(Balance(a), "100.00");

  ASSERT_TRUE(IsOk(branch->Prepare()));
  EXPECT_TRUE(Listed(xid));
  EXPECT_EQ(Balance(a), "100.00");
  ASSERT_TRUE(IsOk(branch->CommitPrepared()));
  EXPECT_EQ(Balance(a), "99.90");
  EXPECT_FALSE(Listed(xid));
  // Committing again is harmless.
  EXPECT_TRUE(IsOk(branch->CommitPrepared()));
}

TEST_F(MysqlResourceTest, RollbackOfAPreparedBranchLeavesNoTrace) {
  const std::string a = Account("a");
  CreateAccount(a, "5.00");
  Xid xid = NewXid();
  auto branch = Begin(resource_.get(), xid);
  ASSERT_NE(branch, nullptr);
  AddToBalance(branch.get(), a, "1.25", xid);
  ASSERT_TRUE(IsOk(branch->Prepare()));
  ASSERT_TRUE(Listed(xid));
  ASSERT_TRUE(IsOk(branch->Rollback()));
  EXPECT_EQ(Balance(a), "5.00");
  EXPECT_FALSE(Listed(xid));
  auto outcome = resource_->LookupOutcome(xid);
  ASSERT_TRUE(IsOk(outcome));
  EXPECT_EQ(*outcome, BranchOutcome::kNotCommitted);
  // A commit after the rollback is refused.
  EXPECT_EQ(branch->CommitPrepared().code(), StatusCode::kFailedPrecondition);
}

TEST_F(MysqlResourceTest, OtherSessionsCannotCommitWhileThePreparingOneLives) {
  const std::string a = Account("a");
  CreateAccount(a, "10.00");
  Xid xid = NewXid();
  auto branch = Begin(resource_.get(), xid);
  ASSERT_NE(branch, nullptr);
  AddToBalance(branch.get(), a, "2.00", xid);
  ASSERT_TRUE(IsOk(branch->Prepare()));

  // MariaDB answers 1397 from another session; XA RECOVER still lists it.
  Status s = resource_->CommitPrepared(xid);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("1397"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("still attached"), std::string::npos)
      << s.message();
  EXPECT_TRUE(Listed(xid));
  EXPECT_EQ(Balance(a), "10.00");

  // Once the preparing session is gone, any session can commit.
  EndSessionOf(branch.get());
  EXPECT_TRUE(IsOk(resource_->CommitPrepared(xid)));
  EXPECT_EQ(Balance(a), "12.00");
  EXPECT_FALSE(Listed(xid));
  auto outcome = resource_->LookupOutcome(xid);
  ASSERT_TRUE(IsOk(outcome));
  EXPECT_EQ(*outcome, BranchOutcome::kCommitted);
}

TEST_F(MysqlResourceTest,
       BranchWhoseLinkBrokeAfterPrepareKillsItsSessionAndCommits) {
  const std::string a = Account("a");
  CreateAccount(a, "1.00");
  TcpProxy proxy(config_.host, config_.port);
  ResourceConfig via_proxy = config_;
  via_proxy.port = proxy.port();
  MyResource proxied(via_proxy);

  Xid xid = NewXid();
  auto branch = Begin(&proxied, xid);
  ASSERT_NE(branch, nullptr);
  AddToBalance(branch.get(), a, "0.01", xid);
  ASSERT_TRUE(IsOk(branch->Prepare()));

  // The client side breaks; the server still holds the preparing session,
  // so no other session could commit - until the branch kills it.
  proxy.CutClients();
  EXPECT_EQ(resource_->CommitPrepared(xid).code(), StatusCode::kUnavailable);
  EXPECT_TRUE(IsOk(branch->CommitPrepared()));
  EXPECT_EQ(Balance(a), "1.01");
  EXPECT_FALSE(Listed(xid));
}

TEST_F(MysqlResourceTest, ListPreparedParsesOurXidsAndIgnoresOthers) {
  Xid xid = NewXid();
  auto branch = Begin(resource_.get(), xid);
  ASSERT_NE(branch, nullptr);
  ASSERT_TRUE(IsOk(
      branch->Execute("INSERT INTO xatm_accounts (id, balance) VALUES (?, ?)",
                      {Account("listed"), "1.00"})));
  ASSERT_TRUE(IsOk(branch->Prepare()));

  // Not ours: a foreign gtrid, and our gtrid with another resource's bqual,
  // each prepared on a raw session of its own.
  const std::string foreign = "'foreign-" + Pid() + "','b'";
  const std::string other = "'" + NewXid().Gtrid() + "','other-resource'";
  std::unique_ptr<MyConnection> raw[2];
  const std::string xids[2] = {foreign, other};
  for (int i = 0; i < 2; ++i) {
    foreign_xids_.push_back(xids[i]);  // TearDown cleans up after a failure
    Result<std::unique_ptr<MyConnection>> opened = MyConnection::Open(config_);
    ASSERT_TRUE(opened.ok());
    raw[i] = std::move(opened).value();
    for (const char* verb : {"XA START ", "XA END ", "XA PREPARE "}) {
      MyStatus s = raw[i]->Run(verb + xids[i]);
      ASSERT_TRUE(s.ok()) << verb << xids[i] << ": " << s.Describe();
    }
  }

  auto prepared = resource_->ListPrepared();
  ASSERT_TRUE(IsOk(prepared));
  int ours = 0;
  for (const PreparedBranch& b : *prepared) {
    EXPECT_EQ(b.id.resource, "my");
    EXPECT_EQ(b.raw.find("foreign"), std::string::npos) << b.raw;
    EXPECT_EQ(b.raw.find("other-resource"), std::string::npos) << b.raw;
    if (b.id.xid == xid) {
      ++ours;
      EXPECT_EQ(b.id.xid.node, gen_.node());
      EXPECT_EQ(b.id.xid.begin_ms, xid.begin_ms);
      EXPECT_EQ(b.id.xid.unique, xid.unique);
      EXPECT_EQ(b.raw,
                "'" + xid.Gtrid() + "','my'," + std::to_string(kMysqlFormatId));
    }
  }
  EXPECT_EQ(ours, 1);

  bool cleaned = true;
  for (int i = 0; i < 2; ++i) {
    cleaned &= raw[i]->Run("XA ROLLBACK " + xids[i]).ok();
  }
  EXPECT_TRUE(cleaned);
  if (cleaned) foreign_xids_.clear();
  EXPECT_TRUE(IsOk(branch->Rollback()));
  EXPECT_FALSE(Listed(xid));
}

TEST_F(MysqlResourceTest, FinishingAnUnknownXidIsNotFound) {
  Xid xid = NewXid();
  Status s = resource_->RollbackPrepared(xid);
  EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.ToString();
  EXPECT_NE(s.message().find("mysql resource 'my': XA ROLLBACK: error 1397 "
                             "(XAE04) XAER_NOTA"),
            std::string::npos)
      << s.message();
  EXPECT_EQ(resource_->CommitPrepared(xid).code(), StatusCode::kNotFound);
}

TEST_F(MysqlResourceTest, ReadOnlyBranchIsFinishedAtPrepare) {
  const std::string a = Account("a");
  CreateAccount(a, "4.00");  // a write on a pooled session just before
  // Changes nothing, each in its own way: reads only, an UPDATE matching no
  // row, a locking read. Each prepares OK, is read-only and is finished at
  // once: MariaDB would answer 1402 to a commit from another session. (An
  // UPDATE setting a column to itself reports its matched row, so it is
  // taken as a writer and stays prepared: safe, only not optimised.)
  for (const std::string& sql :
       {std::string("SELECT balance FROM xatm_accounts WHERE id = ?"),
        std::string("UPDATE xatm_accounts SET balance = 0 WHERE id = ? AND "
                    "balance < 0"),
        std::string("SELECT balance FROM xatm_accounts WHERE id = ? FOR "
                    "UPDATE")}) {
    Xid xid = NewXid();
    auto branch = Begin(resource_.get(), xid);
    ASSERT_NE(branch, nullptr);
    if (sql.rfind("SELECT", 0) == 0) {
      ASSERT_TRUE(IsOk(branch->Query(sql, {a})));
    } else {
      ASSERT_TRUE(IsOk(branch->Execute(sql, {a})));
    }
    ASSERT_TRUE(IsOk(branch->Prepare())) << sql;
    EXPECT_TRUE(branch->read_only()) << sql;
    EXPECT_FALSE(Listed(xid)) << sql;
    // The row lock of the locking read is gone with it.
    EXPECT_TRUE(IsOk(resource_->ExecuteLocal(
        "UPDATE xatm_accounts SET balance = balance WHERE id = ?", {a})));
  }
  // An empty branch too.
  Xid empty = NewXid();
  auto branch = Begin(resource_.get(), empty);
  ASSERT_NE(branch, nullptr);
  ASSERT_TRUE(IsOk(branch->Prepare()));
  EXPECT_TRUE(branch->read_only());
  EXPECT_FALSE(Listed(empty));
  EXPECT_EQ(Balance(a), "4.00");
  // Finished either way: phase 2 and a rollback (another branch voted no)
  // have nothing left to do.
  EXPECT_TRUE(IsOk(branch->Rollback()));
  EXPECT_TRUE(IsOk(branch->CommitPrepared()));
}

TEST_F(MysqlResourceTest, WritingBranchIsNotReadOnlyAndStaysPrepared) {
  const std::string a = Account("a");
  CreateAccount(a, "4.00");
  // A read-only branch first, on the same pooled session.
  Xid reader = NewXid();
  auto read_only = Begin(resource_.get(), reader);
  ASSERT_NE(read_only, nullptr);
  ASSERT_TRUE(IsOk(read_only->Prepare()));
  EXPECT_TRUE(read_only->read_only());
  read_only.reset();
  // Writes: an insert, an update.
  for (const std::string& sql :
       {std::string("INSERT INTO xatm_ledger (gtrid, branch, account, delta) "
                    "VALUES (?, 'my', ?, '0.00')"),
        std::string("UPDATE xatm_accounts SET balance = balance + CAST(? "
                    "AS DECIMAL(20,2)) WHERE id = ?")}) {
    Xid xid = NewXid();
    auto branch = Begin(resource_.get(), xid);
    ASSERT_NE(branch, nullptr);
    if (sql[0] == 'I') {
      ASSERT_TRUE(IsOk(branch->Execute(sql, {xid.Gtrid(), a})));
    } else {
      ASSERT_TRUE(IsOk(branch->Execute(sql, {"0.01", a})));
    }
    ASSERT_TRUE(IsOk(branch->Prepare())) << sql;
    EXPECT_FALSE(branch->read_only()) << sql;
    EXPECT_TRUE(Listed(xid)) << sql;
    EXPECT_TRUE(IsOk(branch->CommitPrepared()));
    EXPECT_FALSE(Listed(xid));
  }
}

TEST_F(MysqlResourceTest, ReadOnlyBranchLeftPreparedIsNothingToCommit) {
  // An older version left a read-only branch prepared; its session is gone.
  Xid xid = NewXid();
  const std::string literal =
      "'" + xid.Gtrid() + "','my'," + std::to_string(kMysqlFormatId);
  {
    Result<std::unique_ptr<MyConnection>> opened = MyConnection::Open(config_);
    ASSERT_TRUE(opened.ok());
    std::unique_ptr<MyConnection> raw = std::move(opened).value();
    for (const char* verb : {"XA START ", "XA END ", "XA PREPARE "}) {
      ASSERT_TRUE(raw->Run(verb + literal).ok()) << verb;
    }
    MyPreparingSession session{raw->session_id(), raw->server_boot_s()};
    raw.reset();
    Result<std::unique_ptr<MyConnection>> conn = MyConnection::Open(config_);
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE(EndSession(conn->get(), session).ok());
  }
  ASSERT_TRUE(Listed(xid));
  // MariaDB answers 1402 and forgets it: nothing to commit, which is not a
  // "gone" branch (NotFound would send the caller to the ledger, which has
  // no row for a branch that wrote nothing).
  Status s = resource_->CommitPrepared(xid);
  EXPECT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
  EXPECT_NE(s.message().find("1402"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("nothing to commit"), std::string::npos)
      << s.message();
  EXPECT_FALSE(Listed(xid));
}

TEST_F(MysqlResourceTest, LedgerProvesOnlyTheBranchOfItsOwnResource) {
  // Two resources on one database: a ledger row of myA's branch says
  // nothing about myB's branch of the same transaction.
  ResourceConfig config_a = config_;
  config_a.name = "myA";
  ResourceConfig config_b = config_;
  config_b.name = "myB";
  MyResource a_resource(config_a);
  MyResource b_resource(config_b);
  const std::string a = Account("a");
  CreateAccount(a, "1.00");
  Xid xid = NewXid();
  auto branch = Begin(&a_resource, xid);
  ASSERT_NE(branch, nullptr);
  AddToBalance(branch.get(), a, "1.00", xid);  // ledger branch = "myA"
  ASSERT_TRUE(IsOk(branch->CommitOnePhase()));

  auto mine = a_resource.LookupOutcome(xid);
  ASSERT_TRUE(IsOk(mine));
  EXPECT_EQ(*mine, BranchOutcome::kCommitted);
  auto other = b_resource.LookupOutcome(xid);
  ASSERT_TRUE(IsOk(other));
  EXPECT_EQ(*other, BranchOutcome::kNotCommitted);
}

TEST_F(MysqlResourceTest, CheckViolationFailsTheStatementAndTheBranchVotesNo) {
  const std::string a = Account("a");
  CreateAccount(a, "3.00");
  Xid xid = NewXid();
  auto branch = Begin(resource_.get(), xid);
  ASSERT_NE(branch, nullptr);
  auto ok = branch->Execute(
      "INSERT INTO xatm_ledger (gtrid, branch, account, delta) VALUES "
      "(?, ?, ?, ?)",
      {xid.Gtrid(), "my", a, "-5.00"});
  ASSERT_TRUE(IsOk(ok));
  auto n = branch->Execute(
      "UPDATE xatm_accounts SET balance = balance - CAST(? AS DECIMAL(20,2)) "
      "WHERE id = ?",
      {"5.00", a});
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(n.status().message().find("error 4025 (23000)"), std::string::npos)
      << n.status().message();

  Status vote = branch->Prepare();
  EXPECT_EQ(vote.code(), StatusCode::kAborted) << vote.ToString();
  EXPECT_FALSE(Listed(xid));
  EXPECT_TRUE(IsOk(branch->Rollback()));
  EXPECT_EQ(Balance(a), "3.00");
  auto outcome = resource_->LookupOutcome(xid);
  ASSERT_TRUE(IsOk(outcome));
  EXPECT_EQ(*outcome, BranchOutcome::kNotCommitted);
}

TEST_F(MysqlResourceTest, LookupOutcomeTellsCommittedFromNotCommitted) {
  const std::string a = Account("a");
  CreateAccount(a, "0.00");
  Xid committed = NewXid();
  auto branch = Begin(resource_.get(), committed);
  ASSERT_NE(branch, nullptr);
  AddToBalance(branch.get(), a, "7.00", committed);
  ASSERT_TRUE(IsOk(branch->Prepare()));
  // Prepared but not committed: the ledger row is not visible yet.
  auto before = resource_->LookupOutcome(committed);
  ASSERT_TRUE(IsOk(before));
  EXPECT_EQ(*before, BranchOutcome::kNotCommitted);
  ASSERT_TRUE(IsOk(branch->CommitPrepared()));

  auto after = resource_->LookupOutcome(committed);
  ASSERT_TRUE(IsOk(after));
  EXPECT_EQ(*after, BranchOutcome::kCommitted);
  auto never = resource_->LookupOutcome(NewXid());
  ASSERT_TRUE(IsOk(never));
  EXPECT_EQ(*never, BranchOutcome::kNotCommitted);
}

TEST_F(MysqlResourceTest, BranchDestroyedUnfinishedRollsBack) {
  const std::string a = Account("a");
  CreateAccount(a, "1.00");
  Xid xid = NewXid();
  {
    auto branch = Begin(resource_.get(), xid);
    ASSERT_NE(branch, nullptr);
    AddToBalance(branch.get(), a, "1.00", xid);
  }
  EXPECT_EQ(Balance(a), "1.00");
  EXPECT_FALSE(Listed(xid));
  // The xid is free again: nothing of it remains on the server.
  auto again = Begin(resource_.get(), xid);
  ASSERT_NE(again, nullptr);
  EXPECT_TRUE(IsOk(again->Rollback()));
}

TEST_F(MysqlResourceTest, CommitOnePhaseCommitsWithoutPrepare) {
  const std::string a = Account("a");
  CreateAccount(a, "1.00");
  Xid xid = NewXid();
  auto branch = Begin(resource_.get(), xid);
  ASSERT_NE(branch, nullptr);
  AddToBalance(branch.get(), a, "0.99", xid);
  ASSERT_TRUE(IsOk(branch->CommitOnePhase()));
  EXPECT_EQ(Balance(a), "1.99");
  EXPECT_FALSE(Listed(xid));
  EXPECT_EQ(branch->Prepare().code(), StatusCode::kFailedPrecondition);
}

TEST_F(MysqlResourceTest, BeginWithAnXidInUseIsAlreadyExists) {
  Xid xid = NewXid();
  auto first = Begin(resource_.get(), xid);
  ASSERT_NE(first, nullptr);
  auto second = resource_->Begin(xid);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kAlreadyExists)
      << second.status().ToString();
  EXPECT_TRUE(IsOk(first->Rollback()));
}

TEST_F(MysqlResourceTest, KilledPooledConnectionIsNotHandedOutAgain) {
  // One idle session in the pool; find its id through it.
  auto id_rows = resource_->QueryLocal("SELECT CONNECTION_ID()", {});
  ASSERT_TRUE(IsOk(id_rows));
  const std::string killed = *(*id_rows)[0][0];
  ASSERT_EQ(resource_->pool()->idle_count(), 1u);
  Kill(std::stoll(killed));

  Xid xid = NewXid();
  auto branch = Begin(resource_.get(), xid);
  ASSERT_NE(branch, nullptr);
  auto* my = dynamic_cast<MyBranch*>(branch.get());
  ASSERT_NE(my, nullptr);
  EXPECT_NE(std::to_string(my->session_id()), killed);
  EXPECT_TRUE(IsOk(branch->CommitOnePhase()));

  // Dead while idle for a while: the ping before reuse catches it, so even
  // ExecuteLocal (never retried) works.
  id_rows = resource_->QueryLocal("SELECT CONNECTION_ID()", {});
  ASSERT_TRUE(IsOk(id_rows));
  Kill(std::stoll(*(*id_rows)[0][0]));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_TRUE(IsOk(resource_->ExecuteLocal("DO ?", {"1"})));
}

TEST_F(MysqlResourceTest, FailedConnectKeepsThePasswordOutOfTheMessage) {
  ResourceConfig bad = config_;
  // The server echoes the user name: make it the password to prove the
  // message is scrubbed, not just lucky.
  bad.password = "Secret-" + Pid() + "-pw";
  bad.user = bad.password;
  MyResource r(bad);
  Status s = r.ExecuteLocal("DO 1", {});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("1045"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find(bad.password), std::string::npos) << s.message();
  auto begin = r.Begin(NewXid());
  ASSERT_FALSE(begin.ok());
  EXPECT_EQ(begin.status().message().find(bad.password), std::string::npos);

  bad.user = config_.user;
  MyResource wrong_password(bad);
  s = wrong_password.ExecuteLocal("DO 1", {});
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_EQ(s.message().find(bad.password), std::string::npos) << s.message();
}

TEST_F(MysqlResourceTest, ExecuteLocalRunsAWholeScriptAndStopsAtItsFirstError) {
  const std::string a = Account("a");
  const std::string b = Account("b");
  // Results of every kind, comments, a ';' inside a string, no final ';'.
  const std::string script = "INSERT INTO xatm_accounts VALUES ('" + a +
                             "', 1); -- first\n"
                             "SELECT 'a;b';\n"
                             "/* block ; comment */ UPDATE xatm_accounts SET "
                             "balance = 2 WHERE id = '" +
                             a +
                             "';\n"
                             "SELECT 1 UNION SELECT 2\n"
                             "# trailing comment";
  ASSERT_TRUE(IsOk(resource_->ExecuteLocal(script, {})));
  EXPECT_EQ(Balance(a), "2.00");

  Status s = resource_->ExecuteLocal(
      "INSERT INTO xatm_accounts VALUES ('" + b +
          "', 1); SELECT * FROM xatm_no_such_table; "
          "UPDATE xatm_accounts SET balance = 9 WHERE id = '" +
          b + "';",
      {});
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("1146"), std::string::npos) << s.message();
  EXPECT_EQ(Balance(b), "1.00");  // the statement after the error never ran
  // The pooled connection is still in step with the server.
  auto rows = resource_->QueryLocal("SELECT ? + 1", {"41"});
  ASSERT_TRUE(IsOk(rows));
  EXPECT_EQ(*(*rows)[0][0], "42");
}

TEST_F(MysqlResourceTest, ValuesStayExactTextAndNullIsNullopt) {
  auto rows =
      resource_->QueryLocal("SELECT CAST(? AS DECIMAL(30,10)), NULL, ?",
                            {"123456789012345678.0123456789", "x'; --"});
  ASSERT_TRUE(IsOk(rows));
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(*(*rows)[0][0], "123456789012345678.0123456789");
  EXPECT_FALSE((*rows)[0][1].has_value());
  EXPECT_EQ(*(*rows)[0][2], "x'; --");
  // Floating point keeps every digit (the driver alone would print "%f").
  rows = resource_->QueryLocal("SELECT ? * 1e0, ? * 1e0",
                               {"0.1234567890123", "1e-10"});
  ASSERT_TRUE(IsOk(rows));
  EXPECT_EQ(*(*rows)[0][0], "0.1234567890123");
  EXPECT_EQ(*(*rows)[0][1], "1e-10");
  // A wrong parameter count is the caller's mistake, not a server error.
  auto wrong = resource_->QueryLocal("SELECT ?", {});
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace xatm
