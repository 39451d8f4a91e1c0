#include "xatm/xid.h"

#include <gtest/gtest.h>

#include <set>

namespace xatm {
namespace {

TEST(XidTest, GtridRoundTrips) {
  Xid xid{"node-1", 1'700'000'123'456, 0x0123456789abcdefULL, ""};
  std::string gtrid = xid.Gtrid();
  EXPECT_EQ(gtrid, "xatm:node-1:1700000123456:0123456789abcdef");
  auto parsed = Xid::ParseGtrid(gtrid);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, xid);
}

TEST(XidTest, PostgresGidRoundTripsWithResource) {
  Xid xid{"n1", 42, 7, "f"};
  auto parsed = ParsePostgresGid(xid.PostgresGid("pg_main"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->xid, xid);
  EXPECT_EQ(parsed->resource, "pg_main");
}

TEST(XidTest, LongestIdsFitEveryDatabaseLimit) {
  Xid xid{std::string(kMaxNodeIdLength, 'n'), 99'999'999'999'999, ~uint64_t{0},
          ""};
  EXPECT_LE(xid.Gtrid().size(), 64u);  // MySQL gtrid limit
  EXPECT_LT(xid.PostgresGid(std::string(kMaxResourceNameLength, 'r')).size(),
            200u);  // PostgreSQL gid limit
  EXPECT_TRUE(Xid::ParseGtrid(xid.Gtrid()).ok());
}

TEST(XidTest, TheDecisionHomeRoundTrips) {
  Xid xid{"n1", 1'700'000'123'456, 0x0123456789abcdefULL, "d0a1b2c3d"};
  EXPECT_EQ(xid.Gtrid(), "xatm:n1:1700000123456:0123456789abcdef:d0a1b2c3d");
  Result<Xid> parsed = Xid::ParseGtrid(xid.Gtrid());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, xid);
  Result<BranchId> gid = ParsePostgresGid(xid.PostgresGid("pg"));
  ASSERT_TRUE(gid.ok()) << gid.status().ToString();
  EXPECT_EQ(gid->xid, xid);
  EXPECT_EQ(gid->resource, "pg");
  // A gtrid from before homes existed has none, and differs from one with.
  Result<Xid> old = Xid::ParseGtrid("xatm:n1:12:0123456789abcdef");
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->home, "");
  EXPECT_NE(*old, (Xid{"n1", 12, 0x0123456789abcdefULL, "f"}));
  XidGenerator gen("n1", "f");
  EXPECT_EQ(gen.Next(5).home, "f");
}

TEST(XidTest, TheLongestGtridWithAHomeFits) {
  Xid xid{std::string(kMaxNodeIdLength, 'n'), 999'999'999'999'999, ~uint64_t{0},
          std::string(kMaxHomeLength, 'd')};
  EXPECT_LE(xid.Gtrid().size(), 64u);
  EXPECT_TRUE(Xid::ParseGtrid(xid.Gtrid()).ok());
}

TEST(XidTest, BadHomesAreRejected) {
  for (const char* s :
       {"xatm:n1:12:0123456789abcdef:", "xatm:n1:12:0123456789abcdef:D1",
        "xatm:n1:12:0123456789abcdef:d1234567890",
        "xatm:n1:12:0123456789abcdef:f:g"}) {
    EXPECT_FALSE(Xid::ParseGtrid(s).ok()) << s;
  }
}

TEST(XidTest, NodeIdsAreValidated) {
  EXPECT_TRUE(ValidateNodeId("n1").ok());
  EXPECT_FALSE(ValidateNodeId("").ok());
  EXPECT_FALSE(ValidateNodeId(std::string(kMaxNodeIdLength + 1, 'n')).ok());
  EXPECT_FALSE(ValidateNodeId("a:b").ok());
  EXPECT_FALSE(ValidateNodeId("a'b").ok());
  EXPECT_FALSE(ValidateResourceName("pg main").ok());
}

TEST(XidTest, ForeignOrDamagedIdsAreRejected) {
  for (const char* s :
       {"", "foreign", "xatm:", "xatm:n1", "xatm:n1:12", "xatm:n1:12:abc",
        "xatm:n1:x2:0123456789abcdef", "xatm:n1:12:0123456789ABCDEF",
        "xatm::12:0123456789abcdef", "XATM:n1:12:0123456789abcdef"}) {
    EXPECT_FALSE(Xid::ParseGtrid(s).ok()) << s;
  }
  EXPECT_FALSE(ParsePostgresGid("xatm:n1:12:0123456789abcdef").ok());
  EXPECT_FALSE(ParsePostgresGid("xatm:n1:12:0123456789abcdef:").ok());
}

TEST(XidGeneratorTest, IdsAreUniqueWithinOneMillisecond) {
  XidGenerator gen("n1");
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    EXPECT_TRUE(seen.insert(gen.Next(1000).Gtrid()).second);
  }
}

TEST(XidGeneratorTest, TwoGeneratorsOfOneNodeDoNotCollide) {
  XidGenerator a("n1"), b("n1");
  EXPECT_NE(a.Next(1000).Gtrid(), b.Next(1000).Gtrid());
}

}  // namespace
}  // namespace xatm
