#include "tm/log/decision_log_impl.h"

#include <algorithm>
#include <utility>

#include "tm/log/batch.h"
#include "tm/log/log_replay.h"
#include "tm/log/record_codec.h"
#include "tm/log/segment.h"
#include "xatm/logging.h"

namespace xatm {
namespace {

// Unforced records (ENDs) wait for the next batch of forced ones and share
// its write; this many bytes of them alone are written (and synced, like
// every batch) without waiting.
constexpr size_t kUnforcedWriteBytes = 4096;

}  // namespace

DecisionLogImpl::DecisionLogImpl(std::string dir, FileSystem* fs,
                                 uint64_t segment_bytes,
                                 std::unique_ptr<FileLock> lock,
                                 OpenDecisions decisions)
    : dir_(std::move(dir)),
      fs_(fs),
      segment_bytes_(segment_bytes),
      lock_(std::move(lock)),
      decisions_(std::move(decisions)) {}

DecisionLogImpl::~DecisionLogImpl() {
  std::unique_lock<std::mutex> lock(mu_);
  // A clean close makes the unforced records (ENDs) durable too.
  if (file_ != nullptr && failed_.ok() &&
      (!queue_.empty() || written_ > synced_)) {
    last_forced_ = enqueued_;
    WriteQueue(lock);
  }
  if (file_ != nullptr) {
    Status closed = file_->Close();
    if (!closed.ok()) {
      Logger()->warn("decision log {}: {}", dir_, closed.ToString());
    }
  }
}

Status DecisionLogImpl::Start(uint64_t seq) {
  Status started = StartSegment(seq);
  if (!started.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    Fail(started);
  }
  return started;
}

Status DecisionLogImpl::LogCommit(const std::string& gtrid,
                                  const std::vector<std::string>& resources,
                                  int64_t time_ms) {
  DecisionRecord record;
  record.type = RecordType::kCommit;
  record.gtrid = gtrid;
  record.resources = resources;
  record.time_ms = time_ms;
  return Submit(std::move(record), /*forced=*/true);
}

Status DecisionLogImpl::LogEnd(const std::string& gtrid, int64_t time_ms,
                               EndOrigin origin) {
  DecisionRecord record;
  record.type = RecordType::kEnd;
  record.gtrid = gtrid;
  record.time_ms = time_ms;
  record.end_origin = origin;
  return Submit(std::move(record), /*forced=*/false);
}

Status DecisionLogImpl::LogHeuristic(const std::string& gtrid,
                                     const std::vector<std::string>& resources,
                                     const std::string& detail,
                                     int64_t time_ms) {
  DecisionRecord record;
  record.type = RecordType::kHeuristic;
  record.gtrid = gtrid;
  record.resources = resources;
  record.time_ms = time_ms;
  record.detail = detail;
  return Submit(std::move(record), /*forced=*/true);
}

Status DecisionLogImpl::LogSaga(const std::string& saga_id,
                                const std::string& snapshot, bool final,
                                bool forced, int64_t time_ms) {
  DecisionRecord record;
  record.type = final ? RecordType::kSagaEnd : RecordType::kSaga;
  record.gtrid = saga_id;
  record.time_ms = time_ms;
  record.detail = snapshot;
  return Submit(std::move(record), forced);
}

std::vector<DecisionRecord> DecisionLogImpl::OpenSagas() const {
  std::lock_guard<std::mutex> lock(decisions_mu_);
  std::vector<DecisionRecord> sagas = decisions_.Sagas();
  if (pending_sagas_.empty()) return sagas;
  std::vector<DecisionRecord> out;
  std::unordered_set<std::string> seen;
  for (DecisionRecord& r : sagas) {
    seen.insert(r.gtrid);
    auto pending = pending_sagas_.find(r.gtrid);
    if (pending == pending_sagas_.end()) {
      out.push_back(std::move(r));
    } else if (pending->second.latest.type == RecordType::kSaga) {
      out.push_back(pending->second.latest);
    }
  }
  for (const auto& [id, pending] : pending_sagas_) {
    if (seen.count(id) == 0 && pending.latest.type == RecordType::kSaga) {
      out.push_back(pending.latest);
    }
  }
  return out;
}

Status DecisionLogImpl::Submit(DecisionRecord record, bool forced) {
  // Encoded before taking mu_, into a buffer each thread keeps.
  thread_local std::string frame;
  frame.clear();
  XATM_RETURN_IF_ERROR(AppendRecordFrame(record, &frame));

  std::unique_lock<std::mutex> lock(mu_);
  if (!failed_.ok()) return StickyError();
  if (record.type == RecordType::kEnd) {
    std::lock_guard<std::mutex> decisions_lock(decisions_mu_);
    ending_.insert(record.gtrid);
  } else if (record.type == RecordType::kSaga ||
             record.type == RecordType::kSagaEnd) {
    std::lock_guard<std::mutex> decisions_lock(decisions_mu_);
    PendingSaga& pending = pending_sagas_[record.gtrid];
    ++pending.queued;
    pending.latest = record;
  }
  if (queue_.empty()) BeginBatch(&queue_);
  queue_.append(frame);
  queue_records_.push_back(std::move(record));
  const uint64_t ticket = ++enqueued_;
  if (!forced) {
    // Never waited for, and written with the next forced batch (or at the
    // close) rather than by a write of its own: a lost END only makes
    // recovery check the branches once more.
    if (!writing_ && queue_.size() >= kUnforcedWriteBytes) WriteQueue(lock);
    return failed_.ok() ? Status::Ok() : StickyError();
  }
  return WaitSynced(lock, ticket);
}

Status DecisionLogImpl::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  if (!failed_.ok()) return StickyError();
  if (synced_ >= enqueued_) return Status::Ok();
  return WaitSynced(lock, enqueued_);
}

