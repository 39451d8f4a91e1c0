// The library's logger: quiet by default (never stdout, nothing for a
// successful transaction), and the application's own logger and level when
// it hands one over, also while transactions run.
#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/unit/coordinator_fixture.h"
#include "tests/unit/ring_logger.h"
#include "xatm/logging.h"
#include "xatm/transaction.h"

namespace xatm {
namespace {

using testing::LoggedLine;
using testing::RingLogger;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Counts the lines that end with " committed".
class CommittedLines : public spdlog::sinks::base_sink<std::mutex> {
 public:
  int count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return count_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string_view text(msg.payload.data(), msg.payload.size());
    const std::string_view suffix = " committed";
    if (text.size() > suffix.size() &&
        text.substr(text.size() - suffix.size()) == suffix) {
      ++count_;
    }
  }
  void flush_() override {}

 private:
  int count_ = 0;
};

class LibraryLoggerTest : public testing::CoordinatorFixture {
 protected:
  void TearDown() override { SetLogger(nullptr); }

  // A two-phase commit over both fakes; returns the gtrid.
  std::string CommitOnBoth() {
    auto txn = tm_->Begin();
    EXPECT_TRUE(txn.ok());
    EXPECT_TRUE((*txn)->Enlist("a").ok());
    EXPECT_TRUE((*txn)->Enlist("b").ok());
    EXPECT_TRUE((*txn)->Commit().ok());
    return (*txn)->gtrid();
  }
};

TEST_F(LibraryLoggerTest, DefaultLoggerWritesWarningsToStderr) {
  SetLogger(nullptr);
  EXPECT_EQ(Logger()->name(), "xatm");
  EXPECT_EQ(Logger()->level(), spdlog::level::warn);
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  Logger()->info("an info line");
  Logger()->warn("a warning line");
  const std::string out = ::testing::internal::GetCapturedStdout();
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(out, "");
  EXPECT_TRUE(Contains(err, "a warning line")) << err;
  EXPECT_FALSE(Contains(err, "an info line")) << err;
}

TEST_F(LibraryLoggerTest, SuccessfulTransactionWritesNothingByDefault) {
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  CommitOnBoth();
  const std::string out = ::testing::internal::GetCapturedStdout();
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(out, "") << "the library wrote to the application's stdout";
  EXPECT_EQ(err, "") << "the library logged a successful transaction";
}

TEST_F(LibraryLoggerTest, ApplicationLoggerAtDebugGetsEachStepWithTheXid) {
  RingLogger app(spdlog::level::debug);
  SetLogger(app.logger());
  ::testing::internal::CaptureStdout();
  const std::string gtrid = CommitOnBoth();
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
  const std::vector<LoggedLine> lines = app.Lines();
  auto said = [&](const std::string& text) {
    return std::any_of(lines.begin(), lines.end(), [&](const LoggedLine& l) {
      return l.text == text && l.level == spdlog::level::debug;
    });
  };
  EXPECT_TRUE(said("xid=" + gtrid + " begin"));
  EXPECT_TRUE(said("xid=" + gtrid + " commit decision durable"));
  EXPECT_TRUE(said("xid=" + gtrid + " committed"));
  for (const LoggedLine& line : lines) {
    EXPECT_TRUE(Contains(line.text, "xid=" + gtrid)) << line.text;
  }
}

TEST_F(LibraryLoggerTest, ApplicationLoggerAtInfoHearsNothingOfACommit) {
  RingLogger app(spdlog::level::info);
  SetLogger(app.logger());
  CommitOnBoth();
  for (const LoggedLine& line : app.Lines()) ADD_FAILURE() << line.text;
}

TEST_F(LibraryLoggerTest, NoVoteIsADebugLineWithTheXid) {
  RingLogger app(spdlog::level::debug);
  SetLogger(app.logger());
  b_->script().prepare = Status::Aborted("tag ROLLBACK");
  auto txn = tm_->Begin();
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE((*txn)->Enlist("a").ok());
  ASSERT_TRUE((*txn)->Enlist("b").ok());
  EXPECT_EQ((*txn)->Commit().code(), StatusCode::kAborted);
  const std::string rolling_back = "xid=" + (*txn)->gtrid() + " rolling back";
  bool found = false;
  for (const LoggedLine& line : app.Lines()) {
    EXPECT_LT(line.level, spdlog::level::info) << line.text;
    found = found || Contains(line.text, rolling_back);
  }
  EXPECT_TRUE(found) << "no line starts with '" << rolling_back << "'";
}

TEST_F(LibraryLoggerTest, LoggerReplacedWhileTransactionsRun) {
  // Every "committed" line reaches exactly one of the loggers, whole.
  constexpr int kThreads = 4;
  constexpr int kPerThread = 200;
  std::vector<std::shared_ptr<CommittedLines>> counts;
  auto replace = [&counts] {
    counts.push_back(std::make_shared<CommittedLines>());
    auto logger = std::make_shared<spdlog::logger>("app", counts.back());
    logger->set_level(spdlog::level::debug);
    SetLogger(logger);
  };
  replace();
  std::atomic<int> running{kThreads};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) CommitOnBoth();
      --running;
    });
  }
  while (running.load() > 0) {
    replace();
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  for (std::thread& t : threads) t.join();
  int committed = 0;
  int loggers_used = 0;
  for (const auto& count : counts) {
    committed += count->count();
    loggers_used += count->count() > 0 ? 1 : 0;
  }
  EXPECT_EQ(committed, kThreads * kPerThread);
  EXPECT_GT(loggers_used, 1) << "the logger was never replaced mid-way";
}

}  // namespace
}  // namespace xatm
