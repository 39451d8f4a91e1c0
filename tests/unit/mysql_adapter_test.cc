// The MariaDB adapter's pieces that need no server.
#include <arpa/inet.h>
#include <cppconn/exception.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "adapters/mysql/my_call_watchdog.h"
#include "adapters/mysql/my_connection.h"
#include "adapters/mysql/my_error.h"
#include "adapters/mysql/my_socket_lookup.h"
#include "adapters/mysql/my_sql_script.h"
#include "adapters/mysql/my_tls_guard.h"
#include "adapters/mysql/my_tls_options.h"
#include "adapters/mysql/my_xa_recover.h"
#include "adapters/mysql/my_xid_literal.h"
#include "tests/unit/thread_switches.h"
#include "xatm/xid.h"

namespace xatm {
namespace {

TEST(XidLiteralTest, QuotesOurIdsWithTheFormatId) {
  Xid xid{"node-1", 1'700'000'000'000, 0xabcdef, ""};
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
  Xid xid{std::string(kMaxNodeIdLength, 'n'), 99'999'999'999'999, ~uint64_t{0},
          std::string(kMaxHomeLength, 'd')};
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
  MyRecoveredXid x;
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
  MyRecoveredXid x;
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
  EXPECT_EQ(code(1452, "23000"), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(1048, "23000"), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(1644, "45000"), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(1062, "23000"), StatusCode::kAlreadyExists);
  EXPECT_EQ(code(1050, "42S01"), StatusCode::kAlreadyExists);
  EXPECT_EQ(code(1146, "42S02"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(1054, "42S22"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(1969, "70100"), StatusCode::kAborted);
  EXPECT_EQ(code(1792, "25006"), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(1142, "42000"), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(1040, "08004"), StatusCode::kUnavailable);
  EXPECT_EQ(code(1045, "28000"), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(1064, "42000"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(1264, "22003"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(my_errc::kUsage, "07001"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(0, "HY000"), StatusCode::kInternal);
  EXPECT_TRUE(IsConnectionLost(2013));
  EXPECT_TRUE(IsConnectionLost(2055));
  EXPECT_FALSE(IsConnectionLost(1397));
}

using Clock = std::chrono::steady_clock;

int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() -
                                                               start)
      .count();
}

TEST(CallWatchdogTest, ShutsDownTheSocketOfACallPastItsDeadline) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  const auto start = Clock::now();
  MyCallTicket ticket(fds[0], start + std::chrono::milliseconds(200));
  char byte;
  // Nobody writes: only the watchdog ends this read (0: end of stream).
  EXPECT_EQ(::read(fds[0], &byte, 1), 0);
  const int64_t took = MsSince(start);
  EXPECT_GE(took, 190);
  EXPECT_LE(took, 1000);
  EXPECT_TRUE(ticket.Disarm());
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(CallWatchdogTest, ACallDoneInTimeKeepsItsSocket) {
  int done[2];
  int late[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, done), 0);
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, late), 0);
  {
    MyCallTicket ticket(done[0], Clock::now() + std::chrono::milliseconds(100));
    EXPECT_FALSE(ticket.Disarm());
  }
  // Another call's deadline passes; the disarmed one never fires.
  MyCallTicket ticket(late[0], Clock::now() + std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(ticket.Disarm());
  char byte = 0;
  ASSERT_EQ(::write(done[1], "x", 1), 1);
  EXPECT_EQ(::read(done[0], &byte, 1), 1);  // still open both ways
  EXPECT_EQ(::read(late[0], &byte, 1), 0);  // shut down
  for (int fd : {done[0], done[1], late[0], late[1]}) ::close(fd);
}

TEST(CallWatchdogTest, CallsOneAfterAnotherDoNotWakeTheWatchdog) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  {  // the watchdog thread exists before counting starts
    MyCallTicket warm(fds[0], Clock::now() + std::chrono::seconds(60));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const long before = testing::OtherThreadsSwitches();
  // A client's calls, each armed with a later deadline than the last: the
  // watchdog already wakes early enough for all of them.
  constexpr int kCalls = 200;
  for (int i = 0; i < kCalls; ++i) {
    MyCallTicket ticket(fds[0], Clock::now() + std::chrono::seconds(60));
    std::this_thread::sleep_for(std::chrono::microseconds(200));  // the call
    EXPECT_FALSE(ticket.Disarm());
  }
  const long woken = testing::OtherThreadsSwitches() - before;
  EXPECT_LT(woken, kCalls / 10)
      << "the watchdog woke " << woken << " times for " << kCalls << " calls";
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(CallWatchdogTest, UnknownSocketIsNotWatched) {
  MyCallTicket ticket(-1, Clock::now());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(ticket.Disarm());
}

TEST(SocketLookupTest, FindsAConnectionByItsPorts) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)),
            0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const int server_port = ntohs(addr.sin_port);
  int client = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)),
            0);
  sockaddr_in local{};
  len = sizeof(local);
  ::getsockname(client, reinterpret_cast<sockaddr*>(&local), &len);
  const int client_port = ntohs(local.sin_port);
  int accepted = ::accept(listener, nullptr, nullptr);

  EXPECT_EQ(FindTcpSocket(client_port, server_port), client);
  // The server side has the ports the other way round.
  EXPECT_EQ(FindTcpSocket(server_port, client_port), accepted);
  EXPECT_EQ(FindTcpSocket(client_port, server_port + 1), -1);
  EXPECT_EQ(FindTcpSocket(-1, server_port), -1);
  ::close(accepted);
  ::close(client);
  ::close(listener);
}

