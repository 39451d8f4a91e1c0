// Every round trip of the PostgreSQL resource is bounded: by the resource's
// request timeout, and for a branch also by its SetDeadline deadline. The
// test server is frozen with SIGSTOP (it keeps its connections open and
// answers nothing, as a hung host or a black-holed network does); each call
// must come back within its bound plus 1 s of slack, with the answer its
// contract gives a lost round trip, and the resource must work again once
// the server runs.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "adapters/postgres/pg_resource.h"
#include "tests/integration/resource_checks.h"
#include "tests/integration/test_env.h"
#include "tests/integration/test_server_processes.h"
#include "tests/unit/library_log_level.h"
#include "xatm/clock.h"
#include "xatm/xid.h"

namespace xatm {
namespace {

using std::chrono::milliseconds;
using ::xatm::testing::FrozenServer;
using ::xatm::testing::IsOk;
using ::xatm::testing::PostgresTestConfig;
using ::xatm::testing::WatchCall;

constexpr char kResourceName[] = "pg";
constexpr int kRequestTimeoutMs = 1000;
// What a bounded call may take: its bound plus scheduling slack.
constexpr milliseconds kSlack{1000};
// Past this the call counts as hung and the watchdog thaws the server.
constexpr milliseconds kWatchdog{5000};

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

XidGenerator& Generator() {
  static XidGenerator* generator = new XidGenerator("pgdeadline");
  return *generator;
}

class PostgresDeadlineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    testing::SetLibraryLogLevel(spdlog::level::warn);
  }

  void SetUp() override {
    observer_ = MakePostgresResource(PostgresTestConfig(kResourceName));
  }

  void TearDown() override {
    // Whatever a frozen backend was still holding has been processed by
    // now (WaitBackendGone); nothing of this test may stay prepared.
    for (const Xid& xid : xids_) {
      Status rolled_back = observer_->RollbackPrepared(xid);
      EXPECT_TRUE(rolled_back.ok() ||
                  rolled_back.code() == StatusCode::kNotFound)
          << rolled_back.ToString();
      EXPECT_EQ(PreparedCount(xid), "0") << xid.Gtrid();
    }
  }

  // A resource with one warm pooled connection, so a call meets the frozen
  // server on an open session; `warm_pid` gets that session's backend pid.
  std::unique_ptr<Resource> MakeResource(
      std::string* warm_pid, int request_timeout_ms = kRequestTimeoutMs) {
    ResourceConfig config = PostgresTestConfig(kResourceName);
    config.request_timeout_ms = request_timeout_ms;
    std::unique_ptr<Resource> resource = MakePostgresResource(config);
    Result<std::vector<Row>> rows =
        resource->QueryLocal("SELECT pg_backend_pid()", {});
    EXPECT_TRUE(IsOk(rows));
    if (rows.ok()) *warm_pid = (*rows)[0][0].value_or("");
    return resource;
  }

  Xid NewXid() {
    Xid xid = Generator().Next(Clock::System()->NowMs());
    xids_.push_back(xid);
    return xid;
  }

  std::unique_ptr<Branch> MustBegin(Resource& resource, const Xid& xid) {
    Result<std::unique_ptr<Branch>> branch = resource.Begin(xid);
    EXPECT_TRUE(IsOk(branch));
    if (!branch.ok()) return nullptr;
    return std::move(branch).value();
  }

  // A branch that ran a statement (so BEGIN went out) on its backend, whose
  // pid is returned in `pid`.
  std::unique_ptr<Branch> BegunBranch(Resource& resource, const Xid& xid,
                                      std::string* pid) {
    std::unique_ptr<Branch> branch = MustBegin(resource, xid);
    if (branch == nullptr) return nullptr;
    Result<std::vector<Row>> rows =
        branch->Query("SELECT pg_backend_pid()", {});
    EXPECT_TRUE(IsOk(rows));
    if (rows.ok()) *pid = (*rows)[0][0].value_or("");
    return branch;
  }

  std::string PreparedCount(const Xid& xid) {
    Result<std::vector<Row>> rows = observer_->QueryLocal(
        "SELECT count(*) FROM pg_prepared_xacts WHERE gid = ?",
        {xid.PostgresGid(kResourceName)});
    EXPECT_TRUE(IsOk(rows));
    if (!rows.ok()) return "?";
    return (*rows)[0][0].value_or("NULL");
  }

