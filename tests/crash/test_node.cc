#include "tests/crash/test_node.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>

#include "tests/integration/test_env.h"
#include "xatm/open_from_config.h"

namespace xatm::crash {
namespace {

std::string Base36(uint64_t v) {
  const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string s;
  do {
    s.insert(s.begin(), digits[v % 36]);
    v /= 36;
  } while (v != 0);
  return s;
}

std::string MakeTempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
      "/xatm-crash-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp " + pattern + " failed");
  }
  return pattern;
}

}  // namespace

const std::string& XatmBinary() {
  static const std::string path = XATM_BINARY;
  return path;
}

const std::string& NoVoteBinary() {
  static const std::string path = XATM_NO_VOTE_BINARY;
  return path;
}

const std::string& DbScript() {
  static const std::string path = XATM_DB_SCRIPT;
  return path;
}

std::string NewNodeId(const std::string& tag) {
  // Random per process (6 base-36 digits), then a counter.
  static const std::string run = [] {
    std::random_device rd;
    std::string r = Base36((uint64_t{rd()} << 32 | rd()) % 2176782336u);
    return std::string(6 - r.size(), '0') + r;
  }();
  static std::atomic<uint64_t> counter{0};
  return tag.substr(0, 3) + run + Base36(counter++);
}

TestNode::TestNode(std::string node_id, int grace_period_s)
    : TestNode(std::move(node_id), NodeSettings{grace_period_s, "", "file"}) {}

TestNode::TestNode(std::string node_id, const NodeSettings& settings)
    : id_(std::move(node_id)), dir_(MakeTempDir()) {
  config_path_ = dir_ + "/xatm.conf";
  log_dir_ = dir_ + "/log";
  ResourceConfig pg = xatm::testing::PostgresTestConfig("pg");
  ResourceConfig my = xatm::testing::MysqlTestConfig("my");
  std::ofstream out(config_path_);
  out << "node = " << id_ << "\n"
      << "log_dir = " << log_dir_ << "\n"
      << "grace_period = " << settings.grace_period_s << "\n"
      << "decision_store = " << settings.decision_store << "\n\n"
      << "[resource.pg]\n"
      << "type = postgresql\n"
      << "conninfo = " << pg.conninfo << "\n"
      << settings.resource_lines << "\n"
      << "[resource.my]\n"
      << "type = mysql\n"
      << "host = " << my.host << "\n"
      << "port = " << my.port << "\n"
      << "user = " << my.user << "\n"
      << "database = " << my.database << "\n"
      << "password_env = XATM_MY_PASSWORD\n"
      << settings.resource_lines;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + config_path_);
  if (settings.decision_store != "file") {
    ChildExit init = Xatm({"init"});
    if (!init.ExitedWith(0)) {
      throw std::runtime_error("xatm init: " + init.Describe());
    }
    return;
  }
  // What `xatm init` does for the log: every other command needs it.
  Result<Config> config = LoadConfig(config_path_);
  if (!config.ok()) throw std::runtime_error(config.status().ToString());
  Status log = CreateDecisionLog(*config);
  if (!log.ok()) throw std::runtime_error(log.ToString());
}

TestNode::~TestNode() {
  if (::testing::Test::HasFailure()) {
    // Best effort: no prepared branch of a failed test may keep its locks
    // (and PostgreSQL's xmin horizon) on shared servers.
    ChildExit cleanup = Recover();
    std::fprintf(stderr, "node %s kept in %s; cleanup sweep: %s\n", id_.c_str(),
                 dir_.c_str(), cleanup.Describe().c_str());
    return;
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::vector<std::string> TestNode::XatmCommand(
    const std::vector<std::string>& args) const {
  std::vector<std::string> command = {XatmBinary(), "--config", config_path_};
  command.insert(command.end(), args.begin(), args.end());
  return command;
}

ChildExit TestNode::Xatm(const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env,
                         int timeout_ms) const {
  return RunChild(XatmCommand(args), env, timeout_ms);
}

ChildExit TestNode::Recover(
    const std::map<std::string, std::string>& env) const {
  return Xatm({"recover", "--grace", "0"}, env);
}

ChildExit TestNode::RecoverWithGrace(const std::string& seconds,
                                     int timeout_ms) const {
  return Xatm({"recover", "--grace", seconds}, {}, timeout_ms);
}

void TestNode::AddTopLevelLines(const std::string& lines) const {
  std::string text;
  {
    std::ifstream in(config_path_);
    text.assign(std::istreambuf_iterator<char>(in),
                std::istreambuf_iterator<char>());
  }
  // Before the first section, where INI keys are top-level.
  std::ofstream out(config_path_, std::ios::trunc);
  out << lines << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + config_path_);
}

Result<Config> TestNode::LoadedConfig() const {
  return LoadConfig(config_path_);
}

Result<std::unique_ptr<TransactionManager>> TestNode::OpenManager() const {
  Result<Config> config = LoadedConfig();
  if (!config.ok()) return config.status();
  return OpenTransactionManager(*config);
}

void InitSchemaOnce() {
  static bool done = false;
  if (done) return;
  TestNode node(NewNodeId("ini"));
  ChildExit init = node.Xatm({"init"});
  ASSERT_TRUE(init.ExitedWith(0)) << "xatm init: " << init.Describe();
  done = true;
}

}  // namespace xatm::crash