Status DecisionLogImpl::WaitSynced(std::unique_lock<std::mutex>& lock,
                                   uint64_t ticket) {
  last_forced_ = std::max(last_forced_, ticket);
  // Carried by the batch being written now, when it took the record (a
  // Flush of unforced records), else by the next batch taken from the
  // queue: this caller's own, or the one after the batch being written.
  const uint64_t batch =
      writing_ && ticket <= writing_upto_ ? batches_ : batches_ + 1;
  while (synced_ < ticket && failed_.ok()) {
    if (!writing_) {
      WriteQueue(lock);  // our record is still queued: it goes now
      continue;
    }
    const uint32_t seen = waiters_.Enter(batch);
    lock.unlock();
    waiters_.Wait(batch, seen);
    lock.lock();
    waiters_.Leave(batch);
  }
  // Acknowledged only through a sync that covered the record; a failure
  // after that sync does not undo it.
  return synced_ >= ticket ? Status::Ok() : StickyError();
}

void DecisionLogImpl::WriteQueue(std::unique_lock<std::mutex>& lock) {
  writing_ = true;
  const uint64_t batch = ++batches_;
  batch_.clear();
  batch_.swap(queue_);  // the queue keeps the old buffer's capacity
  batch_records_.clear();
  batch_records_.swap(queue_records_);
  const uint64_t upto = enqueued_;
  writing_upto_ = upto;
  lock.unlock();

  // Every batch is synced before the next is written, unforced ENDs too:
  // so a valid batch proves the ones before it acknowledged, and a reader
  // can tell a torn last write from damage (log_format.h).
  Status status;
  if (batch_.size() - kBatchHeaderSize > kMaxBatchBody) {
    // Far beyond any real queue; a reader would take it for damage.
    status = Status::Internal("batch of " + std::to_string(batch_.size()) +
                              " bytes exceeds the format's limit");
  } else {
    SealBatch(++batch_seq_, &batch_);
    status = file_->Append(batch_);
    if (status.ok()) status = file_->Sync();
  }
  bool roll = false;
  if (status.ok()) {
    if (metrics_ != nullptr) metrics_->CountLogSync(batch_records_.size());
    segment_size_ += batch_.size();
    roll = segment_size_ - checkpoint_size_ >= segment_bytes_;
    std::lock_guard<std::mutex> decisions_lock(decisions_mu_);
    for (DecisionRecord& r : batch_records_) {
      if (r.type == RecordType::kEnd) {
        auto it = ending_.find(r.gtrid);
        if (it != ending_.end()) ending_.erase(it);
      } else if (r.type == RecordType::kSaga ||
                 r.type == RecordType::kSagaEnd) {
        auto it = pending_sagas_.find(r.gtrid);
        if (it != pending_sagas_.end() && --it->second.queued == 0) {
          pending_sagas_.erase(it);
        }
      }
      decisions_.Apply(std::move(r));
    }
  }

  lock.lock();
  bool wake_covered = false;
  if (status.ok()) {
    written_ = upto;
    synced_ = upto;
    wake_covered = waiters_.Advance(batch);
    if (roll) {
      // The callers this batch covered go before the rollover.
      lock.unlock();
      if (wake_covered) waiters_.WakeAll(batch);
      wake_covered = false;
      status = StartSegment(seq_ + 1);
      lock.lock();
    }
  }
  if (!status.ok()) Fail(status);
  writing_ = false;
  // Forced records queued meanwhile: one of their callers writes them next
  // (unless a new caller comes first). It is woken before the callers this
  // batch covered, so that the next sync overlaps their wake-ups.
  const bool wake_lead =
      last_forced_ > synced_ && failed_.ok() && waiters_.Advance(batch + 1);
  if (wake_lead || wake_covered) {
    lock.unlock();
    if (wake_lead) waiters_.WakeOne(batch + 1);
    if (wake_covered) waiters_.WakeAll(batch);
    lock.lock();
  }
}

