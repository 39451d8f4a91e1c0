/// @file
/// The resource interface: what the coordinator and the sweeper need from a
/// database. Adapters (adapters/) implement it; tm/ knows no database.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "xatm/metrics.h"
#include "xatm/status.h"
#include "xatm/xid.h"

namespace xatm {

/// One row of a query result; NULL is nullopt. Values are text, so decimals
/// stay exact end to end.
using Row = std::vector<std::optional<std::string>>;

/// OK when `expected` is unset or equals `affected`; else the
/// FailedPrecondition of a statement that did not affect what it had to,
/// naming it.
Status CheckAffectedRows(const std::string& sql, int64_t affected,
                         std::optional<int64_t> expected);

/// One resource's part of one global transaction. Owns a database connection
/// for its lifetime. Not thread-safe: one thread at a time.
///
/// SQL given to Execute/Query uses '?' placeholders in every dialect; values
/// are always bound as parameters, never pasted into the text.
class Branch {
 public:
  virtual ~Branch() = default;

  /// The name of the Resource that made it (the branch's bqual).
  virtual const std::string& resource_name() const = 0;

  /// No round trip of this branch may wait past `deadline` (the
  /// transaction's own limit); each is also bounded by the resource's
  /// request timeout. An expired round trip fails (Unavailable, or the
  /// "unknown outcome" answer of Prepare/CommitPrepared/CommitOnePhase) and
  /// the adapter drops its connection. The default ignores it.
  virtual void SetDeadline(std::chrono::steady_clock::time_point deadline) {
    (void)deadline;
  }

  /// Work inside the branch. Returns the number of affected rows.
  ///
  /// Any call that fails, for any reason and on either side of the wire,
  /// dooms the branch even when the caller ignores the error: Prepare then
  /// votes no and CommitOnePhase rolls back (Aborted). Transaction control
  /// (COMMIT, ROLLBACK, BEGIN, ...) and empty statements are refused.
  virtual Result<int64_t> Execute(const std::string& sql,
                                  const std::vector<std::string>& params) = 0;
  /// Work inside the branch that returns rows (a SELECT), with the same
  /// rules as Execute: a failure dooms the branch.
  virtual Result<std::vector<Row>> Query(
      const std::string& sql, const std::vector<std::string>& params) = 0;

  /// Work whose affected-row count the caller does not read. The adapter may
  /// hold it back and send it in the same round trip as the next statement,
  /// Prepare or CommitOnePhase; a failure then surfaces there (as that
  /// call's error, or as a no vote) and Rollback discards what was held
  /// back. OK means accepted. The default runs it at once.
  Status ExecuteDeferred(const std::string& sql,
                         const std::vector<std::string>& params) {
    return ExecuteDeferred(sql, params, std::nullopt);
  }
  /// The same, and the statement must affect exactly `expected_rows` rows
  /// (when given): another count fails it like a server error would
  /// (FailedPrecondition naming the statement), and the branch votes no.
  virtual Status ExecuteDeferred(const std::string& sql,
                                 const std::vector<std::string>& params,
                                 std::optional<int64_t> expected_rows) {
    Result<int64_t> rows = Execute(sql, params);
    if (!rows.ok()) return rows.status();
    return CheckAffectedRows(sql, *rows, expected_rows);
  }

  /// Phase 1. OK = a checked yes vote: the branch is prepared and durable.
  /// Aborted = a no vote (the branch is rolled back). Any other code = the
  /// outcome of the prepare is unknown; the coordinator rolls back.
  virtual Status Prepare() = 0;

  /// After Prepare returned OK: true when the branch changed nothing and
  /// Prepare already finished it (a read-only branch: MariaDB answers 1402
  /// XA_RBROLLBACK when another session commits one, so it must not be left
  /// prepared). It takes no part in the decision or in phase 2.
  virtual bool read_only() const { return false; }

  /// Phase 2 after a yes vote. OK = committed. NotFound = the database no
  /// longer knows the branch. Other = not known to be committed (retry or
  /// leave to the sweeper).
  virtual Status CommitPrepared() = 0;

  /// Rolls back, prepared or not. OK also when there was nothing to undo.
  virtual Status Rollback() = 0;

