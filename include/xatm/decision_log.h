/// @file
/// The decision log: the one thing xatm must never lose.
///
/// Append-only segment files `DIR/xatm-SEQ.log` (SEQ: 16 digits) holding
/// framed records (length + CRC-32C + type) in checksummed batches
/// (tm/log/log_format.h), and the directory's identity `DIR/xatm-log.id`
/// (node id, creation time). A COMMIT record is the commit point of a global
/// transaction: LogCommit returns only after an fdatasync that covers it
/// (concurrent callers share one write + sync: group commit). END marks a
/// decision whose branches are all committed; HEURISTIC records an outcome
/// that contradicts the decision. An END made by recovery keeps its gtrid as
/// a tombstone (bounded, carried by checkpoints). The directory is locked
/// against a second process. Open() replays the segments into the set of
/// open decisions (COMMIT without END), starts a new segment whose checkpoint
/// carries those forward, and deletes older segments (replay starts at the
/// newest segment whose checkpoint is complete; see tm/log/log_replay.h). A
/// torn last write, of any shape, reads as end of log; damage to an
/// acknowledged batch fails Open() with the segment and offset.
///
/// After any failed write or sync the log is failed for good ("sticky"):
/// every later append returns FailedPrecondition, because the page cache may
/// have dropped the data and a retried sync would lie.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "xatm/file_system.h"
#include "xatm/metrics.h"
#include "xatm/resource.h"
#include "xatm/status.h"
#include "xatm/xid.h"

namespace xatm {

/// The kind of a DecisionRecord.
enum class RecordType : uint8_t {
  kCommit = 1,     ///< decision: commit every branch in `resources`
  kEnd = 2,        ///< every branch of the decision is committed
  kHeuristic = 3,  ///< an outcome contradicting the decision; `detail` says
                   ///< how
  // 4 is the frame of a recovery END (tm/log/log_format.h).
  kSaga = 5,     ///< a saga's record (xatm/saga_record.h) as `detail`, whole
  kSagaEnd = 6,  ///< the saga finished; `detail` is its final record
};

/// "COMMIT", "END", "HEURISTIC", "SAGA" or "SAGA-END" (`xatm log dump`).
const char* RecordTypeName(RecordType type);

/// Who closes a decision. An END made by recovery rests on answers from
/// sessions other than the preparing one (MariaDB can answer OK to XA COMMIT
/// without applying it while that session detaches): its gtrid is kept as a
/// tombstone, so a branch that reappears prepared is never presumed aborted.
/// - `kCoordinator`: the coordinator, after committing every branch itself.
/// - `kRecovery`: recovery (a sweeper, or an operator's resolve).
enum class EndOrigin { kCoordinator, kRecovery };

/// One record of a decision log, as appended and as read back.
struct DecisionRecord {
  RecordType type = RecordType::kCommit;  ///< what it records
  std::string gtrid;  ///< the global transaction (a saga's id for sagas)
  std::vector<std::string> resources;  ///< names only, never DSNs or secrets
  int64_t time_ms = 0;                 ///< when the record was made
  std::string detail;                  ///< HEURISTIC only
  EndOrigin end_origin = EndOrigin::kCoordinator;  ///< END only
};

/// How DecisionLog::Open opens a log directory.
struct DecisionLogOptions {
  FileSystem* fs = nullptr;  ///< nullptr: FileSystem::Default()
  /// The log directory's identity (file xatm-log.id: node id and creation
  /// time). Open() refuses (FailedPrecondition) a log made for another node,
  /// a missing directory or one with neither identity nor segments unless
  /// create_if_missing (xatm init, or an explicit library option), and,
  /// even with create_if_missing, an identity without segments (segments
  /// lost) or segments without an identity: an unmounted volume, a typo or
  /// a lost file must not read as "no decisions".
  std::string node_id;
  /// Make the directory and its identity when the directory is missing or
  /// empty (see node_id); set where a node is provisioned, not on every
  /// start.
  bool create_if_missing = false;
  /// Recovery ENDs kept as tombstones (HasCommitHistory); past this many the
  /// oldest is dropped, with a warning.
  size_t max_tombstones = 100000;
  /// A segment rolls over once this many bytes were appended after its
  /// checkpoint; the old segments are deleted once their open decisions are
  /// carried forward.
  uint64_t segment_bytes = 4u << 20;
};

/// Where a node's COMMIT decisions are made durable and read back: a
/// directory of its own (Open), a table in a database shared by every node
/// (DatabaseDecisionLog), or memory (MemoryDecisionLog, for tests).
///
/// Every member may be called from any thread. Appends are group-committed:
/// concurrent callers share one write and one sync.
class DecisionLog {
 public:
  /// Opens the log in `dir` (creating it only with create_if_missing; see
  /// DecisionLogOptions). FailedPrecondition when another process holds the
  /// directory or its identity does not fit; DataLoss with segment and
  /// offset when an acknowledged record is damaged.
  static Result<std::unique_ptr<DecisionLog>> Open(
      const std::string& dir, const DecisionLogOptions& options = {});

