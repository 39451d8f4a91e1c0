#include "xatm/xid.h"

#include <gtest/gtest.h>

#include <set>

namespace xatm {
namespace {

TEST(XidTest, GtridRoundTrips) {
  Xid xid{"node-1", 1'700'000'123'456, 0x0123456789abcdefULL};
  std::string gtrid = xid.Gtrid();
  EXPECT_EQ(gtrid, "xatm:node-1:1700000123456:0123456789abcdef");
  auto parsed = Xid::ParseGtrid(gtrid);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, xid);
}

TEST(XidTest, PostgresGidRoundTripsWithResource) {
  Xid xid{"n1", 42, 7};
  auto parsed = ParsePostgresGid(xid.PostgresGid("pg_main"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->xid, xid);
  EXPECT_EQ(parsed->resource, "pg_main");
}

TEST(XidTest, LongestIdsFitEveryDatabaseLimit) {
  Xid xid{std::string(kMaxNodeIdLength, 'n'), 99'999'999'999'999,
          ~uint64_t{0}};
  EXPECT_LE(xid.Gtrid().size(), 64u);  // MySQL gtrid limit
  EXPECT_LT(xid.PostgresGid(std::string(kMaxResourceNameLength, 'r')).size(),
            200u);  // PostgreSQL gid limit
  EXPECT_TRUE(Xid::ParseGtrid(xid.Gtrid()).ok());
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
  for (const char* s : {"", "foreign", "xatm:", "xatm:n1", "xatm:n1:12",
                        "xatm:n1:12:abc", "xatm:n1:x2:0123456789abcdef",
                        "xatm:n1:12:0123456789ABCDEF", "xatm::12:0123456789abcdef",
                        "XATM:n1:12:0123456789abcdef"}) {
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