  // After the thaw, a backend whose client gave up still runs what it had
  // received (maybe a PREPARE TRANSACTION or COMMIT PREPARED), then sees
  // the closed socket and exits. Waits for that, so the clean-up that
  // follows is not overtaken by it.
  void WaitBackendGone(const std::string& pid) {
    ASSERT_FALSE(pid.empty());
    for (int i = 0; i < 400; ++i) {
      Result<std::vector<Row>> rows = observer_->QueryLocal(
          "SELECT count(*) FROM pg_stat_activity WHERE pid = ?::int", {pid});
      ASSERT_TRUE(IsOk(rows));
      if ((*rows)[0][0].value_or("") == "0") return;
      std::this_thread::sleep_for(milliseconds(25));
    }
    FAIL() << "backend " << pid << " is still there 10 s after the thaw";
  }

  // The resource works again: the pool dropped what timed out.
  void ExpectWorks(Resource& resource) {
    std::unique_ptr<Branch> branch = MustBegin(resource, NewXid());
    ASSERT_NE(branch, nullptr);
    EXPECT_TRUE(IsOk(branch->Query("SELECT 1", {})));
    EXPECT_TRUE(IsOk(branch->Prepare()));
    EXPECT_TRUE(IsOk(branch->CommitPrepared()));
    EXPECT_TRUE(IsOk(resource.ListPrepared()));
  }

  std::unique_ptr<Resource> observer_;
  std::vector<Xid> xids_;
};

// The call came back in time, not rescued by the watchdog's thaw.
template <typename T>
void ExpectWithin(const ::xatm::testing::Watched<T>& watched,
                  milliseconds bound, const char* what) {
  ::testing::Test::RecordProperty(std::string(what) + "_ms",
                                  std::to_string(watched.elapsed.count()));
  EXPECT_FALSE(watched.hung)
      << what << " blocked on the frozen server for " << kWatchdog.count()
      << " ms; it returned only after the thaw, " << watched.elapsed.count()
      << " ms after the call";
  EXPECT_LE(watched.elapsed, bound + kSlack)
      << what << " took " << watched.elapsed.count() << " ms";
}

template <typename T>
Status StatusOf(const Result<T>& result) {
  return result.ok() ? Status::Ok() : result.status();
}

TEST_F(PostgresDeadlineTest, ExecuteOnFrozenServerFailsWithinRequestTimeout) {
  std::string pid;
  std::unique_ptr<Resource> resource = MakeResource(&pid);
  std::unique_ptr<Branch> branch = BegunBranch(*resource, NewXid(), &pid);
  ASSERT_NE(branch, nullptr);
  {
    FrozenServer frozen("pg");
    ASSERT_TRUE(frozen.frozen());
    auto watched = WatchCall(frozen, kWatchdog,
                             [&] { return branch->Execute("SELECT 1", {}); });
    ExpectWithin(watched, milliseconds(kRequestTimeoutMs), "Execute");
    ASSERT_FALSE(watched.value.ok());
    EXPECT_EQ(watched.value.status().code(), StatusCode::kUnavailable)
        << watched.value.status().ToString();
    EXPECT_TRUE(
        Contains(watched.value.status().message(), "timed out after 1000 ms"))
        << watched.value.status().message();
    // The connection was dropped: rolling back needs no round trip.
    auto rollback =
        WatchCall(frozen, kWatchdog, [&] { return branch->Rollback(); });
    ExpectWithin(rollback, milliseconds(kRequestTimeoutMs), "Rollback");
    EXPECT_TRUE(IsOk(rollback.value));
  }
  WaitBackendGone(pid);
  ExpectWorks(*resource);
}

TEST_F(PostgresDeadlineTest, PrepareOnFrozenServerIsNoYesVoteWithinBound) {
  std::string pid;
  std::unique_ptr<Resource> resource = MakeResource(&pid);
  const Xid xid = NewXid();
  std::unique_ptr<Branch> branch = BegunBranch(*resource, xid, &pid);
  ASSERT_NE(branch, nullptr);
  {
    FrozenServer frozen("pg");
    ASSERT_TRUE(frozen.frozen());
    auto vote = WatchCall(frozen, kWatchdog, [&] { return branch->Prepare(); });
    ExpectWithin(vote, milliseconds(kRequestTimeoutMs), "Prepare");
    EXPECT_FALSE(vote.value.ok());
    // Not a no vote either: the PREPARE may still happen (outcome unknown).
    EXPECT_NE(vote.value.code(), StatusCode::kAborted) << vote.value.ToString();
    EXPECT_TRUE(Contains(vote.value.message(), "timed out after 1000 ms"))
        << vote.value.message();
  }
  WaitBackendGone(pid);
  EXPECT_TRUE(IsOk(branch->Rollback()));
  ExpectWorks(*resource);
}