  /// Optional: sends the prepare (or the commit of a prepared branch)
  /// without waiting for its answer, and returns true; Prepare() (or
  /// CommitPrepared()) called next then waits for that answer, and the
  /// branch takes no other call in between. The coordinator starts these on
  /// every branch that can before running the others, so the databases work
  /// at the same time without a thread per branch. False (the default):
  /// nothing was sent.
  virtual bool StartPrepare() { return false; }
  /// The commit of a prepared branch, sent without waiting (see
  /// StartPrepare); CommitPrepared() then waits for its answer.
  virtual bool StartCommitPrepared() { return false; }

  /// The only branch of its transaction: commit without prepare.
  /// OK = committed; Aborted = rolled back; other = unknown.
  virtual Status CommitOnePhase() = 0;
};

/// A prepared branch found in a database by recovery.
struct PreparedBranch {
  BranchId id;      ///< its transaction and resource, parsed from `raw`
  std::string raw;  ///< as the database shows it (gid / xid data)
  /// How long ago the database prepared it, by the database's own clock
  /// (PostgreSQL pg_prepared_xacts.prepared); nullopt when the database
  /// does not say (MariaDB): then the age comes from the gtrid's begin time.
  std::optional<int64_t> db_age_ms;
};

/// What a database says afterwards about a branch (from its ledger/marker
/// row): `kCommitted` (the row is there), `kNotCommitted` (no row),
/// `kUnknown` (no ledger table to tell).
enum class BranchOutcome { kCommitted, kNotCommitted, kUnknown };

/// A database taking part in global transactions. Thread-safe.
///
/// Made by MakeResource (the PostgreSQL and MySQL/MariaDB adapters); one
/// resource and its connection pool serve every transaction and the
/// sweeper. Errors map by meaning, the same from both adapters (see
/// StatusCode), and name the resource, never the password.
class Resource {
 public:
  virtual ~Resource() = default;

  /// The configured name ([A-Za-z0-9_-]{1,32}): the bqual of its branches.
  virtual const std::string& name() const = 0;
  /// "postgresql" or "mysql".
  virtual const std::string& type() const = 0;

  /// Starts the branch of `xid` on this resource (BEGIN / XA START).
  virtual Result<std::unique_ptr<Branch>> Begin(const Xid& xid) = 0;

  /// A plain local transaction, part of no global one: CommitOnePhase
  /// commits it (COMMIT), Prepare is refused (FailedPrecondition). For
  /// baselines without atomicity across databases (`xatm bench --mode
  /// local`).
  virtual Result<std::unique_ptr<Branch>> BeginLocal() {
    return Status::FailedPrecondition("local transactions not supported");
  }

  /// Prepared branches in this database whose ids are ours (any node).
  virtual Result<std::vector<PreparedBranch>> ListPrepared() = 0;

  /// Recovery-side resolution of a prepared branch, from any connection.
  /// OK = done. NotFound = the database does not know the branch (already
  /// resolved, or never prepared). Unavailable = try again later (resource
  /// down, or MariaDB's preparing session still attached). Aborted (commit
  /// only) = the branch had nothing to commit and the database forgot it
  /// (MariaDB's 1402 XA_RBROLLBACK for a read-only branch): no ledger row can
  /// exist, and it counts as committed.
  virtual Status CommitPrepared(const Xid& xid) = 0;
  /// Rolls back the prepared branch of `xid` (recovery, an operator). OK =
  /// done; NotFound = not known to the database; Unavailable = try again
  /// later, as for CommitPrepared.
  virtual Status RollbackPrepared(const Xid& xid) = 0;

  /// Whether the branch of `xid` committed here, from the ledger row written
  /// inside the branch: a row with gtrid = xid.Gtrid() AND branch = this
  /// resource's name (the bqual; two resources on one database must not
  /// prove each other's branch).
  /// kUnknown when this database has no ledger table.
  virtual Result<BranchOutcome> LookupOutcome(const Xid& xid) = 0;

  /// Where to count the resource's connections (open, idle, failed
  /// connects): called by the TransactionManager it is given to, before any
  /// transaction. The default counts nothing.
  virtual void AttachMetrics(const std::shared_ptr<Metrics>& metrics) {
    (void)metrics;
  }

  /// Runs one statement in its own local transaction (schema set-up, reads).
  virtual Result<std::vector<Row>> QueryLocal(
      const std::string& sql, const std::vector<std::string>& params) = 0;
  /// Runs one statement that returns no rows in its own local transaction,
  /// never repeated (a lost answer does not tell whether it ran). Without
  /// `params`, `sql` may be a script of several statements (schema set-up).
  virtual Status ExecuteLocal(const std::string& sql,
                              const std::vector<std::string>& params) = 0;
};

}  // namespace xatm
