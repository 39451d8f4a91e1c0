// The configuration file: what it accepts, and one clear line for each
// mistake, never showing a password.
#include "xatm/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <sstream>

#include "tests/unit/run_process.h"

namespace xatm {
namespace {

constexpr char kPath[] = "/etc/xatm/bank.ini";
constexpr char kSecret[] = "hunter2-Zq9";

const char kGood[] = R"(# the bank
node = n1
log_dir = /var/lib/xatm/log
grace_period = 20
sweep_interval = 2.5
log_lock_wait = 0.5
takeover_after = 12.5
heartbeat_interval = 2

[resource.pg]
type = postgresql
conninfo = host=127.0.0.1 port=5432 dbname=bank user=xatm
pool_size = 4

[resource.my]
type = mysql
host = db.local
port = 3307
user = xatm
database = bank
password_env = XATM_CONFIG_TEST_PASSWORD
connect_timeout = 3
lock_timeout_ms = 1500
request_timeout_ms = 2500
idle_session_timeout = 30
)";

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("XATM_CONFIG_TEST_PASSWORD", kSecret, 1);
    unsetenv("XATM_CONFIG_TEST_UNSET");
  }
  void TearDown() override { unsetenv("XATM_CONFIG_TEST_PASSWORD"); }

  static Result<Config> Parse(const std::string& text) {
    std::istringstream in(text);
    return ParseConfig(in, kPath);
  }

  // The one-line error `text` gets; checks its form and that no secret
  // leaked into it.
  static std::string Error(const std::string& text) {
    Result<Config> c = Parse(text);
    EXPECT_FALSE(c.ok()) << "accepted:\n" << text;
    if (c.ok()) return "";
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
    const std::string& m = c.status().message();
    EXPECT_EQ(m.rfind(std::string("config ") + kPath + ": ", 0), 0u) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    EXPECT_EQ(m.find(kSecret), std::string::npos) << m;
    return m;
  }

  static std::string Minimal(const std::string& resource_section) {
    return "node = n1\nlog_dir = /tmp/log\n" + resource_section;
  }
};

TEST_F(ConfigTest, GoodFileGivesEverySetting) {
  Result<Config> c = Parse(kGood);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->node, "n1");
  EXPECT_EQ(c->log_dir, "/var/lib/xatm/log");
  EXPECT_EQ(c->grace_period_ms, 20000);
  EXPECT_EQ(c->sweep_interval_ms, 2500);
  EXPECT_EQ(c->log_lock_wait_ms, 500);
  EXPECT_EQ(c->takeover_after_ms, 12500);
  EXPECT_EQ(c->heartbeat_interval_ms, 2000);
  ASSERT_EQ(c->resources.size(), 2u);
  const ResourceConfig& pg = c->resources[0];
  EXPECT_EQ(pg.name, "pg");
  EXPECT_EQ(pg.type, "postgresql");
  EXPECT_EQ(pg.conninfo, "host=127.0.0.1 port=5432 dbname=bank user=xatm");
  EXPECT_EQ(pg.pool_size, 4);
  const ResourceConfig& my = c->resources[1];
  EXPECT_EQ(my.name, "my");
  EXPECT_EQ(my.type, "mysql");
  EXPECT_EQ(my.host, "db.local");
  EXPECT_EQ(my.port, 3307);
  EXPECT_EQ(my.user, "xatm");
  EXPECT_EQ(my.database, "bank");
  EXPECT_EQ(my.password, kSecret);
  EXPECT_EQ(my.connect_timeout_s, 3);
  EXPECT_EQ(my.lock_timeout_ms, 1500);
  EXPECT_EQ(my.request_timeout_ms, 2500);
  EXPECT_EQ(my.idle_session_timeout_s, 30);
  EXPECT_EQ(c->FindResource("my"), &c->resources[1]);
  EXPECT_EQ(c->FindResource("nope"), nullptr);
}

