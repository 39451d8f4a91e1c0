// TLS to both databases, against a pair of servers with TLS on that this
// test starts itself (scripts/db.sh start DIR --tls: a throwaway CA, the
// servers' certificate for localhost and 127.0.0.1, a second CA that signed
// nothing) and the plain test servers of the environment (no TLS).
//
// MariaDB: each ssl_mode connects with the right CA and is refused with the
// wrong one or by a server without TLS, whether the driver or the adapter
// enforces it (adapters/mysql/my_tls_options.h). PostgreSQL: libpq's sslmode
// in conninfo, nothing of ours. Both refuse a relay that hides the server's
// TLS (tls_strip_relay.h) before logging in. Then a transfer with both
// resources on TLS.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "adapters/mysql/my_tls_options.h"
#include "tests/integration/test_env.h"
#include "tests/integration/tls_strip_relay.h"
#include "tests/unit/run_process.h"
#include "xatm/resource_factory.h"

#if !defined(XATM_BINARY) || !defined(XATM_DB_SCRIPT)
#error "XATM_BINARY and XATM_DB_SCRIPT must be defined"
#endif

namespace xatm {
namespace {

using ::xatm::testing::ProcessResult;
using ::xatm::testing::ReadEnvFile;
using ::xatm::testing::RequireEnv;
using ::xatm::testing::RunProcess;
using ::xatm::testing::TlsStripRelay;

constexpr std::chrono::seconds kRelayWait{10};

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    // initdb runs as the postgres user, which must reach the directory.
    ASSERT_EQ(::chmod(dir_->path().c_str(), 0755), 0);
    ProcessResult start =
        RunProcess({"/bin/bash", XATM_DB_SCRIPT, "start", DbDir(), "--tls"});
    ASSERT_EQ(start.exit_code, 0) << start.out << start.err;
    env_ = new std::map<std::string, std::string>(
        ReadEnvFile(DbDir() + "/env.sh"));
  }

  static void TearDownTestSuite() {
    ProcessResult stop =
        RunProcess({"/bin/bash", XATM_DB_SCRIPT, "stop", DbDir()});
    EXPECT_EQ(stop.exit_code, 0) << stop.out << stop.err;
    delete env_;
    delete dir_;  // removes the servers' files
  }

  static std::string DbDir() { return dir_->path() + "/db"; }
  static std::string Tls(const std::string& file) {
    return DbDir() + "/tls/" + file;
  }
  static const std::string& Env(const std::string& name) {
    return env_->at(name);
  }

  // The MariaDB resource of the TLS pair.
  static ResourceConfig TlsMysql(SslMode mode, const std::string& ca) {
    ResourceConfig config;
    config.name = "my";
    config.type = "mysql";
    config.host = "127.0.0.1";
    config.port = std::atoi(Env("XATM_MY_PORT").c_str());
    config.user = "xatm";
    config.database = "bank_test";
    config.password = Env("XATM_MY_PASSWORD");
    config.ssl_mode = mode;
    config.ssl_ca = ca;
    config.request_timeout_ms = 5000;
    return config;
  }

  // The PostgreSQL resource of the TLS pair with `tls` in its conninfo.
  static ResourceConfig TlsPostgres(const std::string& tls,
                                    const std::string& host = "127.0.0.1") {
    ResourceConfig config;
    config.name = "pg";
    config.type = "postgresql";
    config.conninfo = "host=" + host + " port=" + Env("XATM_PG_PORT") +
                      " dbname=bank_test user=xatm " + tls;
    config.request_timeout_ms = 5000;
    return config;
  }

  // The session's cipher (MariaDB) or "true"/"false" (PostgreSQL), after
  // connecting with `config`; the error when the connect fails.
  static Result<std::string> SessionTls(const ResourceConfig& config) {
    Result<std::shared_ptr<Resource>> r = MakeResource(config);
    if (!r.ok()) return r.status();
    const char* sql =
        config.type == "mysql"
            ? "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS "
              "WHERE VARIABLE_NAME = 'SSL_CIPHER'"
            : "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
    Result<std::vector<Row>> rows = (*r)->QueryLocal(sql, {});
    if (!rows.ok()) return rows.status();
    if (rows->size() != 1 || (*rows)[0].size() != 1 || !(*rows)[0][0]) {
      return Status::Internal("unexpected answer");
    }
    return *(*rows)[0][0];
  }