  virtual ~DecisionLog() = default;

  /// Durable on OK (fdatasync covered this record). Thread-safe.
  virtual Status LogCommit(const std::string& gtrid,
                           const std::vector<std::string>& resources,
                           int64_t time_ms) = 0;
  /// Not forced: a lost END only makes recovery re-check committed branches
  /// (a lost recovery END loses its tombstone too: the decision stays open,
  /// which protects the branches just as well).
  /// On return the decision is closed for readers (OpenCommits,
  /// FindOpenCommit), even while the END waits for a writer.
  virtual Status LogEnd(const std::string& gtrid, int64_t time_ms,
                        EndOrigin origin = EndOrigin::kCoordinator) = 0;
  /// Forced like COMMIT.
  virtual Status LogHeuristic(const std::string& gtrid,
                              const std::vector<std::string>& resources,
                              const std::string& detail, int64_t time_ms) = 0;

  /// COMMIT decisions without END, oldest first.
  virtual std::vector<DecisionRecord> OpenCommits() const = 0;
  /// The same, or why they could not be read (a database store out of
  /// reach), for a reader that must know it saw all of them.
  virtual Result<std::vector<DecisionRecord>> ReadOpenCommits() const {
    return OpenCommits();
  }
  /// The open COMMIT decision (without END) of `gtrid`, or nullopt.
  virtual std::optional<DecisionRecord> FindOpenCommit(
      const std::string& gtrid) const = 0;
  /// Whether the log has any COMMIT history for gtrid: an open COMMIT, a
  /// HEURISTIC, or a recovery END kept as a tombstone (a bounded set carried
  /// through checkpoints). Such a gtrid is never presumed aborted.
  virtual bool HasCommitHistory(const std::string& gtrid) const = 0;

  /// OK, or the sticky failure that stopped the log.
  virtual Status health() const = 0;

  /// @name Where a store differs from a log
  /// The file and memory logs keep these defaults; the database store
  /// (tm/store/) overrides them.
  /// @{

  /// The resource whose own branch carries the decision (last-resource
  /// commit), or "" when the decision is a record of its own.
  virtual const std::string& carrier() const;

  /// With carrier() set and its branch enlisted: writes the COMMIT decision
  /// inside `branch` (active, not prepared) and commits it in one phase: the
  /// branch's commit is the commit point. OK = decided and committed;
  /// Aborted = not decided, and never can be (the branch rolled back);
  /// other = unknown. The default refuses (FailedPrecondition).
  virtual Status CommitCarrying(Branch& branch, const std::string& gtrid,
                                const std::vector<std::string>& resources,
                                int64_t time_ms);

  /// What recovery does with a transaction that has prepared branches and
  /// no open COMMIT. true: abort holds and the branches may be rolled back;
  /// false: a COMMIT decision was found (commit them); error: decide later.
  /// A log presumes abort (its coordinator's decision deadline, well below
  /// the grace period, keeps that sound) unless it has failed: a failed
  /// append may still have reached the disk. A database store fences:
  /// it records abort unless a commit got there first, for every node.
  virtual Result<bool> ClaimAbort(const std::string& gtrid);

  /// A COMMIT decision made after the fact for a transaction whose
  /// coordinator is gone: by an operator (`xatm resolve --commit`), or by
  /// recovery on evidence that a branch committed. No decision deadline
  /// applies (the transaction may be old), but a recorded abort still wins
  /// (FailedPrecondition: the transaction can no longer commit). A log
  /// records no aborts: the default is LogCommit.
  virtual Status LogCommitAfterTheFact(
      const std::string& gtrid, const std::vector<std::string>& resources,
      int64_t time_ms);