TEST_F(PostgresDeadlineTest,
       CommitPreparedOnFrozenServerIsNeitherOkNorNotFoundWithinBound) {
  std::string pid;
  std::unique_ptr<Resource> resource = MakeResource(&pid);
  const Xid xid = NewXid();
  std::unique_ptr<Branch> branch = BegunBranch(*resource, xid, &pid);
  ASSERT_NE(branch, nullptr);
  ASSERT_TRUE(IsOk(branch->Prepare()));
  {
    FrozenServer frozen("pg");
    ASSERT_TRUE(frozen.frozen());
    auto commit =
        WatchCall(frozen, kWatchdog, [&] { return branch->CommitPrepared(); });
    ExpectWithin(commit, milliseconds(kRequestTimeoutMs), "CommitPrepared");
    EXPECT_FALSE(commit.value.ok());
    EXPECT_NE(commit.value.code(), StatusCode::kNotFound)
        << commit.value.ToString();
    EXPECT_TRUE(Contains(commit.value.message(), "timed out after 1000 ms"))
        << commit.value.message();
  }
  WaitBackendGone(pid);
  // Committed by the thawed backend or still prepared: finish it.
  Status again = resource->CommitPrepared(xid);
  EXPECT_TRUE(again.ok() || again.code() == StatusCode::kNotFound)
      << again.ToString();
  ExpectWorks(*resource);
}

TEST_F(PostgresDeadlineTest, CommitOnePhaseOnFrozenServerIsUnknownOutcome) {
  std::string pid;
  std::unique_ptr<Resource> resource = MakeResource(&pid);
  std::unique_ptr<Branch> branch = BegunBranch(*resource, NewXid(), &pid);
  ASSERT_NE(branch, nullptr);
  {
    FrozenServer frozen("pg");
    ASSERT_TRUE(frozen.frozen());
    auto commit =
        WatchCall(frozen, kWatchdog, [&] { return branch->CommitOnePhase(); });
    ExpectWithin(commit, milliseconds(kRequestTimeoutMs), "CommitOnePhase");
    EXPECT_FALSE(commit.value.ok());
    // Neither committed nor rolled back as far as anyone knows.
    EXPECT_NE(commit.value.code(), StatusCode::kAborted)
        << commit.value.ToString();
    EXPECT_EQ(commit.value.code(), StatusCode::kUnknownOutcome)
        << commit.value.ToString();
  }
  WaitBackendGone(pid);
  ExpectWorks(*resource);
}

TEST_F(PostgresDeadlineTest, RecoveryCallsOnFrozenServerAreUnavailable) {
  const Xid prepared = NewXid();
  std::string pid;
  {
    std::unique_ptr<Resource> resource = MakeResource(&pid);
    std::unique_ptr<Branch> branch = BegunBranch(*resource, prepared, &pid);
    ASSERT_NE(branch, nullptr);
    ASSERT_TRUE(IsOk(branch->Prepare()));
  }
  struct Call {
    const char* name;
    std::function<Status(Resource&)> run;
  };
  const std::vector<Call> calls = {
      {"ListPrepared", [](Resource& r) { return StatusOf(r.ListPrepared()); }},
      {"CommitPrepared",
       [&](Resource& r) { return r.CommitPrepared(prepared); }},
      {"RollbackPrepared",
       [&](Resource& r) { return r.RollbackPrepared(prepared); }},
      {"LookupOutcome",
       [&](Resource& r) { return StatusOf(r.LookupOutcome(prepared)); }},
      {"QueryLocal",
       [](Resource& r) { return StatusOf(r.QueryLocal("SELECT 1", {})); }},
      {"ExecuteLocal",
       [](Resource& r) { return r.ExecuteLocal("SELECT 1", {}); }},
  };
  for (const Call& call : calls) {
    SCOPED_TRACE(call.name);
    // Each on a warm connection: the bound must hold for the round trip,
    // not only for connecting.
    std::string warm_pid;
    std::unique_ptr<Resource> resource = MakeResource(&warm_pid);
    {
      FrozenServer frozen("pg");
      ASSERT_TRUE(frozen.frozen());
      auto watched =
          WatchCall(frozen, kWatchdog, [&] { return call.run(*resource); });
      ExpectWithin(watched, milliseconds(kRequestTimeoutMs), call.name);
      EXPECT_EQ(watched.value.code(), StatusCode::kUnavailable)
          << watched.value.ToString();
      EXPECT_TRUE(Contains(watched.value.message(), "timed out after"))
          << watched.value.message();
    }
    WaitBackendGone(warm_pid);
    ExpectWorks(*resource);
  }
}