  static void ExpectEncrypted(const ResourceConfig& config) {
    Result<std::string> tls = SessionTls(config);
    ASSERT_TRUE(tls.ok()) << tls.status().ToString();
    if (config.type == "mysql") {
      EXPECT_NE(*tls, "") << "plaintext session";
    } else {
      EXPECT_EQ(*tls, "true");
    }
  }

  static std::string RefusalOf(const ResourceConfig& config) {
    Result<std::string> tls = SessionTls(config);
    EXPECT_FALSE(tls.ok()) << "connected, session TLS: "
                           << (tls.ok() ? *tls : "");
    return tls.ok() ? "" : tls.status().ToString();
  }

  static testing::TempDir* dir_;
  static std::map<std::string, std::string>* env_;
};

testing::TempDir* TlsTest::dir_ = nullptr;
std::map<std::string, std::string>* TlsTest::env_ = nullptr;

TEST_F(TlsTest, MysqlDisabledStaysPlaintext) {
  Result<std::string> tls = SessionTls(TlsMysql(SslMode::kDisabled, ""));
  ASSERT_TRUE(tls.ok()) << tls.status().ToString();
  EXPECT_EQ(*tls, "");
}

TEST_F(TlsTest, MysqlEveryModeConnectsEncryptedWithTheRightCa) {
  ExpectEncrypted(TlsMysql(SslMode::kRequired, ""));
  ExpectEncrypted(TlsMysql(SslMode::kVerifyCa, Tls("ca.pem")));
  ExpectEncrypted(TlsMysql(SslMode::kVerifyIdentity, Tls("ca.pem")));
  ResourceConfig by_name = TlsMysql(SslMode::kVerifyIdentity, Tls("ca.pem"));
  by_name.host = "localhost";  // the certificate's DNS name
  ExpectEncrypted(by_name);
}

TEST_F(TlsTest, MysqlWrongCaIsRefused) {
  for (SslMode mode : {SslMode::kVerifyCa, SslMode::kVerifyIdentity}) {
    std::string why = RefusalOf(TlsMysql(mode, Tls("wrong-ca.pem")));
    EXPECT_NE(why.find("error 2026"), std::string::npos) << why;
    // The file is named; the password never shows.
    EXPECT_NE(why.find("ssl_ca " + Tls("wrong-ca.pem")), std::string::npos)
        << why;
    EXPECT_EQ(why.find(Env("XATM_MY_PASSWORD")), std::string::npos);
  }
}

TEST_F(TlsTest, MysqlVerifyIdentityChecksTheHostNameAndVerifyCaDoesNot) {
  // 127.1 is 127.0.0.1, but not a name the certificate carries.
  ResourceConfig config = TlsMysql(SslMode::kVerifyIdentity, Tls("ca.pem"));
  config.host = "127.1";
  std::string why = RefusalOf(config);
  EXPECT_NE(why.find("error 2026"), std::string::npos) << why;
  config.ssl_mode = SslMode::kVerifyCa;
  ExpectEncrypted(config);
}

TEST_F(TlsTest, MysqlEveryTlsModeRefusesAServerWithoutTls) {
  // The plain test servers: refused from their greeting, in every mode.
  ResourceConfig plain = testing::MysqlTestConfig("my");
  plain.request_timeout_ms = 5000;
  for (SslMode mode :
       {SslMode::kRequired, SslMode::kVerifyCa, SslMode::kVerifyIdentity}) {
    plain.ssl_mode = mode;
    plain.ssl_ca = mode == SslMode::kRequired ? "" : Tls("ca.pem");
    std::string why = RefusalOf(plain);
    EXPECT_NE(why.find("error 2026"), std::string::npos) << why;
    EXPECT_NE(why.find("offers no TLS"), std::string::npos) << why;
  }
  // The default is unchanged.
  plain.ssl_mode = SslMode::kDisabled;
  plain.ssl_ca.clear();
  Result<std::string> tls = SessionTls(plain);
  ASSERT_TRUE(tls.ok()) << tls.status().ToString();
  EXPECT_EQ(*tls, "");
}