  /// The abort this process has just claimed (ClaimAbort answered true) is
  /// withdrawn for a COMMIT decision over `resources`: read again after the
  /// claim, a branch's ledger shows that the transaction committed before
  /// the fence (its COMMIT row ENDed and deleted in between), so every
  /// branch had committed and none was rolled back on that abort. The
  /// decision is left open for recovery to confirm and END. A log records
  /// no aborts: the default is LogCommitAfterTheFact. A store refuses
  /// (FailedPrecondition) unless its row for the gtrid is abort or commit.
  virtual Status WithdrawAbort(const std::string& gtrid,
                               const std::vector<std::string>& resources,
                               int64_t time_ms);

  /// Whether every node's decisions can be read here, so that one node may
  /// finish another's transactions (`xatm recover --all-nodes`). A log
  /// directory belongs to one node: false.
  virtual bool shared() const { return false; }

  /// Where this log's decisions live, written into every gtrid its manager
  /// makes (Xid::home): "f" for a node's own log, "d" + the store's id for
  /// a database store.
  virtual std::string home() const { return "f"; }

  /// Whether the decision of `xid` is read here, by node `self`: its home is
  /// this log's and, unless the log is shared, it is self's own. A gtrid
  /// without a home is read only by its own node. Recovery never presumes
  /// abort for one that is not: it may have committed in a store this node
  /// does not read.
  bool Holds(const Xid& xid, const std::string& self) const;

  /// Where the decision of `xid` lives, in words, for messages.
  static std::string DescribeHome(const Xid& xid);

  /// The database holding a shared store, where the nodes also announce
  /// themselves (NodeRegistry); nullptr for a log.
  virtual Resource* store_resource() const { return nullptr; }
  /// @}

  /// @name Sagas
  /// xatm/saga_journal.h keeps them here for a node's own log.
  /// @{

  /// Records `snapshot` (EncodeSagaRecord) as saga `saga_id`'s state;
  /// `final` closes it. Forced like COMMIT when `forced`, else written with
  /// the next forced batch (like END). The saga's state is what readers see
  /// at once, even before it is written. The default refuses
  /// (FailedPrecondition): a database store keeps sagas in a table.
  virtual Status LogSaga(const std::string& saga_id,
                         const std::string& snapshot, bool final, bool forced,
                         int64_t time_ms);
  /// Makes every record appended so far durable (as a forced one would
  /// be), so that a caller may append unforced, work meanwhile, and wait
  /// only where it must. The default has nothing to wait for.
  virtual Status Flush() { return health(); }

  /// The latest record of every saga not closed, oldest saga first (type
  /// kSaga, gtrid = id, detail = snapshot).
  virtual std::vector<DecisionRecord> OpenSagas() const { return {}; }
  /// @}

  /// Housekeeping a recovery pass runs: a store deletes what no one can
  /// need any longer. The default does nothing.
  virtual Status Prune() { return Status::Ok(); }

  /// Where to count syncs and the log's failure: called once by the
  /// TransactionManager the log is given to, before it is shared; `metrics`
  /// outlives the log. The default counts nothing.
  virtual void AttachMetrics(Metrics* metrics) { (void)metrics; }
};

/// One record as found by a scan, with its place in the log.
struct ScannedRecord {
  std::string segment;    ///< file name
  uint64_t offset = 0;    ///< byte offset of the frame in the segment
  DecisionRecord record;  ///< what it says
};

/// What ScanDecisionLog found in a log directory.
struct LogScan {
  /// From xatm-log.id; has_identity false when there is none.
  bool has_identity = false;
  std::string node_id;     ///< the node the log belongs to (identity)
  int64_t created_ms = 0;  ///< when the log was made (identity), Unix ms
  std::vector<std::string> segments;   ///< in order
  std::vector<ScannedRecord> records;  ///< every record, in log order
  /// A torn tail (ignored by Open), if any; "SEGMENT at offset N: reason",
  /// several joined by "; " when interrupted checkpoints follow.
  std::optional<std::string> torn_tail;
  /// Segments older than the newest complete checkpoint: left over from a
  /// crash before their deletion, not read (Open deletes them).
  std::vector<std::string> obsolete_segments;
};

/// Reads the identity and every live segment without locking or changing
/// anything (for `xatm log verify` / `log dump`). NotFound when the
/// directory does not exist; DataLoss names segment and offset of damage
/// before the tail. Records of a checkpoint (the open decisions each
/// segment starts with) are listed like any other.
Result<LogScan> ScanDecisionLog(const std::string& dir,
                                FileSystem* fs = nullptr);

}  // namespace xatm
