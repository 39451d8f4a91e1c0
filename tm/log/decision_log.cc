// DecisionLog::Open: lock, replay, new segment.
#include "xatm/decision_log.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "tm/log/decision_log_impl.h"
#include "tm/log/log_identity.h"
#include "tm/log/log_replay.h"
#include "tm/log/open_decisions.h"
#include "xatm/logging.h"

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

constexpr char kHowToCreate[] =
    "run `xatm init` to create it (library: "
    "DecisionLogOptions::create_if_missing), or correct log_dir";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Whether any segment is in format 2, written by a version that also wrote
// an identity.
Result<bool> AnySegmentHasBatches(FileSystem* fs, const std::string& dir,
                                  const std::vector<SegmentRef>& segments) {
  for (const SegmentRef& segment : segments) {
    XATM_ASSIGN_OR_RETURN(std::string bytes,
                          fs->ReadFile(dir + "/" + segment.name));
    if (SegmentFormat(bytes) == kFormatVersion2) return true;
  }
  return false;
}

// What Open does about the identity.
enum class Creation {
  kNone,    // the log has its identity
  kFresh,   // a new log: the identity goes in place after the first segment
  kFinish,  // a creation cut short: segments without a record, a temporary
            // identity of this node; goes in place after the next segment
  kAdopt,   // a format-1 log from before identities, adopted on request
};

// The identity rules of DecisionLogOptions. REQUIRES: the directory exists
// and is locked.
Result<Creation> PlanIdentity(FileSystem* fs, const std::string& dir,
                              const DecisionLogOptions& options) {
  const std::string context = "decision log " + dir;
  Result<std::optional<LogIdentity>> identity = ReadLogIdentity(fs, dir);
  if (!identity.ok()) return identity.status().WithContext(context);
  Result<std::vector<SegmentRef>> segments = ListSegments(fs, dir);
  if (!segments.ok()) return segments.status().WithContext(context);

  if (identity->has_value()) {
    const LogIdentity& id = **identity;
    if (id.node_id != options.node_id) {
      return Status::FailedPrecondition(
          context + " belongs to node " + id.node_id + ", this is node " +
          options.node_id + "; point log_dir at this node's own log");
    }
    if (segments->empty()) {
      return Status::FailedPrecondition(
          context + " has its identity (node " + id.node_id + ", created " +
          std::to_string(id.created_ms) +
          " ms since the epoch) but no segment: its decisions are lost; "
          "restore the segments (refusing to start with no decisions)");
    }
    return Creation::kNone;
  }
  if (segments->empty()) {
    if (!options.create_if_missing) {
      return Status::FailedPrecondition(
          context + " is empty (no identity file " + kLogIdentityFile +
          ", no segment); " + kHowToCreate);
    }
    return Creation::kFresh;
  }
  Result<std::optional<LogIdentity>> temp =
      ReadLogIdentity(fs, dir, kLogIdentityTempFile);
  if (options.create_if_missing && temp.ok() && temp->has_value() &&
      (*temp)->node_id == options.node_id) {
    return Creation::kFinish;  // Open checks that no record was written
  }
  // Segments of format 2 without an identity: it was lost; no guessing.
  Result<bool> newer = AnySegmentHasBatches(fs, dir, *segments);
  if (!newer.ok()) return newer.status().WithContext(context);
  if (!*newer && options.create_if_missing) return Creation::kAdopt;
  return Status::FailedPrecondition(
      context + " has segments but no identity file " + kLogIdentityFile +
      (*newer ? "; restore it (refusing to guess whose log this is)"
              : " (a log from an older version); run `xatm init` to adopt "
                "it as this node's"));
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
    case RecordType::kSaga:
      return "SAGA";
    case RecordType::kSagaEnd:
      return "SAGA-END";
  }
  return "UNKNOWN";
}

namespace {

std::string OctalMode(unsigned mode) {
  char text[8];
  std::snprintf(text, sizeof(text), "%04o", mode);
  return text;
}

// The log is its owner's alone: whoever else can write there can forge or
// erase decisions (refused); whoever can read it learns which transactions
// exist (a warning). `make_private`: init, which owns it, fixes both.
Status CheckPrivate(FileSystem* fs, const std::string& dir, bool make_private) {
  Result<std::vector<FileSystem::OpenEntry>> open =
      fs->OpenToOthers(dir, make_private);
  if (!open.ok()) return open.status().WithContext("decision log " + dir);
  for (const FileSystem::OpenEntry& e : *open) {
    if (e.writable) {
      return Status::FailedPrecondition(
          "decision log " + dir + ": " + e.path +
          " is writable by other users (mode " + OctalMode(e.mode) +
          "), who could forge or erase decisions; refusing it. Make it its "
          "owner's alone: chmod -R go-rwx " +
          dir + " (xatm init does this for its owner)");
    }
    Logger()->warn(
        "decision log {}: {} is readable by other users (mode {}); make it "
        "its owner's alone: chmod -R go-rwx {} (xatm init does this for its "
        "owner)",
        dir, e.path, OctalMode(e.mode), dir);
  }
  return Status::Ok();
}

}  // namespace

bool DecisionLog::Holds(const Xid& xid, const std::string& self) const {
  if (xid.home.empty()) return xid.node == self;
  return xid.home == home() && (shared() || xid.node == self);
}

