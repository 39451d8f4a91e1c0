// DecisionLog: replay, torn tails, damage, group commit, sticky failure,
// rollover, locking, replay speed.
#include "xatm/decision_log.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "tests/unit/fault_file_system.h"
#include "tm/log/record_codec.h"
#include "tm/log/segment.h"
#include "xatm/logging.h"

namespace xatm {
namespace {

using testing::FaultFileSystem;
using testing::UnsyncedData;

constexpr char kDir[] = "/log";
const std::vector<std::string> kResources = {"bank_pg", "bank_my"};

std::string Gtrid(int i) {
  return "xatm:node-1:1700000000000:" + std::to_string(1000000 + i);
}

std::vector<std::string> GtridsOf(const std::vector<DecisionRecord>& records) {
  std::vector<std::string> gtrids;
  for (const DecisionRecord& r : records) gtrids.push_back(r.gtrid);
  return gtrids;
}

class DecisionLogTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<DecisionLog>> Open(FaultFileSystem* fs,
                                            uint64_t segment_bytes = 4 << 20,
                                            size_t max_tombstones = 100000) {
    DecisionLogOptions options;
    options.fs = fs;
    options.segment_bytes = segment_bytes;
    options.node_id = "node-1";
    options.create_if_missing = true;
    options.max_tombstones = max_tombstones;
    return DecisionLog::Open(kDir, options);
  }
  std::unique_ptr<DecisionLog> MustOpen(FaultFileSystem* fs,
                                        uint64_t segment_bytes = 4 << 20) {
    Result<std::unique_ptr<DecisionLog>> log = Open(fs, segment_bytes);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return log.ok() ? std::move(*log) : nullptr;
  }
  std::unique_ptr<DecisionLog> MustOpen() { return MustOpen(&fs_); }

  std::vector<std::string> Segments(FaultFileSystem* fs) {
    std::vector<std::string> segments;
    for (const std::string& name : fs->Files(kDir)) {
      uint64_t seq;
      if (ParseSegmentFileName(name, &seq)) segments.push_back(name);
    }
    return segments;
  }
  std::vector<std::string> Segments() { return Segments(&fs_); }