// A relay that hides the server's TLS from the client and speaks TLS to the
// server itself (tls_strip_relay.h). Asking the server whether the session
// is encrypted cannot tell: the server sees TLS.
TEST_F(TlsTest, MysqlStrippingRelayFoolsAPlaintextClientAndTheServer) {
  TlsStripRelay relay({TlsStripRelay::Protocol::kMysql,
                       std::atoi(Env("XATM_MY_PORT").c_str())});
  ResourceConfig config = TlsMysql(SslMode::kDisabled, "");
  config.port = relay.port();
  Result<std::string> tls = SessionTls(config);
  ASSERT_TRUE(tls.ok()) << tls.status().ToString() << relay.last_error();
  EXPECT_NE(*tls, "") << "the server's side of the relay is encrypted";
  EXPECT_EQ(relay.seen().logins, 1);
}

TEST_F(TlsTest, MysqlEveryTlsModeRefusesAStrippingRelayBeforeLoggingIn) {
  for (SslMode mode :
       {SslMode::kRequired, SslMode::kVerifyCa, SslMode::kVerifyIdentity}) {
    SCOPED_TRACE(SslModeName(mode));
    TlsStripRelay relay({TlsStripRelay::Protocol::kMysql,
                         std::atoi(Env("XATM_MY_PORT").c_str())});
    ResourceConfig config =
        TlsMysql(mode, mode == SslMode::kRequired ? "" : Tls("ca.pem"));
    config.port = relay.port();
    std::string why = RefusalOf(config);
    EXPECT_NE(why.find("error 2026"), std::string::npos) << why;
    EXPECT_NE(why.find("the server at 127.0.0.1:" +
                       std::to_string(relay.port()) + " offers no TLS"),
              std::string::npos)
        << why;
    EXPECT_NE(why.find(std::string("ssl_mode ") + SslModeName(mode)),
              std::string::npos)
        << why;
    EXPECT_EQ(why.find(Env("XATM_MY_PASSWORD")), std::string::npos);
    ASSERT_TRUE(relay.WaitForClients(1, kRelayWait));
    EXPECT_EQ(relay.seen().logins, 0) << "the relay got the handshake response";
  }
}

// Without plugin authentication in the greeting the client library answers
// it at once: no TLS check of ours runs first. The password is withheld
// until the session is encrypted, so the answer carries nothing of it.
TEST_F(TlsTest, MysqlRelayHidingPluginAuthenticationGetsNoPassword) {
  for (SslMode mode :
       {SslMode::kRequired, SslMode::kVerifyCa, SslMode::kVerifyIdentity}) {
    SCOPED_TRACE(SslModeName(mode));
    TlsStripRelay::Options options{TlsStripRelay::Protocol::kMysql,
                                   std::atoi(Env("XATM_MY_PORT").c_str())};
    options.strip_plugin_auth = true;
    TlsStripRelay relay(options);
    ResourceConfig config =
        TlsMysql(mode, mode == SslMode::kRequired ? "" : Tls("ca.pem"));
    config.port = relay.port();
    std::string why = RefusalOf(config);
    ASSERT_TRUE(relay.WaitForClients(1, kRelayWait));
    // At most the user name with an empty auth answer (-1: no answer).
    EXPECT_LE(relay.seen().auth_data_length, 0) << why;
  }
}