TEST_F(PostgresDeadlineTest, ConnectToFrozenServerFailsWithinRequestTimeout) {
  // No pooled connection: every call has to connect first. connect_timeout
  // is whole seconds and longer; the request timeout is the tighter bound.
  ResourceConfig config = PostgresTestConfig(kResourceName);
  config.request_timeout_ms = kRequestTimeoutMs;
  config.connect_timeout_s = 30;
  std::unique_ptr<Resource> resource = MakePostgresResource(config);
  {
    FrozenServer frozen("pg");
    ASSERT_TRUE(frozen.frozen());
    auto begin =
        WatchCall(frozen, kWatchdog, [&] { return resource->Begin(NewXid()); });
    ExpectWithin(begin, milliseconds(kRequestTimeoutMs), "Begin");
    ASSERT_FALSE(begin.value.ok());
    EXPECT_EQ(begin.value.status().code(), StatusCode::kUnavailable);
    EXPECT_TRUE(Contains(begin.value.status().message(), "timed out after"))
        << begin.value.status().message();

    auto list =
        WatchCall(frozen, kWatchdog, [&] { return resource->ListPrepared(); });
    ExpectWithin(list, milliseconds(kRequestTimeoutMs), "ListPrepared");
    ASSERT_FALSE(list.value.ok());
    EXPECT_EQ(list.value.status().code(), StatusCode::kUnavailable);
  }
  ExpectWorks(*resource);
}

TEST_F(PostgresDeadlineTest, BranchDeadlineEarlierThanRequestTimeoutWins) {
  // A request timeout far longer than the branch's own deadline.
  std::string pid;
  std::unique_ptr<Resource> resource =
      MakeResource(&pid, /*request_timeout_ms=*/20000);
  std::unique_ptr<Branch> branch = BegunBranch(*resource, NewXid(), &pid);
  ASSERT_NE(branch, nullptr);
  constexpr milliseconds kBranchBudget{500};
  {
    FrozenServer frozen("pg");
    ASSERT_TRUE(frozen.frozen());
    branch->SetDeadline(std::chrono::steady_clock::now() + kBranchBudget);
    auto watched = WatchCall(frozen, kWatchdog,
                             [&] { return branch->Execute("SELECT 1", {}); });
    ExpectWithin(watched, kBranchBudget, "Execute");
    ASSERT_FALSE(watched.value.ok());
    EXPECT_EQ(watched.value.status().code(), StatusCode::kUnavailable)
        << watched.value.status().ToString();
    EXPECT_TRUE(Contains(watched.value.status().message(), "timed out after"))
        << watched.value.status().message();
  }
  WaitBackendGone(pid);
  ExpectWorks(*resource);
}

TEST_F(PostgresDeadlineTest, PrepareAfterTheBranchDeadlineSendsNothing) {
  // The server is up; only the branch's time is over. PREPARE TRANSACTION
  // must not go out: a branch prepared after its transaction gave up would
  // hold its locks until recovery.
  std::string pid;
  std::unique_ptr<Resource> resource = MakeResource(&pid);
  const Xid xid = NewXid();
  std::unique_ptr<Branch> branch = BegunBranch(*resource, xid, &pid);
  ASSERT_NE(branch, nullptr);
  branch->SetDeadline(std::chrono::steady_clock::now() - milliseconds(1));
  const auto start = std::chrono::steady_clock::now();
  Status vote = branch->Prepare();
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(100));
  EXPECT_FALSE(vote.ok());
  EXPECT_TRUE(Contains(vote.message(), "timed out")) << vote.message();
  WaitBackendGone(pid);
  EXPECT_EQ(PreparedCount(xid), "0");
  ExpectWorks(*resource);
}

}  // namespace
}  // namespace xatm
