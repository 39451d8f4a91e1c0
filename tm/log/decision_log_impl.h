// The DecisionLog behind DecisionLog::Open: group commit, rollover and the
// sticky failure.
//
// Group commit: callers append their encoded frame to a shared queue under
// the mutex. When no write is in progress, a caller becomes the writer: it
// takes the whole queue, writes it with one Append and, when the queue held a
// forced record, one Sync. Then it wakes exactly the callers that sync
// covered, and the oldest caller still waiting, which writes the next batch.
// A lone caller therefore writes at once, with no timer.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tm/decision_log.h"
#include "tm/file_system.h"
#include "tm/log/open_decisions.h"

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
  Status LogEnd(const std::string& gtrid, int64_t time_ms) override;
  Status LogHeuristic(const std::string& gtrid,
                      const std::vector<std::string>& resources,
                      const std::string& detail, int64_t time_ms) override;

  std::vector<DecisionRecord> OpenCommits() const override;
  std::optional<DecisionRecord> FindOpenCommit(
      const std::string& gtrid) const override;
  Status health() const override;

 private:
  Status Submit(DecisionRecord record, bool forced);
  // Writes the queue as one batch. REQUIRES: mu_ held, !writing_.
  void WriteQueue(std::unique_lock<std::mutex>& lock);
  // New segment + checkpoint + deletion of older ones. REQUIRES: the caller
  // is the writer (or the log is not shared yet); mu_ not held.
  Status StartSegment(uint64_t seq);
  void DeleteSegmentsBefore(uint64_t seq);
  // Lets go every waiter whose record is synced, or all after a failure.
  // REQUIRES: mu_ held.
  void ReleaseWaiters();
  // Records the first failure and releases the waiters. REQUIRES: mu_ held.
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
  uint64_t segment_size_ = 0;     // bytes in the current segment
  uint64_t checkpoint_size_ = 0;  // of which the header and checkpoint
  std::string batch_;             // the queue being written
  std::vector<DecisionRecord> batch_records_;

  // A caller of a forced record, waiting on its own stack.
  struct Waiter {
    explicit Waiter(uint64_t t) : ticket(t) {}
    const uint64_t ticket;
    bool done = false;  // synced, or the log failed first
    std::condition_variable cv;
  };

  mutable std::mutex mu_;
  // Guarded by mu_. Tickets number the records in queue order.
  bool writing_ = false;
  std::deque<Waiter*> waiters_;  // in ticket order
  std::string queue_;            // encoded frames not yet written
  std::vector<DecisionRecord> queue_records_;
  uint64_t enqueued_ = 0;     // last ticket handed out
  uint64_t last_forced_ = 0;  // last ticket of a COMMIT or HEURISTIC
  uint64_t written_ = 0;      // every ticket up to this was appended
  uint64_t synced_ = 0;       // every ticket up to this is durable
  Status failed_;             // the first failure; OK while healthy
  // Applied once written: what the log on disk says. Modified only by the
  // writer, under mu_, so the writer may read it without mu_.
  OpenDecisions decisions_;
};

}  // namespace xatm