TEST(RowWritesTest, ParsesTheServersCount) {
  EXPECT_EQ(ParseRowWrites({{"42"}}), std::optional<int64_t>(42));
  EXPECT_EQ(ParseRowWrites({{std::nullopt}}), std::nullopt);
  EXPECT_EQ(ParseRowWrites({{"4x"}}), std::nullopt);
  EXPECT_EQ(ParseRowWrites({}), std::nullopt);
  EXPECT_EQ(ParseRowWrites({{"1"}, {"2"}}), std::nullopt);
}

TEST(MyErrorTest, ATimeoutIsALostConnectionAndUnavailable) {
  MyStatus s(MyError{my_errc::kTimedOut, "HYT00", "timed out after 5 ms"});
  EXPECT_TRUE(s.timed_out());
  EXPECT_TRUE(s.connection_lost());
  Status status = s.ToStatus("mysql resource 'my': query");
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(status.message(),
            "mysql resource 'my': query: timed out after 5 ms");
}

// The driver options of each ssl_mode (what the driver enforces by itself
// is measured in tests/integration/tls_test.cc).
std::string StringOption(const sql::ConnectOptionsMap& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end()) return "<unset>";
  return it->second.get<sql::SQLString>()->asStdString();
}
bool BoolOption(const sql::ConnectOptionsMap& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && *it->second.get<bool>();
}

TEST(TlsOptionsTest, DisabledSetsNothing) {
  ResourceConfig config;
  sql::ConnectOptionsMap o;
  AddTlsOptions(config, &o);
  EXPECT_TRUE(o.empty());
}

TEST(TlsOptionsTest, EachModeAsksForTlsAndOnlyVerifyIdentityForTheHost) {
  ResourceConfig config;
  config.ssl_ca = "/pki/ca.pem";
  config.ssl_cert = "/pki/c.pem";
  config.ssl_key = "/pki/c.key";
  for (SslMode mode :
       {SslMode::kRequired, SslMode::kVerifyCa, SslMode::kVerifyIdentity}) {
    config.ssl_mode = mode;
    sql::ConnectOptionsMap o;
    AddTlsOptions(config, &o);
    EXPECT_TRUE(BoolOption(o, "sslEnforce")) << SslModeName(mode);
    // The guard logs in; the password waits for an encrypted session.
    EXPECT_EQ(StringOption(o, "defaultAuth"), kTlsGuardPlugin);
    EXPECT_EQ(StringOption(o, "password"), "");
    EXPECT_EQ(BoolOption(o, "sslVerify"), mode == SslMode::kVerifyIdentity);
    EXPECT_EQ(StringOption(o, "sslCA"), "/pki/ca.pem");
    EXPECT_EQ(StringOption(o, "sslCert"), "/pki/c.pem");
    EXPECT_EQ(StringOption(o, "sslKey"), "/pki/c.key");
    // Accepted and ignored by the driver: never relied upon.
    EXPECT_EQ(o.count("OPT_SSL_MODE"), 0u);
  }
}

TEST(TlsOptionsTest, PlaintextSessionIsRefusedNamingTheMode) {
  ResourceConfig config;
  config.host = "db1";
  config.port = 3307;
  config.ssl_mode = SslMode::kRequired;
  EXPECT_TRUE(CheckEncrypted(config, "TLS_AES_256_GCM_SHA384").ok());
  MyStatus s = CheckEncrypted(config, "");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, my_errc::kCrSslConnectionError);
  EXPECT_EQ(s.error().text,
            "ssl_mode required: the session to db1:3307 is not encrypted on "
            "this side (the server offered no TLS with plugin "
            "authentication); refused");
}

TEST(TlsOptionsTest, ConnectErrorsNameTheFilesNotTheirContents) {
  ResourceConfig config;
  EXPECT_EQ(WithTlsContext(config, "x"), "x");
  config.ssl_mode = SslMode::kVerifyCa;
  config.ssl_ca = "/pki/ca.pem";
  EXPECT_EQ(WithTlsContext(config, "TLS/SSL error: No such file"),
            "TLS/SSL error: No such file (ssl_mode verify_ca, ssl_ca "
            "/pki/ca.pem)");
}

}  // namespace
}  // namespace xatm