// Past a greeting without plugin authentication the client library logs in
// without the guard, and Connector/C++ sends its own set-up commands. A
// relay that accepts that login itself gets the user name, nothing of the
// password, and the connect is refused as never encrypted.
TEST_F(TlsTest, MysqlForgedLoginWithoutTheGuardIsRefused) {
  for (SslMode mode : {SslMode::kRequired, SslMode::kVerifyCa}) {
    SCOPED_TRACE(SslModeName(mode));
    TlsStripRelay::Options options{TlsStripRelay::Protocol::kMysql,
                                   std::atoi(Env("XATM_MY_PORT").c_str())};
    options.strip_plugin_auth = true;
    options.forge_login = true;
    TlsStripRelay relay(options);
    ResourceConfig config =
        TlsMysql(mode, mode == SslMode::kRequired ? "" : Tls("ca.pem"));
    config.port = relay.port();
    std::string why = RefusalOf(config);
    EXPECT_NE(why.find("the session was never encrypted (ssl_mode " +
                       std::string(SslModeName(mode))),
              std::string::npos)
        << why;
    ASSERT_TRUE(relay.WaitForClients(1, kRelayWait));
    EXPECT_EQ(relay.seen().logins, 1);
    EXPECT_EQ(relay.seen().auth_data_length, 0);
  }
}

