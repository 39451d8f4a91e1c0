// The DecisionLog behind DecisionLog::Open: group commit, rollover and the
// sticky failure.
//
// Group commit: callers append their encoded frame to a shared queue under
// the mutex. When no write is in progress, a caller becomes the writer: it
// takes the whole queue (a batch, framed as in log_format.h), writes it
// with one Append and one Sync. Then it wakes one caller of the
// next batch, which writes what queued up meanwhile, and then, with one
// call, every caller the sync covered. A lone caller therefore writes at
// once, with no timer. Unforced records (ENDs) ride with the next batch.
//
// Locks: mu_ for the queue, the counters and the waiters, decisions_mu_
// alone for the open decisions. The writer does its I/O, applies the batch
// and wakes callers without holding mu_, so that new callers queue
// meanwhile.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "tm/log/batch_waiters.h"
#include "tm/log/open_decisions.h"
#include "xatm/decision_log.h"
#include "xatm/file_system.h"

namespace xatm {

class DecisionLogImpl final : public DecisionLog {
 public:
  DecisionLogImpl(std::string dir, FileSystem* fs, uint64_t segment_bytes,
                  std::unique_ptr<FileLock> lock, OpenDecisions decisions);
  ~DecisionLogImpl() override;

  // Writes segment `seq` with a checkpoint of the open decisions and deletes
  // older segments. Called once by Open before the log is shared.
  Status Start(uint64_t seq);

  Status LogCommit(const std::string& gtrid,
                   const std::vector<std::string>& resources,
                   int64_t time_ms) override;
  Status LogEnd(const std::string& gtrid, int64_t time_ms,
                EndOrigin origin = EndOrigin::kCoordinator) override;
  Status LogHeuristic(const std::string& gtrid,
                      const std::vector<std::string>& resources,
                      const std::string& detail, int64_t time_ms) override;

  Status LogSaga(const std::string& saga_id, const std::string& snapshot,
                 bool final, bool forced, int64_t time_ms) override;
  std::vector<DecisionRecord> OpenSagas() const override;
  Status Flush() override;

  std::vector<DecisionRecord> OpenCommits() const override;
  std::optional<DecisionRecord> FindOpenCommit(
      const std::string& gtrid) const override;
  bool HasCommitHistory(const std::string& gtrid) const override;
  Status health() const override;
  void AttachMetrics(Metrics* metrics) override;

 private:
  Status Submit(DecisionRecord record, bool forced);
  // Until every record up to `ticket` is synced (writing the queue when no
  // one else is). REQUIRES: mu_ held through `lock`.
  Status WaitSynced(std::unique_lock<std::mutex>& lock, uint64_t ticket);
  // Writes the queue as one batch. REQUIRES: mu_ held, !writing_.
  void WriteQueue(std::unique_lock<std::mutex>& lock);
  // New segment + checkpoint + deletion of older ones. REQUIRES: the caller
  // is the writer (or the log is not shared yet); mu_ not held.
  Status StartSegment(uint64_t seq);
  void DeleteSegmentsBefore(uint64_t seq);
  // Records the first failure and wakes every waiter. REQUIRES: mu_ held.
  void Fail(const Status& status);
  Status StickyError() const;  // REQUIRES: mu_ held, failed_ not OK

  const std::string dir_;
  FileSystem* const fs_;
  const uint64_t segment_bytes_;
  // Declared before file_, so destroyed after it: the directory stays ours
  // until the segment is closed.
  std::unique_ptr<FileLock> lock_;

  // Owned by the writer; only it touches these.
  std::unique_ptr<WritableFile> file_;
  uint64_t seq_ = 0;
  uint64_t batch_seq_ = 0;        // of the last batch in the segment
  uint64_t segment_size_ = 0;     // bytes in the current segment
  uint64_t checkpoint_size_ = 0;  // of which the header and checkpoint
  std::string batch_;             // the queue being written
  std::vector<DecisionRecord> batch_records_;
  Metrics* metrics_ = nullptr;  // set before the log is shared; may stay null

  mutable std::mutex mu_;
  // Guarded by mu_. Tickets number the records in queue order.
  bool writing_ = false;
  uint64_t writing_upto_ = 0;  // last ticket of the batch being written
  uint64_t batches_ = 0;       // batches taken from the queue so far
  BatchWaiters waiters_;
  std::string queue_;  // encoded frames not yet written
  std::vector<DecisionRecord> queue_records_;
  uint64_t enqueued_ = 0;     // last ticket handed out
  uint64_t last_forced_ = 0;  // last ticket of a COMMIT or HEURISTIC
  uint64_t written_ = 0;      // every ticket up to this was appended
  uint64_t synced_ = 0;       // every ticket up to this is durable
  Status failed_;             // the first failure; OK while healthy
  // Applied once written: what the log on disk says. Modified only by the
  // writer, under decisions_mu_, so the writer may read it without it.
  mutable std::mutex decisions_mu_;
  OpenDecisions decisions_;
  // Gtrids whose END is queued but not yet applied, guarded by
  // decisions_mu_: already closed for readers, so a finished transaction
  // never looks undecided to the sweeper (which would END it again).
  std::unordered_multiset<std::string> ending_;
  // Sagas with SAGA / SAGA-END records queued but not yet applied, guarded
  // by decisions_mu_: readers see the latest (a finished saga is never
  // driven again because its END still waits for a writer).
  struct PendingSaga {
    uint64_t queued = 0;
    DecisionRecord latest;
  };
  std::unordered_map<std::string, PendingSaga> pending_sagas_;
};

}  // namespace xatm
