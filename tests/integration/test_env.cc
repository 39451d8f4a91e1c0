#include "tests/integration/test_env.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <regex>
#include <sstream>

namespace xatm::testing {

std::string RequireEnv(const char* var) {
  const char* value = std::getenv(var);
  if (value == nullptr || *value == '\0') {
    std::fprintf(stderr,
                 "integration test: environment variable %s is not set; "
                 "start the test servers with scripts/db.sh start DIR and "
                 "source DIR/env.sh (scripts/test.sh does both)\n",
                 var);
    std::exit(1);
  }
  return value;
}

std::map<std::string, std::string> ReadEnvFile(const std::string& path) {
  std::map<std::string, std::string> vars;
  std::ifstream in(path);
  std::string line;
  const std::regex assignment("export ([A-Z_]+)='?([^']*)'?");
  for (std::smatch m; std::getline(in, line);) {
    if (std::regex_match(line, m, assignment)) vars[m[1]] = m[2];
  }
  return vars;
}

std::string RandomHex(int digits) {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mu);
  std::ostringstream out;
  out << std::hex;
  for (int i = 0; i < digits; ++i) out << (rng() % 16);
  return out.str();
}

ResourceConfig PostgresTestConfig(const std::string& name) {
  ResourceConfig config;
  config.name = name;
  config.type = "postgresql";
  config.conninfo = RequireEnv("XATM_TEST_PG_CONNINFO");
  return config;
}

ResourceConfig MysqlTestConfig(const std::string& name) {
  ResourceConfig config;
  config.name = name;
  config.type = "mysql";
  config.host = RequireEnv("XATM_TEST_MY_HOST");
  config.port = std::atoi(RequireEnv("XATM_TEST_MY_PORT").c_str());
  config.user = RequireEnv("XATM_TEST_MY_USER");
  config.database = RequireEnv("XATM_TEST_MY_DATABASE");
  config.password = RequireEnv("XATM_MY_PASSWORD");
  return config;
}

std::string TestConfigText(const std::string& node) {
  (void)RequireEnv("XATM_MY_PASSWORD");
  return "node = " + node + "\nlog_dir = log\n\n[resource.pg]\n" +
         "type = postgresql\nconninfo = " +
         RequireEnv("XATM_TEST_PG_CONNINFO") +
         "\n\n[resource.my]\ntype = mysql\nhost = " +
         RequireEnv("XATM_TEST_MY_HOST") +
         "\nport = " + RequireEnv("XATM_TEST_MY_PORT") +
         "\nuser = " + RequireEnv("XATM_TEST_MY_USER") +
         "\ndatabase = " + RequireEnv("XATM_TEST_MY_DATABASE") +
         "\npassword_env = XATM_MY_PASSWORD\n";
}

}  // namespace xatm::testing