  FaultFileSystem fs_;
};

TEST_F(DecisionLogTest, OpenCreatesDirectoryWithLockAndOneSegment) {
  auto log = MustOpen();
  ASSERT_NE(nullptr, log);
  EXPECT_EQ((std::vector<std::string>{"LOCK", "xatm-0000000000000001.log",
                                      "xatm-log.id"}),
            fs_.Files(kDir));
  EXPECT_TRUE(log->OpenCommits().empty());
  EXPECT_TRUE(log->health().ok());
}

TEST_F(DecisionLogTest, CommitIsOpenUntilEndAndSurvivesReopen) {
  {
    auto log = MustOpen();
    ASSERT_TRUE(log->LogCommit(Gtrid(1), kResources, 111).ok());
    ASSERT_TRUE(log->LogCommit(Gtrid(2), {"only"}, 222).ok());
    ASSERT_TRUE(log->FindOpenCommit(Gtrid(1)).has_value());
    ASSERT_TRUE(log->LogEnd(Gtrid(1), 333).ok());
  }
  auto log = MustOpen();
  EXPECT_FALSE(log->FindOpenCommit(Gtrid(1)).has_value());
  std::optional<DecisionRecord> r = log->FindOpenCommit(Gtrid(2));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(RecordType::kCommit, r->type);
  EXPECT_EQ(std::vector<std::string>{"only"}, r->resources);
  EXPECT_EQ(222, r->time_ms);
}

TEST_F(DecisionLogTest, EndedDecisionIsClosedForReadersAtOnceUnderLoad) {
  auto log = MustOpen();
  ASSERT_NE(nullptr, log);
  // With several threads, most ENDs wait for another thread's write: the
  // decision must look closed anyway once LogEnd returns.
  std::atomic<int> still_open{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        const std::string gtrid = Gtrid(t * 10000 + i);
        if (!log->LogCommit(gtrid, kResources, 1).ok()) return;
        if (!log->LogEnd(gtrid, 2).ok()) return;
        if (log->FindOpenCommit(gtrid).has_value()) ++still_open;
        for (const DecisionRecord& r : log->OpenCommits()) {
          if (r.gtrid == gtrid) ++still_open;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(0, still_open.load());
  EXPECT_TRUE(log->OpenCommits().empty());
}

TEST_F(DecisionLogTest, OpenCommitsAreOldestFirstAcrossReopens) {
  std::vector<std::string> expected;
  for (int round = 0; round < 3; ++round) {
    auto log = MustOpen();
    EXPECT_EQ(expected, GtridsOf(log->OpenCommits()));
    for (int i = 0; i < 5; ++i) {
      const int id = round * 10 + i;
      ASSERT_TRUE(log->LogCommit(Gtrid(id), kResources, id).ok());
      expected.push_back(Gtrid(id));
    }
    EXPECT_EQ(expected, GtridsOf(log->OpenCommits()));
  }
}

TEST_F(DecisionLogTest, DuplicateCommitsAndEndsAreIdempotent) {
  {
    auto log = MustOpen();
    ASSERT_TRUE(log->LogCommit(Gtrid(1), kResources, 1).ok());
    ASSERT_TRUE(log->LogCommit(Gtrid(2), kResources, 2).ok());
    ASSERT_TRUE(log->LogCommit(Gtrid(1), {"other"}, 3).ok());
    ASSERT_TRUE(log->LogEnd(Gtrid(2), 4).ok());
    ASSERT_TRUE(log->LogEnd(Gtrid(2), 5).ok());
    ASSERT_TRUE(log->LogEnd(Gtrid(9), 6).ok());  // never committed
  }
  auto log = MustOpen();
  std::vector<DecisionRecord> open = log->OpenCommits();
  ASSERT_EQ(1u, open.size());
  EXPECT_EQ(Gtrid(1), open[0].gtrid);
  EXPECT_EQ(kResources, open[0].resources);  // the first COMMIT wins
}

TEST_F(DecisionLogTest, HeuristicIsForcedAndChangesNoDecision) {
  auto log = MustOpen();
  ASSERT_TRUE(log->LogCommit(Gtrid(1), kResources, 1).ok());
  const uint64_t syncs = fs_.file_syncs();
  ASSERT_TRUE(
      log->LogHeuristic(Gtrid(1), {"bank_my"}, "rolled back by hand", 2).ok());
  EXPECT_EQ(syncs + 1, fs_.file_syncs());
  EXPECT_TRUE(log->FindOpenCommit(Gtrid(1)).has_value());
  Result<LogScan> scan = ScanDecisionLog(kDir, &fs_);
  ASSERT_TRUE(scan.ok());
  ASSERT_EQ(2u, scan->records.size());
  EXPECT_EQ(RecordType::kHeuristic, scan->records[1].record.type);
  EXPECT_EQ("rolled back by hand", scan->records[1].record.detail);
}

TEST_F(DecisionLogTest, HeuristicsSurviveRolloversAndReopensExactlyOnce) {
  {
    auto log = MustOpen(&fs_, /*segment_bytes=*/1024);
    ASSERT_TRUE(log->LogCommit(Gtrid(1), kResources, 1).ok());
    ASSERT_TRUE(
        log->LogHeuristic(Gtrid(1), {"bank_my"}, "contradicted", 2).ok());
    ASSERT_TRUE(log->LogEnd(Gtrid(1), 3).ok());
    for (int i = 10; i < 200; ++i) {  // many rollovers
      ASSERT_TRUE(log->LogCommit(Gtrid(i), kResources, i).ok());
      ASSERT_TRUE(log->LogEnd(Gtrid(i), i).ok());
    }
  }
  for (int reopen = 0; reopen < 3; ++reopen) MustOpen();
  Result<LogScan> scan = ScanDecisionLog(kDir, &fs_);
  ASSERT_TRUE(scan.ok());
  std::vector<DecisionRecord> heuristics;
  for (const ScannedRecord& r : scan->records) {
    if (r.record.type == RecordType::kHeuristic) heuristics.push_back(r.record);
  }
  ASSERT_EQ(1u, heuristics.size());
  EXPECT_EQ(Gtrid(1), heuristics[0].gtrid);
  EXPECT_EQ(std::vector<std::string>{"bank_my"}, heuristics[0].resources);
  EXPECT_EQ("contradicted", heuristics[0].detail);
  EXPECT_EQ(2, heuristics[0].time_ms);
  EXPECT_TRUE(MustOpen()->OpenCommits().empty());
}

TEST_F(DecisionLogTest, EachOpenStartsANewSegmentAndDeletesOlderOnes) {
  for (int i = 0; i < 3; ++i) {
    auto log = MustOpen();
    ASSERT_TRUE(log->LogCommit(Gtrid(i), kResources, i).ok());
  }
  EXPECT_EQ(std::vector<std::string>{"xatm-0000000000000003.log"}, Segments());
  auto log = MustOpen();
  EXPECT_EQ(std::vector<std::string>{"xatm-0000000000000004.log"}, Segments());
  EXPECT_EQ(3u, log->OpenCommits().size());
}

TEST_F(DecisionLogTest, LoneCommitterSyncsOncePerCommitWithoutWaiting) {
  auto log = MustOpen();
  const uint64_t syncs = fs_.file_syncs();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(log->LogCommit(Gtrid(i), kResources, i).ok());
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(syncs + 200, fs_.file_syncs());
  // No timer: 200 in-memory commits take far less than 200 ticks of any.
  EXPECT_LT(elapsed, std::chrono::milliseconds(500));
}

TEST_F(DecisionLogTest, EndIsNotForcedButADecisionCleanCloseKeeps) {
  {
    auto log = MustOpen();
    ASSERT_TRUE(log->LogCommit(Gtrid(1), kResources, 1).ok());
    ASSERT_TRUE(log->LogCommit(Gtrid(2), kResources, 2).ok());
    const uint64_t syncs = fs_.file_syncs();
    const uint64_t appends = fs_.appends();
    ASSERT_TRUE(log->LogEnd(Gtrid(1), 3).ok());
    EXPECT_EQ(syncs, fs_.file_syncs());
    EXPECT_EQ(appends, fs_.appends());  // waits for the next forced batch
    EXPECT_FALSE(log->FindOpenCommit(Gtrid(1)).has_value());
  }
  fs_.SimulatePowerLoss(UnsyncedData::kDrop);
  auto log = MustOpen();
  EXPECT_EQ(std::vector<std::string>{Gtrid(2)}, GtridsOf(log->OpenCommits()));
}

TEST_F(DecisionLogTest, EndSharesTheWriteOfTheNextCommit) {
  auto log = MustOpen();
  ASSERT_TRUE(log->LogCommit(Gtrid(1), kResources, 1).ok());
  ASSERT_TRUE(log->LogEnd(Gtrid(1), 2).ok());
  const uint64_t syncs = fs_.file_syncs();
  const uint64_t appends = fs_.appends();
  ASSERT_TRUE(log->LogCommit(Gtrid(2), kResources, 3).ok());
  EXPECT_EQ(appends + 1, fs_.appends());
  EXPECT_EQ(syncs + 1, fs_.file_syncs());
  // Both are in the file now: a power loss keeps the END too.
  fs_.SimulatePowerLoss(UnsyncedData::kDrop);
  log.reset();
  log = MustOpen();
  EXPECT_EQ(std::vector<std::string>{Gtrid(2)}, GtridsOf(log->OpenCommits()));
}

TEST_F(DecisionLogTest, ManyEndsWithoutCommitsAreWrittenInFewSyncedBatches) {
  auto log = MustOpen();
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(log->LogCommit(Gtrid(i), kResources, i).ok());
  }
  const uint64_t syncs = fs_.file_syncs();
  const uint64_t appends = fs_.appends();
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(log->LogEnd(Gtrid(i), i).ok());
  // A few KiB of ENDs go out by themselves, each batch synced like every
  // batch: a later batch must prove the earlier ones durable.
  EXPECT_GT(fs_.appends(), appends);
  EXPECT_LT(fs_.appends(), appends + 20);
  EXPECT_EQ(syncs + (fs_.appends() - appends), fs_.file_syncs());
  EXPECT_TRUE(log->OpenCommits().empty());
}

TEST_F(DecisionLogTest, UnsyncedEndMayBeLostButCommitsStay) {
  {
    auto log = MustOpen();
    ASSERT_TRUE(log->LogCommit(Gtrid(1), kResources, 1).ok());
    ASSERT_TRUE(log->LogEnd(Gtrid(1), 2).ok());
    fs_.CutPowerAt(1);  // the close's sync never happens
  }
  fs_.SimulatePowerLoss(UnsyncedData::kDrop);
  auto log = MustOpen();
  EXPECT_EQ(std::vector<std::string>{Gtrid(1)}, GtridsOf(log->OpenCommits()));
}

TEST_F(DecisionLogTest, ConcurrentCommittersShareOneSyncPerBatch) {
  auto log = MustOpen();
  fs_.set_sync_delay(std::chrono::milliseconds(2));
  const uint64_t syncs = fs_.file_syncs();
  constexpr int kThreads = 16, kPerThread = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int id = t * 1000 + i;
        if (!log->LogCommit(Gtrid(id), kResources, id).ok()) ++failures;
        if (i % 2 == 0 && !log->LogEnd(Gtrid(id), id).ok()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  fs_.set_sync_delay(std::chrono::microseconds(0));
  EXPECT_EQ(0, failures.load());
  const uint64_t used = fs_.file_syncs() - syncs;
  std::printf("%d commits from %d threads took %llu syncs\n",
              kThreads * kPerThread, kThreads,
              static_cast<unsigned long long>(used));
  EXPECT_LT(used, static_cast<uint64_t>(kThreads * kPerThread / 3));
  log.reset();
  fs_.SimulatePowerLoss(UnsyncedData::kDrop);
  log = MustOpen();
  EXPECT_EQ(static_cast<size_t>(kThreads * (kPerThread / 2)),
            log->OpenCommits().size());
}

TEST_F(DecisionLogTest, FailedSyncIsStickyForEveryLaterCall) {
  auto log = MustOpen();
  ASSERT_TRUE(log->LogCommit(Gtrid(1), kResources, 1).ok());
  fs_.FailSyncAt(1);
  Status failed = log->LogCommit(Gtrid(2), kResources, 2);
  ASSERT_EQ(StatusCode::kFailedPrecondition, failed.code());
  EXPECT_EQ(
      "decision log failed earlier: UNAVAILABLE: injected: fdatasync failed",
      failed.message());
  const uint64_t syncs = fs_.file_syncs();
  EXPECT_EQ(failed.message(), log->health().message());
  EXPECT_EQ(StatusCode::kFailedPrecondition,
            log->LogCommit(Gtrid(3), kResources, 3).code());
  EXPECT_EQ(StatusCode::kFailedPrecondition, log->LogEnd(Gtrid(1), 4).code());
  EXPECT_EQ(StatusCode::kFailedPrecondition,
            log->LogHeuristic(Gtrid(1), {}, "x", 5).code());
  EXPECT_EQ(syncs, fs_.file_syncs());  // no sync is retried
  EXPECT_FALSE(log->FindOpenCommit(Gtrid(2)).has_value());
  log.reset();
  fs_.SimulatePowerLoss(UnsyncedData::kDrop);
  log = MustOpen();
  EXPECT_EQ(std::vector<std::string>{Gtrid(1)}, GtridsOf(log->OpenCommits()));
}

TEST_F(DecisionLogTest, TornAppendIsStickyAndReopenSkipsTheTornTail) {
  auto log = MustOpen();
  ASSERT_TRUE(log->LogCommit(Gtrid(1), kResources, 1).ok());
  fs_.TearAppendAt(1, 5);
  EXPECT_EQ(StatusCode::kFailedPrecondition,
            log->LogCommit(Gtrid(2), kResources, 2).code());
  EXPECT_FALSE(log->health().ok());
  log.reset();
  log = MustOpen();
  EXPECT_EQ(std::vector<std::string>{Gtrid(1)}, GtridsOf(log->OpenCommits()));
  ASSERT_TRUE(log->LogCommit(Gtrid(3), kResources, 3).ok());
}

TEST_F(DecisionLogTest, InvalidRecordIsRefusedWithoutFailingTheLog) {
  auto log = MustOpen();
  EXPECT_EQ(StatusCode::kInvalidArgument,
            log->LogCommit("", kResources, 1).code());
  EXPECT_EQ(
      StatusCode::kInvalidArgument,
      log->LogHeuristic(Gtrid(1), {}, std::string(2 << 20, 'x'), 1).code());
  EXPECT_TRUE(log->health().ok());
  EXPECT_TRUE(log->LogCommit(Gtrid(1), kResources, 1).ok());
}

TEST_F(DecisionLogTest, RolloverKeepsFewSegmentsAndOpenDecisionsSurvive) {
  std::vector<std::string> kept;
  size_t max_segments = 0;
  {
    auto log = MustOpen(&fs_, /*segment_bytes=*/4096);
    for (int i = 0; i < 20000; ++i) {
      ASSERT_TRUE(log->LogCommit(Gtrid(i), kResources, i).ok());
      if (i % 1000 == 7) {
        kept.push_back(Gtrid(i));
      } else {
        ASSERT_TRUE(log->LogEnd(Gtrid(i), i).ok());
      }
      if (i % 97 == 0) max_segments = std::max(max_segments, Segments().size());
    }
    EXPECT_EQ(kept, GtridsOf(log->OpenCommits()));
  }
  EXPECT_LE(max_segments, 2u);
  EXPECT_LE(Segments().size(), 2u);
  size_t bytes = 0;
  for (const std::string& s : Segments()) {
    bytes += fs_.Contents(std::string(kDir) + "/" + s)->size();
  }
  EXPECT_LT(bytes, 3u * 4096);
  fs_.SimulatePowerLoss(UnsyncedData::kDrop);
  auto log = MustOpen(&fs_, 4096);
  EXPECT_EQ(kept, GtridsOf(log->OpenCommits()));
}

TEST_F(DecisionLogTest, SecondOpenInSameProcessIsRefused) {
  auto log = MustOpen();
  Result<std::unique_ptr<DecisionLog>> second = Open(&fs_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(StatusCode::kFailedPrecondition, second.status().code());
  EXPECT_EQ("decision log /log is already open in this process (pid " +
                std::to_string(::getpid()) + ")",
            second.status().message());
  log.reset();
  EXPECT_TRUE(Open(&fs_).ok());
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/xatm-log-test-XXXXXX";
    if (::mkdtemp(tmpl) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::string cmd = "rm -rf '" + path_ + "'";
    if (std::system(cmd.c_str()) != 0) std::perror("rm");
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(DecisionLogProcessTest, SecondOpenInAnotherProcessIsRefused) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/log";
  DecisionLogOptions create;
  create.create_if_missing = true;
  Result<std::unique_ptr<DecisionLog>> log = DecisionLog::Open(dir, create);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  const std::string expected = "decision log " + dir +
                               " is in use by another process (pid " +
                               std::to_string(::getpid()) + ")";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Result<std::unique_ptr<DecisionLog>> second = DecisionLog::Open(dir);
    if (second.ok()) ::_exit(1);
    if (second.status().code() != StatusCode::kFailedPrecondition) ::_exit(2);
    ::_exit(second.status().message() == expected ? 0 : 3);
  }
  int status = 0;
  ASSERT_EQ(child, ::waitpid(child, &status, 0));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(0, WEXITSTATUS(status)) << "1: opened, 2: wrong code, 3: message";
  // Within the process, too: flock belongs to the open file description.
  Result<std::unique_ptr<DecisionLog>> again = DecisionLog::Open(dir);
  EXPECT_EQ(StatusCode::kFailedPrecondition, again.status().code());
}

// --- Identity (see also log_identity_test.cc, on the real file system) ---

TEST_F(DecisionLogTest, CreationCutShortAtEveryStepIsFinishedByTheNextCreate) {
  Logger()->set_level(spdlog::level::off);
  for (uint64_t cut = 1; cut <= 12; ++cut) {
    SCOPED_TRACE("power cut at operation " + std::to_string(cut));
    FaultFileSystem fs(cut);
    ASSERT_TRUE(fs.CreateDirIfMissing(kDir).ok());
    fs.CutPowerAt(cut);
    Result<std::unique_ptr<DecisionLog>> first = Open(&fs);
    first = Status::Unavailable("closed before the restart");
    fs.SimulatePowerLoss(UnsyncedData::kRandom, 0.5);
    // Never an identity without a segment: a new `xatm init` finishes it.
    auto log = MustOpen(&fs);
    ASSERT_NE(nullptr, log);
    ASSERT_TRUE(log->LogCommit(Gtrid(1), kResources, 1).ok());
    log.reset();
    DecisionLogOptions plain;
    plain.fs = &fs;
    plain.node_id = "node-1";
    Result<std::unique_ptr<DecisionLog>> reopened =
        DecisionLog::Open(kDir, plain);
    ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
    EXPECT_TRUE((*reopened)->FindOpenCommit(Gtrid(1)).has_value());
  }
  SetLogger(nullptr);
}

TEST_F(DecisionLogTest, FormatOneLogWithoutIdentityIsAdoptedOnlyWhenCreating) {
  // As a version before identities left it: one format-1 segment.
  std::string segment;
  AppendFrame(FrameType::kSegmentHeader, SegmentHeaderPayload(1), &segment);
  AppendFrame(FrameType::kCheckpointEnd, CheckpointEndPayload(0), &segment);
  ASSERT_TRUE(AppendRecordFrame(RecordType::kCommit, Gtrid(1), kResources, 1,
                                "", &segment)
                  .ok());
  ASSERT_TRUE(fs_.CreateDirIfMissing(kDir).ok());
  fs_.SetContents(std::string(kDir) + "/" + SegmentFileName(1), segment);
  DecisionLogOptions plain;
  plain.fs = &fs_;
  plain.node_id = "node-1";
  Result<std::unique_ptr<DecisionLog>> refused = DecisionLog::Open(kDir, plain);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(StatusCode::kFailedPrecondition, refused.status().code());
  EXPECT_NE(std::string::npos,
            refused.status().message().find("run `xatm init` to adopt it"))
      << refused.status().message();
  {
    auto log = MustOpen();  // create_if_missing: adopts it
    ASSERT_NE(nullptr, log);
    EXPECT_TRUE(log->FindOpenCommit(Gtrid(1)).has_value());
  }
  Result<std::unique_ptr<DecisionLog>> log = DecisionLog::Open(kDir, plain);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  EXPECT_TRUE((*log)->FindOpenCommit(Gtrid(1)).has_value());
}

// --- Tombstones: HasCommitHistory ---

TEST_F(DecisionLogTest, RecoveryEndKeepsATombstoneThroughReopensAndRollovers) {
  {
    auto log = MustOpen(&fs_, 512);
    ASSERT_TRUE(log->LogCommit(Gtrid(1), kResources, 1).ok());
    EXPECT_TRUE(log->HasCommitHistory(Gtrid(1)));
    ASSERT_TRUE(log->LogEnd(Gtrid(1), 2, EndOrigin::kRecovery).ok());
    EXPECT_FALSE(log->FindOpenCommit(Gtrid(1)).has_value());
    EXPECT_TRUE(log->HasCommitHistory(Gtrid(1)));
    // Enough traffic to roll over several times: checkpoints carry it.
    for (int i = 100; i < 160; ++i) {
      ASSERT_TRUE(log->LogCommit(Gtrid(i), kResources, i).ok());
      ASSERT_TRUE(log->LogEnd(Gtrid(i), i).ok());
    }
    EXPECT_TRUE(log->HasCommitHistory(Gtrid(1)));
  }
  for (int reopen = 0; reopen < 3; ++reopen) {
    auto log = MustOpen(&fs_, 512);
    ASSERT_NE(nullptr, log);
    EXPECT_TRUE(log->HasCommitHistory(Gtrid(1))) << "reopen " << reopen;
    EXPECT_FALSE(log->FindOpenCommit(Gtrid(1)).has_value());
    EXPECT_TRUE(log->OpenCommits().empty());
  }
}

TEST_F(DecisionLogTest, CoordinatorEndLeavesNoTombstone) {
  {
    auto log = MustOpen();
    ASSERT_TRUE(log->LogCommit(Gtrid(1), kResources, 1).ok());
    ASSERT_TRUE(log->LogEnd(Gtrid(1), 2).ok());
    ASSERT_TRUE(log->LogCommit(Gtrid(2), kResources, 3).ok());  // writes it
    EXPECT_FALSE(log->HasCommitHistory(Gtrid(1)));
  }
  auto log = MustOpen();
  EXPECT_FALSE(log->HasCommitHistory(Gtrid(1)));
  EXPECT_TRUE(log->HasCommitHistory(Gtrid(2)));
  EXPECT_FALSE(log->HasCommitHistory("never-seen"));
  // The checkpoint carries the open decision only.
  Result<LogScan> scan = ScanDecisionLog(kDir, &fs_);
  ASSERT_TRUE(scan.ok());
  ASSERT_EQ(1u, scan->records.size());
  EXPECT_EQ(Gtrid(2), scan->records[0].record.gtrid);
}

TEST_F(DecisionLogTest, HeuristicCountsAsCommitHistory) {
  {
    auto log = MustOpen();
    ASSERT_TRUE(log->LogHeuristic(Gtrid(7), {"pg"}, "rolled back", 1).ok());
    EXPECT_TRUE(log->HasCommitHistory(Gtrid(7)));
  }
  auto log = MustOpen();
  EXPECT_TRUE(log->HasCommitHistory(Gtrid(7)));
}

TEST_F(DecisionLogTest, TombstonesAreBoundedOldestDroppedFirst) {
  {
    Result<std::unique_ptr<DecisionLog>> log = Open(&fs_, 4 << 20, 3);
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE((*log)->LogCommit(Gtrid(i), kResources, i).ok());
      ASSERT_TRUE((*log)->LogEnd(Gtrid(i), i, EndOrigin::kRecovery).ok());
    }
    ASSERT_TRUE((*log)->LogCommit(Gtrid(99), kResources, 99).ok());
    EXPECT_FALSE((*log)->HasCommitHistory(Gtrid(1)));
    EXPECT_TRUE((*log)->HasCommitHistory(Gtrid(2)));
  }
  Result<std::unique_ptr<DecisionLog>> log = Open(&fs_, 4 << 20, 3);
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(i >= 2, (*log)->HasCommitHistory(Gtrid(i))) << i;
  }
  // Carried by the new checkpoint: exactly the three newest.
  Result<LogScan> scan = ScanDecisionLog(kDir, &fs_);
  ASSERT_TRUE(scan.ok());
  size_t recovery_ends = 0;
  for (const ScannedRecord& r : scan->records) {
    recovery_ends += r.record.end_origin == EndOrigin::kRecovery;
  }
  EXPECT_EQ(3u, recovery_ends);
}

// --- Damage and torn tails ---

// A log whose one segment holds kRecords open COMMITs, with their offsets.
class DamagedLogTest : public DecisionLogTest {
 protected:
  static constexpr int kRecords = 10;

  void SetUp() override {
    // Hundreds of opens below; their torn-tail warnings are expected.
    Logger()->set_level(spdlog::level::err);
    {
      auto log = MustOpen();
      for (int i = 0; i < kRecords; ++i) {
        ASSERT_TRUE(log->LogCommit(Gtrid(i), kResources, i).ok());
      }
    }
    std::vector<std::string> segments = Segments();
    ASSERT_EQ(1u, segments.size());
    segment_ = segments[0];
    bytes_ = *fs_.Contents(SegmentPath());
    Result<LogScan> scan = ScanDecisionLog(kDir, &fs_);
    ASSERT_TRUE(scan.ok());
    ASSERT_EQ(static_cast<size_t>(kRecords), scan->records.size());
    for (const ScannedRecord& r : scan->records) offsets_.push_back(r.offset);
    // Each commit was a batch of its own, its header right before it.
    for (uint64_t offset : offsets_) {
      batches_.push_back(offset - kBatchHeaderSize);
    }
    identity_ = *fs_.Contents(std::string(kDir) + "/xatm-log.id");
  }

  void TearDown() override { SetLogger(nullptr); }

  std::string SegmentPath() const { return std::string(kDir) + "/" + segment_; }

  // A fresh machine whose log holds `bytes` as its only segment.
  std::unique_ptr<FaultFileSystem> MachineWith(const std::string& bytes) {
    auto fs = std::make_unique<FaultFileSystem>();
    EXPECT_TRUE(fs->CreateDirIfMissing(kDir).ok());
    fs->SetContents(std::string(kDir) + "/xatm-log.id", identity_);
    fs->SetContents(SegmentPath(), bytes);
    return fs;
  }

  // Opens, expects exactly the first `valid` commits, appends one more,
  // reopens and expects all of them.
  void ExpectPrefixThenCleanAppend(FaultFileSystem* fs, int valid,
                                   const std::string& what) {
    std::vector<std::string> expected;
    for (int i = 0; i < valid; ++i) expected.push_back(Gtrid(i));
    {
      auto log = MustOpen(fs);
      ASSERT_NE(nullptr, log) << what;
      ASSERT_EQ(expected, GtridsOf(log->OpenCommits())) << what;
      ASSERT_TRUE(log->LogCommit("after", kResources, 99).ok()) << what;
    }
    expected.push_back("after");
    auto log = MustOpen(fs);
    ASSERT_NE(nullptr, log) << what;
    ASSERT_EQ(expected, GtridsOf(log->OpenCommits())) << what;
  }

  std::string segment_;
  std::string bytes_;
  std::vector<uint64_t> offsets_;  // of the COMMIT frames
  std::vector<uint64_t> batches_;  // of the batches holding them
  std::string identity_;
};

TEST_F(DamagedLogTest, TruncationAtEveryByteOfLastThreeRecordsKeepsPrefix) {
  const uint64_t first_cut = batches_[kRecords - 3];
  for (uint64_t cut = first_cut; cut < bytes_.size(); ++cut) {
    int valid = 0;
    while (valid < kRecords && (valid + 1 < kRecords ? batches_[valid + 1]
                                                     : bytes_.size()) <= cut) {
      ++valid;
    }
    auto fs = MachineWith(bytes_.substr(0, cut));
    Result<LogScan> scan = ScanDecisionLog(kDir, fs.get());
    ASSERT_TRUE(scan.ok()) << cut;
    EXPECT_EQ(static_cast<size_t>(valid), scan->records.size());
    EXPECT_EQ(cut != batches_[valid], scan->torn_tail.has_value()) << cut;
    ExpectPrefixThenCleanAppend(fs.get(), valid,
                                "cut at " + std::to_string(cut));
    if (HasFatalFailure()) return;
  }
}

TEST_F(DamagedLogTest, EveryBitFlipInLastRecordKeepsPrefix) {
  for (uint64_t byte = batches_[kRecords - 1]; byte < bytes_.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = bytes_;
      damaged[byte] = static_cast<char>(damaged[byte] ^ (1 << bit));
      auto fs = MachineWith(damaged);
      Result<LogScan> scan = ScanDecisionLog(kDir, fs.get());
      ASSERT_TRUE(scan.ok()) << byte << ":" << bit;
      EXPECT_TRUE(scan->torn_tail.has_value());
      ExpectPrefixThenCleanAppend(
          fs.get(), kRecords - 1,
          "flip " + std::to_string(byte) + ":" + std::to_string(bit));
      if (HasFatalFailure()) return;
    }
  }
}

TEST_F(DamagedLogTest,
       ChecksumMismatchInTheMiddleIsDataLossWithSegmentAndOffset) {
  std::string damaged = bytes_;
  damaged[offsets_[4] + 12] ^= 0x20;
  auto fs = MachineWith(damaged);
  // Commit i is batch i + 2 (batch 1: the checkpoint).
  const std::string where =
      "segment " + segment_ + " offset " + std::to_string(batches_[4]) +
      ": batch checksum mismatch, followed by valid batch 7 at offset " +
      std::to_string(batches_[5]);
  Result<std::unique_ptr<DecisionLog>> log = Open(fs.get());
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(StatusCode::kDataLoss, log.status().code());
  EXPECT_EQ("decision log /log: " + where, log.status().message());
  Result<LogScan> scan = ScanDecisionLog(kDir, fs.get());
  ASSERT_FALSE(scan.ok());
  EXPECT_EQ(StatusCode::kDataLoss, scan.status().code());
  EXPECT_EQ(where, scan.status().message());
  // Nothing was changed: the damage is still there for an operator to see.
  EXPECT_EQ(damaged, *fs->Contents(SegmentPath()));
}

TEST_F(DamagedLogTest, HoleBeforeTheRestOfTheLastWriteIsATornTail) {
  // A power loss kept a later sector of the last (unacknowledged) write and
  // dropped an earlier one: zeros, then valid frames of that write.
  std::string holed = bytes_;
  std::fill(holed.begin() + static_cast<ptrdiff_t>(batches_[kRecords - 1]),
            holed.begin() + static_cast<ptrdiff_t>(offsets_[kRecords - 1]) + 4,
            '\0');
  auto fs = MachineWith(holed);
  Result<LogScan> scan = ScanDecisionLog(kDir, fs.get());
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  EXPECT_TRUE(scan->torn_tail.has_value());
  ExpectPrefixThenCleanAppend(fs.get(), kRecords - 1, "hole");
}

TEST_F(DamagedLogTest, HoleInAnAcknowledgedWriteIsDataLoss) {
  std::string holed = bytes_;
  std::fill(holed.begin() + static_cast<ptrdiff_t>(batches_[4]),
            holed.begin() + static_cast<ptrdiff_t>(offsets_[4]) + 4, '\0');
  auto fs = MachineWith(holed);
  Result<std::unique_ptr<DecisionLog>> log = Open(fs.get());
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(StatusCode::kDataLoss, log.status().code());
  EXPECT_NE(std::string::npos,
            log.status().message().find(
                "offset " + std::to_string(batches_[4]) + ": bad batch magic"))
      << log.status().message();
}

TEST_F(DamagedLogTest, DamagedSegmentHeaderBeforeRecordsIsDataLoss) {
  std::string damaged = bytes_;
  damaged[3] ^= 0x01;
  auto fs = MachineWith(damaged);
  Result<std::unique_ptr<DecisionLog>> log = Open(fs.get());
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(StatusCode::kDataLoss, log.status().code());
  EXPECT_NE(std::string::npos, log.status().message().find("offset 0:"));
}

TEST_F(DamagedLogTest, ObsoleteSegmentsAreNotReadAndAreDeleted) {
  auto fs = MachineWith(bytes_);
  const std::string old = std::string(kDir) + "/" + SegmentFileName(0);
  fs->SetContents(old, "not a log at all");
  Result<LogScan> scan = ScanDecisionLog(kDir, fs.get());
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  EXPECT_EQ(std::vector<std::string>{SegmentFileName(0)},
            scan->obsolete_segments);
  EXPECT_EQ(std::vector<std::string>{segment_}, scan->segments);
  ExpectPrefixThenCleanAppend(fs.get(), kRecords, "obsolete");
  EXPECT_FALSE(fs->Contents(old).has_value());
}

TEST_F(DamagedLogTest, InterruptedCheckpointsAfterATornSegmentAreReplayed) {
  // A crash tore the end of segment 1; the next start crashed while writing
  // segment 2's checkpoint, the one after that while creating segment 3.
  std::string seg2;
  AppendFrame(FrameType::kSegmentHeader, SegmentHeaderPayload(2), &seg2);
  ASSERT_TRUE(
      AppendRecordFrame(RecordType::kCommit, Gtrid(0), kResources, 0, "", &seg2)
          .ok());
  seg2 += "\x12\x34";
  auto fs = MachineWith(bytes_.substr(0, bytes_.size() - 3));
  fs->SetContents(std::string(kDir) + "/" + SegmentFileName(2), seg2);
  fs->SetContents(std::string(kDir) + "/" + SegmentFileName(3), "");
  Result<LogScan> scan = ScanDecisionLog(kDir, fs.get());
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  EXPECT_EQ(3u, scan->segments.size());
  ASSERT_TRUE(scan->torn_tail.has_value());
  ExpectPrefixThenCleanAppend(fs.get(), kRecords - 1, "interrupted");
  EXPECT_EQ(std::vector<std::string>{SegmentFileName(5)}, Segments(fs.get()));
}

TEST_F(DamagedLogTest, DamageInsideANewerSegmentIsDataLoss) {
  std::string seg2;
  AppendFrame(FrameType::kSegmentHeader, SegmentHeaderPayload(2), &seg2);
  const size_t bad = seg2.size();
  ASSERT_TRUE(
      AppendRecordFrame(RecordType::kCommit, Gtrid(0), kResources, 0, "", &seg2)
          .ok());
  seg2[bad + 12] ^= 1;
  ASSERT_TRUE(
      AppendRecordFrame(RecordType::kCommit, Gtrid(1), kResources, 1, "", &seg2)
          .ok());
  auto fs = MachineWith(bytes_);
  fs->SetContents(std::string(kDir) + "/" + SegmentFileName(2), seg2);
  Result<std::unique_ptr<DecisionLog>> log = Open(fs.get());
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(StatusCode::kDataLoss, log.status().code());
  EXPECT_NE(std::string::npos,
            log.status().message().find("segment " + SegmentFileName(2) +
                                        " offset " + std::to_string(bad)));
}

TEST_F(DamagedLogTest, ScanListsRecordsWithSegmentAndOffsetAndChangesNothing) {
  const std::vector<std::string> before = fs_.Files(kDir);
  Result<LogScan> scan = ScanDecisionLog(kDir, &fs_);
  ASSERT_TRUE(scan.ok());
  EXPECT_EQ(before, fs_.Files(kDir));
  EXPECT_EQ(bytes_, *fs_.Contents(SegmentPath()));
  EXPECT_EQ(std::vector<std::string>{segment_}, scan->segments);
  ASSERT_EQ(static_cast<size_t>(kRecords), scan->records.size());
  EXPECT_EQ(segment_, scan->records[3].segment);
  EXPECT_EQ(Gtrid(3), scan->records[3].record.gtrid);
  EXPECT_FALSE(scan->torn_tail.has_value());
  // No lock taken: the log can be opened while a scan's result is in use.
  EXPECT_TRUE(Open(&fs_).ok());
}

// --- Replay speed ---

TEST(DecisionLogReplayTest, ReplaysAMillionRecords) {
  TempDir tmp;
  FileSystem* fs = FileSystem::Default();
  ASSERT_TRUE(fs->CreateDirIfMissing(tmp.path()).ok());
  // 500,500 COMMITs and 499,500 ENDs, each END 1,000 COMMITs behind.
  constexpr int kTransactions = 500500, kLag = 1000;
  std::string bytes;
  bytes.reserve(size_t{80} << 20);
  AppendFrame(FrameType::kSegmentHeader, SegmentHeaderPayload(1), &bytes);
  AppendFrame(FrameType::kCheckpointEnd, CheckpointEndPayload(0), &bytes);
  for (int i = 0; i < kTransactions; ++i) {
    ASSERT_TRUE(AppendRecordFrame(RecordType::kCommit, Gtrid(i), kResources,
                                  1700000000000 + i, "", &bytes)
                    .ok());
    if (i >= kLag) {
      ASSERT_TRUE(AppendRecordFrame(RecordType::kEnd, Gtrid(i - kLag), {},
                                    1700000000000 + i, "", &bytes)
                      .ok());
    }
  }
  auto file = fs->NewWritableFile(tmp.path() + "/" + SegmentFileName(1));
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append(bytes).ok());
  ASSERT_TRUE((*file)->Close().ok());
  const size_t size = bytes.size();
  std::string().swap(bytes);

