// DecisionLog::Open: lock, replay, new segment.
#include "tm/decision_log.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "tm/log/decision_log_impl.h"
#include "tm/log/log_replay.h"
#include "tm/log/open_decisions.h"

namespace xatm {
namespace {

class DecisionsBuilder final : public RecordVisitor {
 public:
  explicit DecisionsBuilder(OpenDecisions* decisions) : decisions_(decisions) {}
  void OnRecord(const std::string& /*segment*/, uint64_t /*offset*/,
                const RecordView& record) override {
    decisions_->Apply(record);
  }

 private:
  OpenDecisions* decisions_;
};

// The holder's pid is in the lock file (see FileSystem::LockFile).
Status InUseError(FileSystem* fs, const std::string& dir,
                  const std::string& lock_path) {
  std::string pid = "unknown";
  Result<std::string> contents = fs->ReadFile(lock_path);
  if (contents.ok()) {
    const long value = std::strtol(contents->c_str(), nullptr, 10);
    if (value > 0) pid = std::to_string(value);
  }
  if (pid == std::to_string(::getpid())) {
    return Status::FailedPrecondition("decision log " + dir +
                                      " is already open in this process (pid " +
                                      pid + ")");
  }
  return Status::FailedPrecondition("decision log " + dir +
                                    " is in use by another process (pid " +
                                    pid + ")");
}

}  // namespace

const char* RecordTypeName(RecordType type) {
  switch (type) {
    case RecordType::kCommit:
      return "COMMIT";
    case RecordType::kEnd:
      return "END";
    case RecordType::kHeuristic:
      return "HEURISTIC";
  }
  return "UNKNOWN";
}

Result<std::unique_ptr<DecisionLog>> DecisionLog::Open(
    const std::string& dir, const DecisionLogOptions& options) {
  FileSystem* fs = options.fs != nullptr ? options.fs : FileSystem::Default();
  const std::string context = "decision log " + dir;
  Status created = fs->CreateDirIfMissing(dir);
  if (!created.ok()) return created.WithContext(context);

  const std::string lock_path = dir + "/LOCK";
  Result<std::unique_ptr<FileLock>> lock = fs->LockFile(lock_path);
  if (!lock.ok()) {
    if (lock.status().code() == StatusCode::kFailedPrecondition) {
      return InUseError(fs, dir, lock_path);
    }
    return lock.status().WithContext(context);
  }

  OpenDecisions decisions;
  DecisionsBuilder builder(&decisions);
  Result<ReplayResult> replay = ReplayLog(fs, dir, &builder);
  if (!replay.ok()) return replay.status().WithContext(context);
  for (const std::string& torn : replay->torn_tails) {
    spdlog::warn("{}: ignored torn tail in {}", context, torn);
  }

  // Never append after a torn tail: a new segment, starting with a
  // checkpoint that carries the open decisions forward.
  const size_t open_count = decisions.size();
  auto log = std::make_unique<DecisionLogImpl>(
      dir, fs, std::max<uint64_t>(options.segment_bytes, 1), std::move(*lock),
      std::move(decisions));
  Status started = log->Start(replay->next_seq);
  if (!started.ok()) return started.WithContext(context);
  spdlog::info("{}: replayed {} records from {} segments, {} open decisions",
               context, replay->records, replay->replayed.size(), open_count);
  return std::unique_ptr<DecisionLog>(std::move(log));
}

}  // namespace xatm