TEST_F(ConfigTest, DefaultsApplyWhenKeysAreLeftOut) {
  Result<Config> c =
      Parse(Minimal("[resource.my]\ntype = mysql\nuser = u\ndatabase = d\n"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->grace_period_ms, 10000);
  EXPECT_EQ(c->sweep_interval_ms, 5000);
  EXPECT_EQ(c->log_lock_wait_ms, 10000);
  EXPECT_EQ(c->takeover_after_ms, 30000);
  EXPECT_EQ(c->heartbeat_interval_ms, 5000);
  EXPECT_EQ(c->resources[0].host, "127.0.0.1");
  EXPECT_EQ(c->resources[0].port, 3306);
  EXPECT_EQ(c->resources[0].password, "");
  // Every session bounds its row lock waits unless told otherwise.
  EXPECT_EQ(c->resources[0].lock_timeout_ms, 5000);
  // No round trip waits forever; no orphan session lives for hours.
  EXPECT_EQ(c->resources[0].request_timeout_ms, 10000);
  EXPECT_EQ(c->resources[0].idle_session_timeout_s, 60);
}

TEST_F(ConfigTest, SagaKeysSetTheTransferSagasDeadlineRetriesAndXa) {
  Result<Config> c = Parse(
      "node = n1\nlog_dir = /tmp/log\nsaga_deadline = 2.5\n"
      "saga_retention = 60\nsaga_attempts = 4\n"
      "saga_compensation_attempts = 7\nsaga_backoff = 0.01\n"
      "saga_backoff_max = 0.5\nsaga_call_timeout = 3\n"
      "[resource.my]\ntype = mysql\nuser = u\ndatabase = d\nxa = off\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->saga.deadline_ms, 2500);
  EXPECT_EQ(c->saga_retention_s(), 60);
  EXPECT_EQ(c->saga.step.attempts, 4);
  EXPECT_EQ(c->saga.compensation.attempts, 7);
  EXPECT_EQ(c->saga.compensation.first_backoff_ms, 10);
  EXPECT_EQ(c->saga.step.max_backoff_ms, 500);
  EXPECT_EQ(c->saga.step.call_timeout_ms, 3000);
  EXPECT_FALSE(c->resources[0].xa);

  Result<Config> defaults =
      Parse(Minimal("[resource.my]\ntype = mysql\nuser = u\ndatabase = d\n"));
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->saga.deadline_ms, 30000);
  EXPECT_EQ(defaults->saga.step.attempts, 5);
  EXPECT_EQ(defaults->saga.compensation.attempts, 20);
  EXPECT_TRUE(defaults->resources[0].xa);

  EXPECT_NE(Error(Minimal("saga_attempts = 0\n[resource.my]\ntype = mysql\n"
                          "user = u\ndatabase = d\n"))
                .find("saga_attempts '0'"),
            std::string::npos);
  EXPECT_NE(Error(Minimal("saga_backoff = 3\nsaga_backoff_max = 1\n"
                          "[resource.my]\ntype = mysql\nuser = u\n"
                          "database = d\n"))
                .find("saga_backoff"),
            std::string::npos);
  EXPECT_NE(Error(Minimal("[resource.my]\ntype = mysql\nuser = u\n"
                          "database = d\nxa = maybe\n"))
                .find("xa 'maybe' is not on or off"),
            std::string::npos);
}

TEST_F(ConfigTest, PreparedStatementsKeyTurnsPostgresStatementCachingOff) {
  Result<Config> c = Parse(
      Minimal("[resource.a]\ntype = postgresql\nconninfo = dbname=bank\n"
              "prepared_statements = off\n"
              "[resource.b]\ntype = postgresql\nconninfo = dbname=bank\n"
              "prepared_statements = On\n"
              "[resource.c]\ntype = postgresql\nconninfo = dbname=bank\n"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->resources.size(), 3u);
  EXPECT_FALSE(c->FindResource("a")->prepared_statements);
  EXPECT_TRUE(c->FindResource("b")->prepared_statements);
  EXPECT_TRUE(c->FindResource("c")->prepared_statements);

  const std::string bad =
      Error(Minimal("[resource.pg]\ntype = postgresql\nconninfo = dbname=x\n"
                    "prepared_statements = maybe\n"));
  EXPECT_NE(bad.find("resource 'pg'"), std::string::npos) << bad;
  EXPECT_NE(bad.find("prepared_statements 'maybe' is not on or off"),
            std::string::npos)
      << bad;
  // MariaDB statements are always prepared: the key is not for it.
  EXPECT_NE(Error(Minimal("[resource.my]\ntype = mysql\nuser = u\n"
                          "database = d\nprepared_statements = off\n"))
                .find("key 'prepared_statements' is for postgresql resources"),
            std::string::npos);
}

TEST_F(ConfigTest, RelativeLogDirIsTakenFromTheConfigFilesDirectory) {
  Result<Config> c = Parse(
      "node = n1\nlog_dir = state/../log\n[resource.pg]\ntype = postgresql\n"
      "conninfo = dbname=bank\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->log_dir, "/etc/xatm/log");
}

TEST_F(ConfigTest, LoadConfigReadsAFile) {
  testing::TempDir dir;
  testing::WriteFile(dir.path() + "/x.ini", kGood);
  Result<Config> c = LoadConfig(dir.path() + "/x.ini");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->resources.size(), 2u);
}

TEST_F(ConfigTest, MissingFileNamesThePath) {
  Result<Config> c = LoadConfig("/nonexistent/xatm.ini");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "config /nonexistent/xatm.ini: cannot open it: No such file or "
            "directory");
}

TEST_F(ConfigTest, DirectoryIsNotAConfigFile) {
  testing::TempDir dir;
  Result<Config> c = LoadConfig(dir.path());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("is a directory"), std::string::npos);
}