  const auto start = std::chrono::steady_clock::now();
  // A format-1 log without identity, as an older version left it: adopted.
  DecisionLogOptions adopt;
  adopt.create_if_missing = true;
  Result<std::unique_ptr<DecisionLog>> log =
      DecisionLog::Open(tmp.path(), adopt);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  std::printf("replayed %d records (%.1f MB) in %.3f s\n",
              2 * kTransactions - kLag, size / 1e6, seconds);
  RecordProperty("replay_seconds", std::to_string(seconds));
  // Only the last kLag commits have no END (ENDs lag by kLag).
  std::vector<DecisionRecord> open = (*log)->OpenCommits();
  ASSERT_EQ(static_cast<size_t>(kLag), open.size());
  EXPECT_EQ(Gtrid(kTransactions - kLag), open.front().gtrid);
  EXPECT_EQ(Gtrid(kTransactions - 1), open.back().gtrid);
  EXPECT_EQ(kResources, open.back().resources);
}

TEST_F(DecisionLogTest, SagaRecordsKeepTheLatestUntilTheirEndAcrossReopens) {
  {
    auto log = MustOpen();
    ASSERT_TRUE(log->LogSaga(Gtrid(1), "first of 1", false, true, 1).ok());
    ASSERT_TRUE(log->LogSaga(Gtrid(2), "first of 2", false, true, 2).ok());
    // Unforced, and seen by readers before it is written.
    ASSERT_TRUE(log->LogSaga(Gtrid(1), "second of 1", false, false, 3).ok());
    std::vector<DecisionRecord> open = log->OpenSagas();
    ASSERT_EQ(2u, open.size());
    EXPECT_EQ("second of 1", open[0].detail);
    ASSERT_TRUE(log->LogSaga(Gtrid(2), "end of 2", true, false, 4).ok());
    EXPECT_EQ(std::vector<std::string>{Gtrid(1)}, GtridsOf(log->OpenSagas()));
    // A forced record carries the unforced ones before it.
    ASSERT_TRUE(log->LogSaga(Gtrid(3), "first of 3", false, true, 5).ok());
    // Sagas are not decisions.
    EXPECT_TRUE(log->OpenCommits().empty());
  }
  auto log = MustOpen();
  std::vector<DecisionRecord> open = log->OpenSagas();
  ASSERT_EQ((std::vector<std::string>{Gtrid(1), Gtrid(3)}), GtridsOf(open));
  EXPECT_EQ("second of 1", open[0].detail);
  EXPECT_EQ(RecordType::kSaga, open[0].type);
}