// Connects run on many threads; each has its own guard state.
TEST_F(TlsTest, MysqlConcurrentConnectsEachGetTheirOwnVerdict) {
  TlsStripRelay relay({TlsStripRelay::Protocol::kMysql,
                       std::atoi(Env("XATM_MY_PORT").c_str())});
  ResourceConfig real = TlsMysql(SslMode::kVerifyIdentity, Tls("ca.pem"));
  ResourceConfig stripped = real;
  stripped.port = relay.port();
  constexpr int kThreads = 4;
  constexpr int kRounds = 3;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      for (int round = 0; round < kRounds; ++round) {
        ExpectEncrypted(real);
        std::string why = RefusalOf(stripped);
        EXPECT_NE(why.find("offers no TLS"), std::string::npos) << why;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(relay.WaitForClients(kThreads * kRounds, kRelayWait));
  EXPECT_EQ(relay.seen().logins, 0);
}

TEST_F(TlsTest, PostgresEveryTlsModeRefusesARelayWithoutTlsBeforeStartup) {
  for (const std::string& tls :
       {std::string("sslmode=require"),
        "sslmode=verify-ca sslrootcert=" + Tls("ca.pem"),
        "sslmode=verify-full sslrootcert=" + Tls("ca.pem")}) {
    SCOPED_TRACE(tls);
    TlsStripRelay relay({TlsStripRelay::Protocol::kPostgres, 0});
    ResourceConfig config = TlsPostgres(tls);
    config.conninfo = "host=127.0.0.1 port=" + std::to_string(relay.port()) +
                      " dbname=bank_test user=xatm " + tls;
    std::string why = RefusalOf(config);
    EXPECT_NE(why.find("does not support SSL"), std::string::npos) << why;
    ASSERT_TRUE(relay.WaitForClients(1, kRelayWait));
    EXPECT_EQ(relay.seen().logins, 0) << "the relay got the startup packet";
  }
}

TEST_F(TlsTest, MysqlClientCertificateIsPresented) {
  // xatm_x509 must present a certificate signed by the CA.
  ResourceConfig config = TlsMysql(SslMode::kVerifyIdentity, Tls("ca.pem"));
  config.user = "xatm_x509";
  std::string why = RefusalOf(config);
  EXPECT_NE(why.find("error 1045"), std::string::npos) << why;
  config.ssl_cert = Tls("client.pem");
  config.ssl_key = Tls("client-key.pem");
  ExpectEncrypted(config);
}

TEST_F(TlsTest, PostgresVerifyFullAndVerifyCaWithTheRightCa) {
  ExpectEncrypted(
      TlsPostgres("sslmode=verify-full sslrootcert=" + Tls("ca.pem")));
  ExpectEncrypted(TlsPostgres(
      "sslmode=verify-full sslrootcert=" + Tls("ca.pem"), "localhost"));
  // libpq checks `host` and connects to `hostaddr`: a name the certificate
  // does not carry passes verify-ca and fails verify-full.
  const std::string other_name =
      "xatm-not-in-the-certificate hostaddr=127.0.0.1";
  ExpectEncrypted(TlsPostgres("sslmode=verify-ca sslrootcert=" + Tls("ca.pem"),
                              other_name));
  std::string why = RefusalOf(TlsPostgres(
      "sslmode=verify-full sslrootcert=" + Tls("ca.pem"), other_name));
  EXPECT_NE(why.find("does not match host name"), std::string::npos) << why;
}

TEST_F(TlsTest, PostgresWrongCaIsRefused) {
  for (const char* mode : {"verify-ca", "verify-full"}) {
    std::string why =
        RefusalOf(TlsPostgres(std::string("sslmode=") + mode +
                              " sslrootcert=" + Tls("wrong-ca.pem")));
    EXPECT_NE(why.find("certificate verify failed"), std::string::npos) << why;
  }
}

TEST_F(TlsTest, PostgresRequireRefusesAServerWithoutTls) {
  ResourceConfig plain = testing::PostgresTestConfig("pg");
  plain.conninfo += " sslmode=require";
  std::string why = RefusalOf(plain);
  EXPECT_NE(why.find("does not support SSL"), std::string::npos) << why;
}

// The xatm binary with both resources on TLS, verified to the host name:
// init, accounts, transfers both ways. The same with the wrong CA fails.
TEST_F(TlsTest, TransferWithBothResourcesOnTls) {
  testing::TempDir dir;
  auto config_text = [&](const std::string& ca) {
    return "node = tls\nlog_dir = log\n\n[resource.pg]\ntype = postgresql\n"
           "conninfo = host=127.0.0.1 port=" +
           Env("XATM_PG_PORT") +
           " dbname=bank_test user=xatm sslmode=verify-full sslrootcert=" + ca +
           "\n\n[resource.my]\ntype = mysql\nhost = 127.0.0.1\nport = " +
           Env("XATM_MY_PORT") +
           "\nuser = xatm\ndatabase = bank_test\n"
           "password_env = XATM_TLS_TEST_PASSWORD\n"
           "ssl_mode = verify_identity\nssl_ca = " +
           ca + "\n";
  };
  const std::string config = dir.path() + "/xatm.ini";
  const std::string wrong = dir.path() + "/wrong.ini";
  testing::WriteFile(config, config_text(Tls("ca.pem")));
  testing::WriteFile(wrong, config_text(Tls("wrong-ca.pem")));
  auto xatm = [&](const std::string& file, std::vector<std::string> args) {
    args.insert(args.begin(), {XATM_BINARY, "--config", file});
    testing::ProcessOptions options;
    options.env["XATM_TLS_TEST_PASSWORD"] = Env("XATM_MY_PASSWORD");
    return RunProcess(args, options);
  };
  ProcessResult init = xatm(config, {"init"});
  ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
  ASSERT_EQ(
      xatm(config, {"create-account", "pg:a", "--balance", "100"}).exit_code,
      0);
  ASSERT_EQ(
      xatm(config, {"create-account", "my:b", "--balance", "50"}).exit_code, 0);
  for (auto [from, to] :
       {std::pair{"pg:a", "my:b"}, std::pair{"my:b", "pg:a"}}) {
    ProcessResult t = xatm(
        config, {"transfer", "--from", from, "--to", to, "--amount", "7.25"});
    EXPECT_EQ(t.exit_code, 0) << t.out << t.err;
    EXPECT_NE(t.out.find(" committed\n"), std::string::npos) << t.out;
  }
  ProcessResult t = xatm(
      config, {"transfer", "--from", "pg:a", "--to", "my:b", "--amount", "1"});
  EXPECT_EQ(t.exit_code, 0) << t.out << t.err;
  ProcessResult balance = xatm(config, {"balance", "pg:a", "my:b"});
  EXPECT_EQ(balance.exit_code, 0) << balance.err;
  EXPECT_EQ(balance.out, "pg:a 99.00\nmy:b 51.00\ntotal 150.00\n");

  ProcessResult refused = xatm(
      wrong, {"transfer", "--from", "pg:a", "--to", "my:b", "--amount", "1"});
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  EXPECT_EQ(xatm(config, {"balance", "pg:a", "my:b"}).out, balance.out);
  ProcessResult in_doubt = xatm(config, {"in-doubt"});
  EXPECT_EQ(in_doubt.exit_code, 0) << in_doubt.out << in_doubt.err;
}

}  // namespace
}  // namespace xatm
