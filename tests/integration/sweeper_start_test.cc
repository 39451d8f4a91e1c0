// BackgroundSweeper::Start() refuses, naming what is wrong, a resource
// that refuses the credentials or that nobody answers on, and a decision
// deadline that does not fit the grace period: an application learns it at
// start-up, not from a sweep that quietly skips the resource.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/integration/test_env.h"
#include "xatm/background_sweeper.h"
#include "xatm/memory_decision_log.h"
#include "xatm/resource_factory.h"

namespace xatm {
namespace {

constexpr char kWrongPassword[] = "not-the-password-4711";

// A local port nobody listens on: bound, then closed again.
int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(fd);
  return ntohs(addr.sin_port);
}

std::shared_ptr<Resource> Make(const ResourceConfig& config) {
  Result<std::shared_ptr<Resource>> r = MakeResource(config);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : nullptr;
}

std::unique_ptr<TransactionManager> Manager(
    std::vector<std::shared_ptr<Resource>> resources,
    int64_t decision_deadline_ms = 5000) {
  TransactionManagerOptions options;
  options.node_id = "start" + testing::RandomHex(6);
  options.decision_deadline_ms = decision_deadline_ms;
  auto tm = TransactionManager::Create(options, std::move(resources),
                                       std::make_unique<MemoryDecisionLog>());
  EXPECT_TRUE(tm.ok()) << tm.status().ToString();
  return tm.ok() ? std::move(tm).value() : nullptr;
}

// Start()'s answer for a manager over `bad` (and a good resource of the
// other type).
Status StartWith(std::shared_ptr<Resource> bad,
                 std::shared_ptr<Resource> good) {
  auto tm = Manager({std::move(good), std::move(bad)});
  if (tm == nullptr) return Status::Internal("no manager");
  SweeperOptions options;
  BackgroundSweeper sweeper(tm.get(), options, 60000);
  return sweeper.Start().status();
}

TEST(SweeperStartTest, ReachableResourcesStart) {
  auto tm = Manager({Make(testing::PostgresTestConfig("pg")),
                     Make(testing::MysqlTestConfig("my"))});
  ASSERT_NE(tm, nullptr);
  BackgroundSweeper sweeper(tm.get(), SweeperOptions{}, 60000);
  Result<SweepResult> started = sweeper.Start();
  EXPECT_TRUE(started.ok()) << started.status().ToString();
}

TEST(SweeperStartTest, AWrongMariadbPasswordIsReportedWithoutThePassword) {
  ResourceConfig my = testing::MysqlTestConfig("bad_my");
  my.password = kWrongPassword;
  const Status s = StartWith(Make(my), Make(testing::PostgresTestConfig("pg")));
  ASSERT_FALSE(s.ok()) << "Start() answered OK with a wrong password";
  EXPECT_NE(s.message().find("bad_my"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("1045"), std::string::npos) << s.ToString();
  EXPECT_EQ(s.message().find(kWrongPassword), std::string::npos)
      << s.ToString();
}

TEST(SweeperStartTest, AnUnknownPostgresqlUserIsReported) {
  ResourceConfig pg = testing::PostgresTestConfig("bad_pg");
  pg.conninfo += " user=xatm_no_such_role";
  const Status s = StartWith(Make(pg), Make(testing::MysqlTestConfig("my")));
  ASSERT_FALSE(s.ok()) << "Start() answered OK with credentials refused";
  EXPECT_NE(s.message().find("bad_pg"), std::string::npos) << s.ToString();
}

TEST(SweeperStartTest, ServersNobodyAnswersOnAreUnavailableAndNamed) {
  ResourceConfig pg = testing::PostgresTestConfig("down_pg");
  pg.conninfo += " port=" + std::to_string(ClosedPort());
  pg.connect_timeout_s = 2;
  ResourceConfig my = testing::MysqlTestConfig("down_my");
  my.port = ClosedPort();
  my.connect_timeout_s = 2;
  auto tm = Manager({Make(pg), Make(my)});
  ASSERT_NE(tm, nullptr);
  BackgroundSweeper sweeper(tm.get(), SweeperOptions{}, 60000);
  const Status s = sweeper.Start().status();
  ASSERT_FALSE(s.ok()) << "Start() answered OK with both servers down";
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("down_pg"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("down_my"), std::string::npos) << s.ToString();
}

TEST(SweeperStartTest, ADecisionDeadlineAboveHalfTheGracePeriodIsRefused) {
  auto tm = Manager({Make(testing::PostgresTestConfig("pg"))},
                    /*decision_deadline_ms=*/8000);
  ASSERT_NE(tm, nullptr);
  SweeperOptions options;
  options.grace_period_ms = 10000;
  BackgroundSweeper sweeper(tm.get(), options, 60000);
  const Status s = sweeper.Start().status();
  ASSERT_FALSE(s.ok()) << "Start() answered OK with deadline 8 s, grace 10 s";
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("decision_deadline_ms = 8000"), std::string::npos)
      << s.ToString();
  EXPECT_NE(s.message().find("grace_period_ms = 10000"), std::string::npos)
      << s.ToString();
}

}  // namespace
}  // namespace xatm