TEST_F(ConfigTest, MissingNode) {
  EXPECT_EQ(Error("log_dir = /x\n[resource.pg]\ntype = postgresql\n"
                  "conninfo = dbname=b\n"),
            "config /etc/xatm/bank.ini: missing node");
}

TEST_F(ConfigTest, MissingLogDir) {
  EXPECT_EQ(Error("node = n1\n[resource.pg]\ntype = postgresql\n"
                  "conninfo = dbname=b\n"),
            "config /etc/xatm/bank.ini: missing log_dir");
}

TEST_F(ConfigTest, PostgresqlTakesAnIdleSessionTimeoutToo) {
  Result<Config> c =
      Parse(Minimal("[resource.pg]\ntype = postgresql\nconninfo = host=h\n"
                    "idle_session_timeout = 7\n"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->resources[0].idle_session_timeout_s, 7);
}

TEST_F(ConfigTest, DecisionStoreIsTheFileByDefault) {
  Result<Config> c =
      Parse(Minimal("[resource.pg]\ntype = postgresql\nconninfo = dbname=b\n"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->decision_store, "file");
  EXPECT_TRUE(c->file_store());
}

TEST_F(ConfigTest, DecisionStoreInAResourceNeedsNoLogDir) {
  Result<Config> c = Parse(
      "node = n1\ndecision_store = pg\n[resource.pg]\ntype = postgresql\n"
      "conninfo = dbname=b\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->decision_store, "pg");
  EXPECT_FALSE(c->file_store());
  EXPECT_EQ(c->log_dir, "");
}

TEST_F(ConfigTest, DecisionStoreMustNameAConfiguredResource) {
  EXPECT_EQ(Error("node = n1\ndecision_store = pgx\n[resource.pg]\n"
                  "type = postgresql\nconninfo = dbname=b\n"),
            "config /etc/xatm/bank.ini: decision_store 'pgx' is neither file "
            "nor a configured resource");
}

TEST_F(ConfigTest, BadNodeId) {
  EXPECT_NE(Error("node = a b\nlog_dir = /x\n").find("node id 'a b'"),
            std::string::npos);
}

TEST_F(ConfigTest, NoResource) {
  EXPECT_NE(Error("node = n1\nlog_dir = /x\n").find("no [resource.NAME]"),
            std::string::npos);
}

TEST_F(ConfigTest, MisspelledKeyIsNamed) {
  EXPECT_EQ(Error(Minimal("[resource.my]\ntype = mysql\nuser = u\n"
                          "database = d\npasword = x\n")),
            "config /etc/xatm/bank.ini: resource 'my': unknown key "
            "'pasword'");
  EXPECT_EQ(Error("node = n1\nlogdir = /x\n"),
            "config /etc/xatm/bank.ini: unknown key 'logdir'");
  EXPECT_NE(Error("node = n1\nlog_dir = /x\n[db.pg]\ntype = postgresql\n")
                .find("unknown key 'db.pg.type'"),
            std::string::npos);
}

TEST_F(ConfigTest, UnknownTypeIsNamed) {
  EXPECT_EQ(Error(Minimal("[resource.pg]\ntype = oracle\n")),
            "config /etc/xatm/bank.ini: resource 'pg': type 'oracle' is not "
            "postgresql or mysql");
  EXPECT_NE(Error(Minimal("[resource.pg]\nconninfo = dbname=x\n"))
                .find("resource 'pg': missing type"),
            std::string::npos);
}

TEST_F(ConfigTest, KeysOfTheOtherTypeAreRefused) {
  EXPECT_NE(Error(Minimal("[resource.pg]\ntype = postgresql\n"
                          "conninfo = dbname=x\nhost = h\n"))
                .find("resource 'pg': key 'host' is for mysql resources"),
            std::string::npos);
  EXPECT_NE(Error(Minimal("[resource.my]\ntype = mysql\nuser = u\n"
                          "database = d\nconninfo = dbname=x\n"))
                .find("key 'conninfo' is for postgresql resources"),
            std::string::npos);
}

TEST_F(ConfigTest, RequiredResourceKeys) {
  EXPECT_NE(Error(Minimal("[resource.pg]\ntype = postgresql\n"))
                .find("resource 'pg': missing conninfo"),
            std::string::npos);
  EXPECT_NE(Error(Minimal("[resource.my]\ntype = mysql\ndatabase = d\n"))
                .find("resource 'my': missing user"),
            std::string::npos);
  EXPECT_NE(Error(Minimal("[resource.my]\ntype = mysql\nuser = u\n"))
                .find("resource 'my': missing database"),
            std::string::npos);
}

TEST_F(ConfigTest, BadNumbersAreNamed) {
  const std::string my =
      "[resource.my]\ntype = mysql\nuser = u\ndatabase = d\n";
  EXPECT_NE(Error(Minimal(my + "port = 70000\n")).find("port '70000'"),
            std::string::npos);
  EXPECT_NE(Error(Minimal(my + "port = abc\n")).find("port 'abc'"),
            std::string::npos);
  EXPECT_NE(Error(Minimal(my + "pool_size = 0\n")).find("pool_size '0'"),
            std::string::npos);
  EXPECT_NE(Error(Minimal(my + "lock_timeout_ms = -5\n"))
                .find("lock_timeout_ms '-5'"),
            std::string::npos);
  EXPECT_NE(Error(Minimal(my + "request_timeout_ms = 0\n"))
                .find("request_timeout_ms '0'"),
            std::string::npos);
  EXPECT_NE(Error(Minimal(my + "idle_session_timeout = 1e3\n"))
                .find("idle_session_timeout '1e3'"),
            std::string::npos);
  EXPECT_NE(Error(Minimal("[resource.pg]\ntype = postgresql\nconninfo = "
                          "host=h\nport = 5\n"))
                .find("is for mysql resources"),
            std::string::npos);
  EXPECT_NE(
      Error("grace_period = -1\n" + Minimal(my)).find("grace_period '-1'"),
      std::string::npos);
  EXPECT_NE(Error("sweep_interval = 1.2345\n" + Minimal(my))
                .find("sweep_interval '1.2345'"),
            std::string::npos);
  EXPECT_NE(Error("grace_period = 0\n" + Minimal(my)).find("positive"),
            std::string::npos);
  EXPECT_NE(Error("log_lock_wait = 0\n" + Minimal(my))
                .find("log_lock_wait '0' is not a positive number"),
            std::string::npos);
  EXPECT_NE(Error("heartbeat_interval = 0\n" + Minimal(my))
                .find("heartbeat_interval '0' is not a positive number"),
            std::string::npos);
  EXPECT_NE(Error("takeover_after = soon\n" + Minimal(my))
                .find("takeover_after 'soon' is not a number of seconds"),
            std::string::npos);
  // The decision deadline derived from it (half) must be at least 1 ms.
  EXPECT_NE(Error("grace_period = 0.001\n" + Minimal(my))
                .find("grace_period 1 ms is too short: the manager's "
                      "decision_deadline_ms and the sweeper's "
                      "grace_period_ms must both be positive"),
            std::string::npos);
  // Two heartbeats must fit in the silence that means a node is dead.
  EXPECT_NE(Error("takeover_after = 8\nheartbeat_interval = 5\n" + Minimal(my))
                .find("heartbeat_interval (5000 ms) must be at most half of "
                      "takeover_after (8000 ms)"),
            std::string::npos);
}

TEST_F(ConfigTest, TakeoverCanBeSwitchedOff) {
  Result<Config> c =
      Parse("takeover_after = 0\nheartbeat_interval = 60\n" +
            Minimal("[resource.my]\ntype = mysql\nuser = u\ndatabase = d\n"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->takeover_after_ms, 0);
  EXPECT_EQ(c->heartbeat_interval_ms, 60000);
}

TEST_F(ConfigTest, DuplicateKeysAreRefused) {
  EXPECT_NE(Error("node = a\nnode = b\n").find("key 'node' is given twice"),
            std::string::npos);
  EXPECT_NE(Error(Minimal("[resource.pg]\ntype = postgresql\n"
                          "conninfo = dbname=a\nconninfo = dbname=b\n"))
                .find("resource 'pg': key 'conninfo' is given twice"),
            std::string::npos);
}

TEST_F(ConfigTest, BadResourceName) {
  EXPECT_NE(Error(Minimal("[resource.a b]\ntype = postgresql\n"))
                .find("resource name 'a b'"),
            std::string::npos);
}

TEST_F(ConfigTest, PasswordKeyIsRefusedWithoutShowingIt) {
  std::string m =
      Error(Minimal("[resource.my]\ntype = mysql\nuser = u\n"
                    "database = d\npassword = " +
                    std::string(kSecret) + "\n"));
  EXPECT_NE(m.find("resource 'my': a password may not be written in the "
                   "config file"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("password_env"), std::string::npos) << m;
  m = Error("password = " + std::string(kSecret) + "\n" +
            Minimal("[resource.pg]\ntype = postgresql\nconninfo = dbname=x\n"));
  EXPECT_NE(m.find("a password may not be written"), std::string::npos) << m;
}

TEST_F(ConfigTest, PasswordInConninfoIsRefusedWithoutShowingIt) {
  const std::string s = kSecret;
  for (const std::string& conninfo :
       {"host=h dbname=b password=" + s, "host=h dbname=b PASSWORD = " + s,
        "postgresql://xatm:" + s + "@127.0.0.1/bank",
        "postgres://xatm@127.0.0.1/bank?password=" + s,
        "host=h sslpassword=" + s}) {
    std::string m = Error(Minimal(
        "[resource.pg]\ntype = postgresql\nconninfo = " + conninfo + "\n"));
    EXPECT_NE(m.find("resource 'pg': conninfo must not hold a password"),
              std::string::npos)
        << conninfo << " -> " << m;
  }
}

TEST_F(ConfigTest, ConninfoWithoutPasswordIsAccepted) {
  for (const char* conninfo :
       {"host=127.0.0.1 port=5432 dbname=bank user=xatm",
        "postgresql://xatm@127.0.0.1:5432/bank",
        "host=/run/postgresql dbname=bank passfile=/etc/xatm/pgpass"}) {
    Result<Config> c = Parse(
        Minimal(std::string("[resource.pg]\ntype = postgresql\nconninfo = ") +
                conninfo + "\n"));
    EXPECT_TRUE(c.ok()) << conninfo << ": " << c.status().ToString();
  }
}

TEST_F(ConfigTest, MalformedConninfoIsExplained) {
  // Explained by the config key, never by libpq's text.
  std::string m = Error(
      Minimal("[resource.pg]\ntype = postgresql\nconninfo = host=h bogus=1\n"));
  EXPECT_NE(m.find("conninfo is not a valid libpq connection string"),
            std::string::npos)
      << m;
}

TEST_F(ConfigTest, UnsetPasswordEnvIsExplainedWithoutItsValue) {
  // A password typed into password_env by mistake is a valid variable
  // name: the error must not repeat it.
  std::string m =
      Error(Minimal("[resource.my]\ntype = mysql\nuser = u\ndatabase = d\n"
                    "password_env = Hunter2Zq9\n"));
  EXPECT_EQ(m,
            "config /etc/xatm/bank.ini: resource 'my': the environment "
            "variable named by password_env is not set");
  EXPECT_EQ(m.find("Hunter2Zq9"), std::string::npos) << m;
}

TEST_F(ConfigTest, BadPasswordEnvNameIsNotEchoed) {
  std::string m =
      Error(Minimal("[resource.my]\ntype = mysql\nuser = u\ndatabase = d\n"
                    "password_env = 1hunter2!Zq9\n"));
  EXPECT_NE(m.find("password_env is not an environment variable name"),
            std::string::npos)
      << m;
  EXPECT_EQ(m.find("hunter2"), std::string::npos) << m;
}

TEST_F(ConfigTest, MalformedConninfoIsNotQuoted) {
  // libpq's parse errors quote tokens: a password typed without its
  // keyword would be shown.
  for (const char* conninfo :
       {"host=h dbname='bank s3cretPw", "host=h s3cretPw", "host=h =s3cretPw",
        "postgresql://u@h/db?s3cretPw"}) {
    std::string m = Error(
        Minimal(std::string("[resource.pg]\ntype = postgresql\nconninfo = ") +
                conninfo + "\n"));
    EXPECT_EQ(m.find("s3cretPw"), std::string::npos) << m;
  }
}

TEST_F(ConfigTest, LaterErrorsNeverShowTheEnvironmentPassword) {
  // The password was read; the next key is wrong.
  std::string m =
      Error(Minimal("[resource.my]\ntype = mysql\nuser = u\ndatabase = d\n"
                    "password_env = XATM_CONFIG_TEST_PASSWORD\nport = x\n"));
  EXPECT_NE(m.find("port 'x'"), std::string::npos);
}

TEST_F(ConfigTest, SyntaxErrorGivesTheLineNumberNotItsText) {
  // A secret typed without '=' must not be echoed back.
  std::string m = Error("node = n1\n\n" + std::string(kSecret) + "\n");
  EXPECT_EQ(m,
            "config /etc/xatm/bank.ini: line 3 is neither 'key = value' nor "
            "'[section]'");
}

// TLS of a mysql resource: the four modes, the files (relative to the
// config file's directory), and every combination that would silently
// connect in plaintext or unverified refused with the key named.
constexpr char kMy[] = "[resource.my]\ntype = mysql\nuser = u\ndatabase = d\n";

TEST_F(ConfigTest, MysqlTlsIsOffByDefault) {
  Result<Config> c = Parse(Minimal(kMy));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->resources[0].ssl_mode, SslMode::kDisabled);
  EXPECT_EQ(c->resources[0].ssl_ca, "");
}

TEST_F(ConfigTest, MysqlTlsModesAndFiles) {
  const std::pair<const char*, SslMode> modes[] = {
      {"disabled", SslMode::kDisabled},
      {"required", SslMode::kRequired},
      {"verify_ca", SslMode::kVerifyCa},
      {"verify_identity", SslMode::kVerifyIdentity}};
  for (auto [name, mode] : modes) {
    std::string ca = mode == SslMode::kDisabled ? "" : "ssl_ca = tls/ca.pem\n";
    Result<Config> c =
        Parse(Minimal(kMy + std::string("ssl_mode = ") + name + "\n" + ca));
    ASSERT_TRUE(c.ok()) << name << ": " << c.status().ToString();
    EXPECT_EQ(c->resources[0].ssl_mode, mode) << name;
  }
  Result<Config> c = Parse(Minimal(
      kMy + std::string("ssl_mode = verify_identity\nssl_ca = /pki/ca.pem\n"
                        "ssl_cert = client.pem\nssl_key = ../keys/c.key\n")));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->resources[0].ssl_ca, "/pki/ca.pem");
  EXPECT_EQ(c->resources[0].ssl_cert, "/etc/xatm/client.pem");
  EXPECT_EQ(c->resources[0].ssl_key, "/etc/keys/c.key");
  // verify_identity may rely on the system's CAs; required checks nothing.
  EXPECT_TRUE(
      Parse(Minimal(kMy + std::string("ssl_mode = verify_identity\n"))).ok());
  EXPECT_TRUE(Parse(Minimal(kMy + std::string("ssl_mode = required\n"))).ok());
}

TEST_F(ConfigTest, UnknownSslModeIsNamed) {
  for (const char* bad : {"VERIFY_CA", "verify-full", "on", "preferred", ""}) {
    std::string m = Error(Minimal(kMy + std::string("ssl_mode = ") + bad));
    EXPECT_NE(m.find("resource 'my': ssl_mode '" + std::string(bad) +
                     "' is not disabled, required, verify_ca or "
                     "verify_identity"),
              std::string::npos)
        << m;
  }
}

TEST_F(ConfigTest, TlsFilesNeedATlsMode) {
  for (const char* key : {"ssl_ca", "ssl_cert", "ssl_key"}) {
    for (const char* mode : {"", "ssl_mode = disabled\n"}) {
      std::string m =
          Error(Minimal(kMy + std::string(mode) + key + " = /x.pem\n"));
      EXPECT_NE(m.find(std::string(key) + " is set but ssl_mode is disabled"),
                std::string::npos)
          << m;
    }
  }
}

TEST_F(ConfigTest, VerifyCaNeedsTheCa) {
  std::string m = Error(Minimal(kMy + std::string("ssl_mode = verify_ca\n")));
  EXPECT_NE(m.find("ssl_mode verify_ca needs ssl_ca"), std::string::npos) << m;
}

TEST_F(ConfigTest, ClientCertificateAndKeyGoTogether) {
  for (const char* one : {"ssl_cert = c.pem\n", "ssl_key = k.pem\n"}) {
    std::string m =
        Error(Minimal(kMy + std::string("ssl_mode = required\n") + one));
    EXPECT_NE(m.find("ssl_cert and ssl_key go together"), std::string::npos)
        << m;
  }
  std::string m =
      Error(Minimal(kMy + std::string("ssl_mode = required\nssl_ca =\n")));
  EXPECT_NE(m.find("ssl_ca is empty"), std::string::npos) << m;
}

TEST_F(ConfigTest, TlsKeysAreForMysqlResources) {
  // PostgreSQL's TLS is libpq's: sslmode / sslrootcert in conninfo.
  std::string m =
      Error(Minimal("[resource.pg]\ntype = postgresql\nconninfo = dbname=b\n"
                    "ssl_mode = required\n"));
  EXPECT_NE(m.find("key 'ssl_mode' is for mysql resources"), std::string::npos)
      << m;
  Result<Config> c = Parse(Minimal(
      "[resource.pg]\ntype = postgresql\nconninfo = host=127.0.0.1 dbname=b "
      "sslmode=verify-full sslrootcert=/pki/ca.pem\n"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
}

}  // namespace
}  // namespace xatm
