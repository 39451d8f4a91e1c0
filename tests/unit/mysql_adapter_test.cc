// The MariaDB adapter's pieces that need no server.
#include <cppconn/exception.h>
#include <gtest/gtest.h>

#include "adapters/mysql/my_error.h"
#include "adapters/mysql/sql_script.h"
#include "adapters/mysql/xa_recover.h"
#include "adapters/mysql/xid_literal.h"
#include "tm/xid.h"

namespace xatm::mysql {
namespace {

TEST(XidLiteralTest, QuotesOurIdsWithTheFormatId) {
  Xid xid{"node-1", 1'700'000'000'000, 0xabcdef};
  auto literal = XidLiteral(xid.Gtrid(), "my_db");
  ASSERT_TRUE(literal.ok());
  EXPECT_EQ(*literal, "'xatm:node-1:1700000000000:0000000000abcdef','my_db'," +
                          std::to_string(kMysqlFormatId));
}

TEST(XidLiteralTest, RefusesAnythingThatWouldNeedQuoting) {
  for (const char* bad :
       {"", "a'b", "a\\b", "a b", "a;b", "a\"b", "\xc3\xa9"}) {
    EXPECT_EQ(XidLiteral(bad, "my").status().code(),
              StatusCode::kInvalidArgument)
        << bad;
    EXPECT_EQ(XidLiteral("g", bad).status().code(),
              StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_TRUE(XidLiteral(std::string(64, 'g'), std::string(64, 'b')).ok());
  EXPECT_FALSE(XidLiteral(std::string(65, 'g'), "b").ok());
  EXPECT_FALSE(XidLiteral("g", std::string(65, 'b')).ok());
}

TEST(XidLiteralTest, LongestXatmIdsFit) {
  Xid xid{std::string(kMaxNodeIdLength, 'n'), 99'999'999'999'999, ~uint64_t{0}};
  EXPECT_TRUE(
      XidLiteral(xid.Gtrid(), std::string(kMaxResourceNameLength, 'r')).ok());
}

TEST(SqlScriptTest, FindsTheLastSignificantCharacter) {
  EXPECT_FALSE(AnalyzeScript("").has_statements);
  EXPECT_FALSE(AnalyzeScript("  -- only a comment\n# another\n/* x; */ ;")
                   .has_statements);
  EXPECT_TRUE(AnalyzeScript("DO 1;").ends_with_semicolon);
  EXPECT_TRUE(AnalyzeScript("DO 1; -- done;").ends_with_semicolon);
  EXPECT_TRUE(AnalyzeScript("DO 1; /* x */\n").ends_with_semicolon);
  EXPECT_FALSE(AnalyzeScript("DO 1").ends_with_semicolon);
  EXPECT_FALSE(AnalyzeScript("SELECT ';'").ends_with_semicolon);
  EXPECT_FALSE(AnalyzeScript("SELECT 'it\\';'").ends_with_semicolon);
  EXPECT_FALSE(AnalyzeScript("SELECT 'it'';'").ends_with_semicolon);
  EXPECT_FALSE(AnalyzeScript("SELECT `a;`").ends_with_semicolon);
  // "--" without a following space is two minus signs, not a comment.
  EXPECT_FALSE(AnalyzeScript("SELECT 1--1").ends_with_semicolon);
  EXPECT_TRUE(AnalyzeScript("/*!40101 SET x=1 */").has_statements);
}

TEST(SqlScriptTest, CountsAtLeastOneStatementPerSemicolon) {
  EXPECT_EQ(AnalyzeScript("DO 1").max_statements, 1u);
  EXPECT_EQ(AnalyzeScript("DO 1; DO 2; SELECT ';'").max_statements, 3u);
  EXPECT_EQ(AnalyzeScript("DO 1; -- ;;;\nDO 2;").max_statements, 3u);
}

TEST(SqlScriptTest, SentinelNeverMakesAnEmptyStatement) {
  std::string with_semicolon = WithSentinel("DO 1;", AnalyzeScript("DO 1;"));
  EXPECT_EQ(with_semicolon, "DO 1;\nSELECT 'xatm-end-of-script'");
  std::string without = WithSentinel("DO 1 -- c", AnalyzeScript("DO 1 -- c"));
  EXPECT_EQ(without, "DO 1 -- c\n;SELECT 'xatm-end-of-script'");
}

TEST(XaRecoverTest, SplitsDataByTheLengths) {
  RecoveredXid x;
  EXPECT_FALSE(ParseXaRecoverRow({"2020896049", "6", "2", "gtridbq"}, &x));
  ASSERT_TRUE(ParseXaRecoverRow({"2020896049", "5", "2", "gtridbq"}, &x));
  EXPECT_EQ(x.format_id, 2020896049);
  EXPECT_EQ(x.gtrid, "gtrid");
  EXPECT_EQ(x.bqual, "bq");
  EXPECT_EQ(XidText(x), "'gtrid','bq',2020896049");
  EXPECT_FALSE(ParseXaRecoverRow({"1", "x", "1", "ab"}, &x));
  EXPECT_FALSE(ParseXaRecoverRow({"1", "1", "1", std::nullopt}, &x));
  EXPECT_FALSE(ParseXaRecoverRow({"1", "1"}, &x));
}

TEST(XaRecoverTest, BinaryIdsPrintAsHex) {
  RecoveredXid x;
  ASSERT_TRUE(ParseXaRecoverRow({"12345", "3", "1",
                                 std::string("\x00\xff"
                                             "A"
                                             "\n",
                                             4)},
                                &x));
  EXPECT_EQ(XidText(x), "X'00ff41',X'0a',12345");
  EXPECT_TRUE(ContainsXid({x},
                          std::string("\x00\xff"
                                      "A",
                                      3),
                          "\n"));
  EXPECT_FALSE(ContainsXid({x}, "A", "\n"));
}

TEST(MyErrorTest, KeepsCodeAndSqlStateInTheMessage) {
  sql::SQLException e("XAER_NOTA: Unknown XID", "XAE04", 1397);
  MyStatus s(FromException(e));
  Status status = s.ToStatus("mysql resource 'my': XA COMMIT");
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_EQ(status.message(),
            "mysql resource 'my': XA COMMIT: error 1397 (XAE04) XAER_NOTA: "
            "Unknown XID");
}

TEST(MyErrorTest, MapsErrorsToRetryRules) {
  auto code = [](int n, const char* state) {
    return StatusCodeFor(MyError{n, state, "x"});
  };
  EXPECT_EQ(code(2013, "HY000"), StatusCode::kUnavailable);
  EXPECT_EQ(code(2006, "HY000"), StatusCode::kUnavailable);
  EXPECT_EQ(code(2003, "HY000"), StatusCode::kUnavailable);
  EXPECT_EQ(code(1213, "40001"), StatusCode::kAborted);
  EXPECT_EQ(code(1205, "HY000"), StatusCode::kAborted);
  EXPECT_EQ(code(1614, "XA102"), StatusCode::kAborted);
  EXPECT_EQ(code(1402, "XA100"), StatusCode::kAborted);
  EXPECT_EQ(code(1440, "XAE08"), StatusCode::kAlreadyExists);
  EXPECT_EQ(code(1399, "XAE07"), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(4025, "23000"), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(1045, "28000"), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(1064, "42000"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(1264, "22003"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(errc::kUsage, "07001"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(0, "HY000"), StatusCode::kInternal);
  EXPECT_TRUE(IsConnectionLost(2013));
  EXPECT_TRUE(IsConnectionLost(2055));
  EXPECT_FALSE(IsConnectionLost(1397));
}

}  // namespace
}  // namespace xatm::mysql
