// FileSystem::Default(): the POSIX implementation.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/unit/run_process.h"
#include "xatm/file_system.h"

namespace xatm {
namespace {

using ::xatm::testing::OctalMode;

class PosixFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/xatm-fs-test-XXXXXX";
    ASSERT_NE(nullptr, ::mkdtemp(tmpl));
    dir_ = tmpl;
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(0, std::system(cmd.c_str()));
  }

  FileSystem* fs_ = FileSystem::Default();
  std::string dir_;
};

TEST_F(PosixFileSystemTest, AppendedBytesReadBack) {
  const std::string path = dir_ + "/f";
  Result<std::unique_ptr<WritableFile>> file = fs_->NewWritableFile(path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_TRUE((*file)->Append("hello ").ok());
  ASSERT_TRUE((*file)->Append(std::string(200000, 'x')).ok());
  ASSERT_TRUE((*file)->Sync().ok());
  ASSERT_TRUE((*file)->Close().ok());
  Result<std::string> read = fs_->ReadFile(path);
  ASSERT_TRUE(read.ok());
  const std::string written = "hello " + std::string(200000, 'x');
  ASSERT_GE(read->size(), written.size());
  EXPECT_EQ(written, read->substr(0, written.size()));
  // The rest is the zero-filled space ahead of the appends.
  EXPECT_EQ(std::string(read->size() - written.size(), '\0'),
            read->substr(written.size()));
  EXPECT_EQ(StatusCode::kFailedPrecondition, (*file)->Append("x").code());
}

TEST_F(PosixFileSystemTest, SpaceAheadOfAppendsGrowsInBoundedChunks) {
  const std::string path = dir_ + "/f";
  Result<std::unique_ptr<WritableFile>> file = fs_->NewWritableFile(path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  std::string written;
  for (int i = 0; written.size() < (3u << 20); ++i) {
    const std::string record(97 + i % 13, static_cast<char>('a' + i % 26));
    ASSERT_TRUE((*file)->Append(record).ok());
    written += record;
    if (i % 1000 == 0) {
      ASSERT_TRUE((*file)->Sync().ok());
    }
  }
  ASSERT_TRUE((*file)->Sync().ok());
  ASSERT_TRUE((*file)->Close().ok());
  Result<std::string> read = fs_->ReadFile(path);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(written, read->substr(0, written.size()));
  EXPECT_EQ(0u, read->size() % (64u << 10)) << read->size();
  // At most one chunk of 1 MiB ahead.
  EXPECT_LE(read->size(), written.size() + (1u << 20)) << read->size();
  EXPECT_EQ(std::string::npos, read->find_first_not_of('\0', written.size()));
}

TEST_F(PosixFileSystemTest, NewWritableFileRefusesExistingFile) {
  const std::string path = dir_ + "/f";
  ASSERT_TRUE(fs_->NewWritableFile(path).ok());
  Result<std::unique_ptr<WritableFile>> again = fs_->NewWritableFile(path);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(StatusCode::kAlreadyExists, again.status().code());
  EXPECT_NE(std::string::npos, again.status().message().find(path));
  EXPECT_NE(std::string::npos, again.status().message().find("File exists"));
}

TEST_F(PosixFileSystemTest, ListsCreatesAndDeletes) {
  ASSERT_TRUE(fs_->CreateDirIfMissing(dir_ + "/a/b/c").ok());
  ASSERT_TRUE(fs_->CreateDirIfMissing(dir_ + "/a/b/c").ok());
  ASSERT_TRUE(fs_->NewWritableFile(dir_ + "/a/one").ok());
  ASSERT_TRUE(fs_->NewWritableFile(dir_ + "/a/two").ok());
  ASSERT_TRUE(fs_->SyncDir(dir_ + "/a").ok());
  Result<std::vector<std::string>> names = fs_->ListDir(dir_ + "/a");
  ASSERT_TRUE(names.ok());
  std::sort(names->begin(), names->end());
  EXPECT_EQ((std::vector<std::string>{"b", "one", "two"}), *names);
  ASSERT_TRUE(fs_->DeleteFile(dir_ + "/a/one").ok());
  EXPECT_EQ(StatusCode::kNotFound, fs_->DeleteFile(dir_ + "/a/one").code());
  EXPECT_EQ(StatusCode::kNotFound,
            fs_->ReadFile(dir_ + "/nope").status().code());
  EXPECT_EQ(StatusCode::kNotFound,
            fs_->ListDir(dir_ + "/nope").status().code());
}

TEST_F(PosixFileSystemTest, CreateDirOverAFileFails) {
  ASSERT_TRUE(fs_->NewWritableFile(dir_ + "/f").ok());
  EXPECT_FALSE(fs_->CreateDirIfMissing(dir_ + "/f").ok());
}

TEST_F(PosixFileSystemTest, LockIsExclusiveWithinProcessAndWritesPid) {
  const std::string path = dir_ + "/LOCK";
  Result<std::unique_ptr<FileLock>> first = fs_->LockFile(path);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(std::to_string(::getpid()) + "\n", *fs_->ReadFile(path));
  // flock belongs to the open file description: a second open conflicts.
  Result<std::unique_ptr<FileLock>> second = fs_->LockFile(path);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(StatusCode::kFailedPrecondition, second.status().code());
  first->reset();
  EXPECT_TRUE(fs_->LockFile(path).ok());
}

TEST_F(PosixFileSystemTest, LockHeldByParentIsRefusedInChildProcess) {
  const std::string path = dir_ + "/LOCK";
  Result<std::unique_ptr<FileLock>> held = fs_->LockFile(path);
  ASSERT_TRUE(held.ok());
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Result<std::unique_ptr<FileLock>> lock = fs_->LockFile(path);
    ::_exit(!lock.ok() &&
                    lock.status().code() == StatusCode::kFailedPrecondition
                ? 0
                : 1);
  }
  int status = 0;
  ASSERT_EQ(child, ::waitpid(child, &status, 0));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(0, WEXITSTATUS(status));
}

// What the log creates is its owner's alone, whatever the umask: a
// permissive one (000) must not open it to others, a strict one (0277)
// must not make it unwritable.
TEST_F(PosixFileSystemTest, CreatedFilesAre0600AndDirectories0700) {
  for (mode_t mask : {mode_t{0}, mode_t{022}, mode_t{0277}}) {
    SCOPED_TRACE("umask " + std::to_string(mask));
    const std::string sub = dir_ + "/u" + std::to_string(mask);
    const mode_t old = ::umask(mask);
    Status made = fs_->CreateDirIfMissing(sub + "/log");
    Result<std::unique_ptr<WritableFile>> file =
        fs_->NewWritableFile(sub + "/log/f");
    Result<std::unique_ptr<FileLock>> lock = fs_->LockFile(sub + "/log/LOCK");
    ::umask(old);
    ASSERT_TRUE(made.ok()) << made.ToString();
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    ASSERT_TRUE(lock.ok()) << lock.status().ToString();
    EXPECT_EQ(OctalMode(sub), "0700");
    EXPECT_EQ(OctalMode(sub + "/log"), "0700");
    EXPECT_EQ(OctalMode(sub + "/log/f"), "0600");
    EXPECT_EQ(OctalMode(sub + "/log/LOCK"), "0600");
  }
}

TEST_F(PosixFileSystemTest, LockFileOfAnOlderVersionIsMadePrivate) {
  const std::string path = dir_ + "/LOCK";
  std::FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  Result<std::unique_ptr<FileLock>> lock = fs_->LockFile(path);
  ASSERT_TRUE(lock.ok()) << lock.status().ToString();
  EXPECT_EQ(OctalMode(path), "0600");
}

}  // namespace
}  // namespace xatm