std::string DecisionLog::DescribeHome(const Xid& xid) {
  if (xid.home.empty()) {
    return "the decision log of node " + xid.node + " (a gtrid without home)";
  }
  if (xid.home == "f") return "the own decision log of node " + xid.node;
  if (xid.home[0] == 'd') return "decision store " + xid.home;
  return "decision home " + xid.home;
}

const std::string& DecisionLog::carrier() const {
  static const std::string kNone;
  return kNone;
}

Status DecisionLog::CommitCarrying(Branch& branch, const std::string& gtrid,
                                   const std::vector<std::string>& resources,
                                   int64_t time_ms) {
  (void)branch, (void)resources, (void)time_ms;
  return Status::FailedPrecondition("xid=" + gtrid +
                                    ": this decision log carries no branch");
}

Status DecisionLog::LogCommitAfterTheFact(
    const std::string& gtrid, const std::vector<std::string>& resources,
    int64_t time_ms) {
  return LogCommit(gtrid, resources, time_ms);
}

Status DecisionLog::WithdrawAbort(const std::string& gtrid,
                                  const std::vector<std::string>& resources,
                                  int64_t time_ms) {
  return LogCommitAfterTheFact(gtrid, resources, time_ms);
}

Status DecisionLog::LogSaga(const std::string& saga_id, const std::string&,
                            bool, bool, int64_t) {
  return Status::FailedPrecondition("saga " + saga_id +
                                    ": this decision log keeps no sagas");
}

Result<bool> DecisionLog::ClaimAbort(const std::string& gtrid) {
  (void)gtrid;
  Status s = health();
  if (!s.ok())
    return s.WithContext("decision log failed: cannot presume abort");
  return true;
}

Result<std::unique_ptr<DecisionLog>> DecisionLog::Open(
    const std::string& dir, const DecisionLogOptions& options) {
  FileSystem* fs = options.fs != nullptr ? options.fs : FileSystem::Default();
  const std::string context = "decision log " + dir;
  Result<std::vector<std::string>> listed = fs->ListDir(dir);
  if (!listed.ok()) {
    if (listed.status().code() != StatusCode::kNotFound) {
      return listed.status().WithContext(context);
    }
    if (!options.create_if_missing) {
      return Status::FailedPrecondition(
          context + ": the directory does not exist; " + kHowToCreate);
    }
    Status created = fs->CreateDirIfMissing(dir);
    if (!created.ok()) return created.WithContext(context);
  }

  const std::string lock_path = dir + "/LOCK";
  Result<std::unique_ptr<FileLock>> lock = fs->LockFile(lock_path);
  if (!lock.ok()) {
    if (lock.status().code() == StatusCode::kFailedPrecondition) {
      return InUseError(fs, dir, lock_path);
    }
    return lock.status().WithContext(context);
  }

  XATM_RETURN_IF_ERROR(CheckPrivate(fs, dir, options.create_if_missing));

  XATM_ASSIGN_OR_RETURN(Creation creation, PlanIdentity(fs, dir, options));
  if (creation == Creation::kFresh || creation == Creation::kAdopt) {
    LogIdentity identity;
    identity.node_id = options.node_id;
    identity.created_ms = NowMs();
    Status written = WriteTempLogIdentity(fs, dir, identity);
    if (written.ok() && creation == Creation::kAdopt) {
      written = InstallLogIdentity(fs, dir);  // its segments are there
    }
    if (!written.ok()) return written.WithContext(context);
  }

  OpenDecisions decisions(options.max_tombstones);
  DecisionsBuilder builder(&decisions);
  Result<ReplayResult> replay = ReplayLog(fs, dir, &builder);
  if (!replay.ok()) return replay.status().WithContext(context);
  for (const std::string& torn : replay->torn_tails) {
    Logger()->warn("{}: ignored torn tail in {}", context, torn);
  }
  if (creation == Creation::kFinish && replay->records != 0) {
    return Status::FailedPrecondition(
        context + " has segments holding decisions but no identity file " +
        kLogIdentityFile + "; restore it (refusing to guess)");
  }

  // Never append after a torn tail: a new segment, starting with a
  // checkpoint that carries the open decisions forward.
  const size_t open_count = decisions.size();
  auto log = std::make_unique<DecisionLogImpl>(
      dir, fs, std::max<uint64_t>(options.segment_bytes, 1), std::move(*lock),
      std::move(decisions));
  Status started = log->Start(replay->next_seq);
  if (!started.ok()) return started.WithContext(context);
  if (creation == Creation::kFresh || creation == Creation::kFinish) {
    // Only now, with a segment durable: never an identity without one.
    Status installed = InstallLogIdentity(fs, dir);
    if (!installed.ok()) return installed.WithContext(context);
    Logger()->info("{}: created for node {}", context, options.node_id);
  } else if (creation == Creation::kAdopt) {
    Logger()->warn("{}: adopted a log without identity for node {}", context,
                   options.node_id);
  }
  // Opened at every pass of `xatm serve`: worth a line only when something
  // is left to finish.
  Logger()->log(open_count > 0 ? spdlog::level::info : spdlog::level::debug,
                "{}: replayed {} records from {} segments, {} open decisions",
                context, replay->records, replay->replayed.size(), open_count);
  return std::unique_ptr<DecisionLog>(std::move(log));
}

}  // namespace xatm
