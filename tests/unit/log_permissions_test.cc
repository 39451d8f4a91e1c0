// The decision log is its owner's alone: init makes an existing directory
// (made 0755 by an operator or a service manager) and its files private,
// and opening a log that other users can write is refused.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "tests/unit/run_process.h"
#include "xatm/decision_log.h"
#include "xatm/logging.h"

namespace xatm {
namespace {

unsigned ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(0, ::stat(path.c_str(), &st)) << path;
  return st.st_mode & 07777;
}

class LogPermissionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Logger()->set_level(spdlog::level::off);
    dir_ = tmp_.path() + "/log";
  }
  void TearDown() override { SetLogger(nullptr); }

  Result<std::unique_ptr<DecisionLog>> Open(bool create) {
    DecisionLogOptions options;
    options.node_id = "n1";
    options.create_if_missing = create;
    return DecisionLog::Open(dir_, options);
  }

  // A log made by init, closed again.
  void MakeLog() {
    Result<std::unique_ptr<DecisionLog>> log = Open(true);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
  }

  testing::TempDir tmp_;
  std::string dir_;
};

TEST_F(LogPermissionsTest, InitMakesAnOperatorsDirectoryPrivate) {
  ASSERT_EQ(0, ::mkdir(dir_.c_str(), 0755));
  ASSERT_EQ(0, ::chmod(dir_.c_str(), 0755));
  MakeLog();
  EXPECT_EQ(0700u, ModeOf(dir_));
}

TEST_F(LogPermissionsTest, InitMakesFilesOthersCanReadPrivate) {
  MakeLog();
  const std::string id = dir_ + "/xatm-log.id";
  ASSERT_EQ(0, ::chmod(id.c_str(), 0644));
  ASSERT_EQ(0, ::chmod(dir_.c_str(), 0755));
  MakeLog();
  EXPECT_EQ(0700u, ModeOf(dir_));
  EXPECT_EQ(0600u, ModeOf(id));
}

TEST_F(LogPermissionsTest, ALogOthersCanWriteIsRefused) {
  MakeLog();
  ASSERT_EQ(0, ::chmod(dir_.c_str(), 0777));
  Result<std::unique_ptr<DecisionLog>> log = Open(false);
  ASSERT_FALSE(log.ok()) << "a world-writable log directory was opened";
  EXPECT_EQ(StatusCode::kFailedPrecondition, log.status().code());
  EXPECT_NE(std::string::npos,
            log.status().message().find("writable by other users (mode 0777)"))
      << log.status().ToString();
  EXPECT_NE(std::string::npos, log.status().message().find("chmod -R go-rwx"));
}

TEST_F(LogPermissionsTest, AFileOthersCanWriteIsRefused) {
  MakeLog();
  const std::string id = dir_ + "/xatm-log.id";
  ASSERT_EQ(0, ::chmod(id.c_str(), 0666));
  Result<std::unique_ptr<DecisionLog>> log = Open(false);
  ASSERT_FALSE(log.ok()) << "a world-writable log file was opened";
  EXPECT_NE(std::string::npos, log.status().message().find(id))
      << log.status().ToString();
}

TEST_F(LogPermissionsTest, ALogOthersCanOnlyReadOpensWithAWarning) {
  MakeLog();
  ASSERT_EQ(0, ::chmod(dir_.c_str(), 0755));
  Result<std::unique_ptr<DecisionLog>> log = Open(false);
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  EXPECT_EQ(0755u, ModeOf(dir_)) << "only init changes the mode";
}

}  // namespace
}  // namespace xatm