TEST_F(DecisionLogTest, OpenSagasAreCarriedThroughCheckpointsOfNewSegments) {
  {
    auto log = MustOpen(&fs_, /*segment_bytes=*/512);
    ASSERT_TRUE(log->LogSaga(Gtrid(1), "kept", false, true, 1).ok());
    for (int i = 2; i < 60; ++i) {
      ASSERT_TRUE(
          log->LogSaga(Gtrid(i), std::string(40, 'x'), false, true, i).ok());
      ASSERT_TRUE(log->LogSaga(Gtrid(i), "done", true, true, i).ok());
    }
  }
  EXPECT_EQ(1u, Segments().size());
  auto log = MustOpen(&fs_, 512);
  std::vector<DecisionRecord> open = log->OpenSagas();
  ASSERT_EQ(std::vector<std::string>{Gtrid(1)}, GtridsOf(open));
  EXPECT_EQ("kept", open[0].detail);
}

TEST_F(DecisionLogTest, FlushMakesUnforcedRecordsSurviveAPowerLoss) {
  auto log = MustOpen();
  const uint64_t syncs = fs_.file_syncs();
  ASSERT_TRUE(log->LogSaga(Gtrid(1), "kept", false, false, 1).ok());
  EXPECT_EQ(fs_.file_syncs(), syncs) << "an unforced record was synced";
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(fs_.file_syncs(), syncs + 1);
  ASSERT_TRUE(log->Flush().ok());  // nothing new: no sync
  EXPECT_EQ(fs_.file_syncs(), syncs + 1);
  ASSERT_TRUE(log->LogSaga(Gtrid(2), "lost", false, false, 2).ok());
  // The machine stops with the log still open.
  fs_.SimulatePowerLoss(UnsyncedData::kDrop);
  auto reopened = MustOpen();
  EXPECT_EQ(std::vector<std::string>{Gtrid(1)},
            GtridsOf(reopened->OpenSagas()));
}

}  // namespace
}  // namespace xatm