Status DecisionLogImpl::StartSegment(uint64_t seq) {
  const std::string name = SegmentFileName(seq);
  const std::string path = dir_ + "/" + name;
  XATM_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file,
                        fs_->NewWritableFile(path));
  // The file must outlive a crash before anything in it is acknowledged.
  XATM_RETURN_IF_ERROR(fs_->SyncDir(dir_));

  // Only the writer changes decisions_, and that is us: no lock needed.
  std::string checkpoint;
  BeginBatch(&checkpoint);
  AppendFrame(FrameType::kSegmentHeader,
              SegmentHeaderPayload(seq, kFormatVersion2), &checkpoint);
  Status encoded;
  decisions_.ForEachCarried([&](const DecisionRecord& r) {
    if (encoded.ok()) encoded = AppendRecordFrame(r, &checkpoint);
  });
  XATM_RETURN_IF_ERROR(encoded);
  AppendFrame(FrameType::kCheckpointEnd,
              CheckpointEndPayload(decisions_.carried()), &checkpoint);
  SealBatch(1, &checkpoint);
  XATM_RETURN_IF_ERROR(file->Append(checkpoint));
  XATM_RETURN_IF_ERROR(file->Sync());

  if (file_ != nullptr) {
    Status closed = file_->Close();
    if (!closed.ok()) {
      // Its contents were synced before the switch; nothing is lost.
      Logger()->warn("decision log {}: {}", dir_, closed.ToString());
    }
  }
  file_ = std::move(file);
  seq_ = seq;
  batch_seq_ = 1;
  segment_size_ = checkpoint.size();
  checkpoint_size_ = checkpoint.size();
  Logger()->debug("decision log {}: started {} with {} open decisions", dir_,
                  name, decisions_.size());

  // The new checkpoint makes older segments obsolete; deleting them is
  // housekeeping, and one left behind is skipped by the next replay.
  DeleteSegmentsBefore(seq);
  return Status::Ok();
}

void DecisionLogImpl::DeleteSegmentsBefore(uint64_t seq) {
  Result<std::vector<SegmentRef>> segments = ListSegments(fs_, dir_);
  if (!segments.ok()) {
    Logger()->warn("decision log {}: {}", dir_, segments.status().ToString());
    return;
  }
  bool deleted = false;
  for (const SegmentRef& segment : *segments) {
    if (segment.seq >= seq) break;
    Status status = fs_->DeleteFile(dir_ + "/" + segment.name);
    if (status.ok()) {
      deleted = true;
    } else if (status.code() != StatusCode::kNotFound) {
      Logger()->warn("decision log {}: {}", dir_, status.ToString());
    }
  }
  if (!deleted) return;
  Status synced = fs_->SyncDir(dir_);
  if (!synced.ok())
    Logger()->warn("decision log {}: {}", dir_, synced.ToString());
}

void DecisionLogImpl::Fail(const Status& status) {
  if (!failed_.ok()) return;
  failed_ = status;
  queue_.clear();
  queue_records_.clear();
  {
    std::lock_guard<std::mutex> decisions_lock(decisions_mu_);
    ending_.clear();  // those ENDs never reach the file
  }
  // Every caller still waiting returns the error. Rare: woken under mu_.
  for (uint64_t batch : {batches_, batches_ + 1}) {
    if (waiters_.Advance(batch)) waiters_.WakeAll(batch);
  }
  if (metrics_ != nullptr) metrics_->SetLogFailed(true);
  Logger()->error("decision log {} failed, refusing every further record: {}",
                  dir_, status.ToString());
}

Status DecisionLogImpl::StickyError() const {
  return Status::FailedPrecondition("decision log failed earlier: " +
                                    failed_.ToString());
}

std::vector<DecisionRecord> DecisionLogImpl::OpenCommits() const {
  std::lock_guard<std::mutex> lock(decisions_mu_);
  std::vector<DecisionRecord> open = decisions_.List();
  open.erase(std::remove_if(open.begin(), open.end(),
                            [&](const DecisionRecord& r) {
                              return ending_.count(r.gtrid) != 0;
                            }),
             open.end());
  return open;
}

std::optional<DecisionRecord> DecisionLogImpl::FindOpenCommit(
    const std::string& gtrid) const {
  std::lock_guard<std::mutex> lock(decisions_mu_);
  if (ending_.count(gtrid) != 0) return std::nullopt;
  return decisions_.Find(gtrid);
}

bool DecisionLogImpl::HasCommitHistory(const std::string& gtrid) const {
  // A decision whose END is still queued counts: it was committed, and a
  // recovery END becomes a tombstone once written.
  std::lock_guard<std::mutex> lock(decisions_mu_);
  return decisions_.HasCommitHistory(gtrid);
}

void DecisionLogImpl::AttachMetrics(Metrics* metrics) {
  std::lock_guard<std::mutex> lock(mu_);
  metrics_ = metrics;
  metrics_->SetLogFailed(!failed_.ok());
}

Status DecisionLogImpl::health() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failed_.ok() ? Status::Ok() : StickyError();
}

}  // namespace xatm
