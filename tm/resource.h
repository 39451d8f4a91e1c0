// The resource interface: what the coordinator and the sweeper need from a
// database. Adapters (adapters/) implement it; tm/ knows no database.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tm/status.h"
#include "tm/xid.h"

namespace xatm {

// One row of a query result; NULL is nullopt. Values are text, so decimals
// stay exact end to end.
using Row = std::vector<std::optional<std::string>>;

// One resource's part of one global transaction. Owns a database connection
// for its lifetime. Not thread-safe: one thread at a time.
//
// SQL given to Execute/Query uses '?' placeholders in every dialect; values
// are always bound as parameters, never pasted into the text.
class Branch {
 public:
  virtual ~Branch() = default;

  virtual const std::string& resource_name() const = 0;

  // Work inside the branch. Returns the number of affected rows.
  virtual Result<int64_t> Execute(const std::string& sql,
                                  const std::vector<std::string>& params) = 0;
  virtual Result<std::vector<Row>> Query(
      const std::string& sql, const std::vector<std::string>& params) = 0;

  // Work whose affected-row count the caller does not need. The adapter may
  // hold it back and send it in the same round trip as the next statement,
  // Prepare or CommitOnePhase; a failure then surfaces there (as that
  // call's error, or as a no vote) and Rollback discards what was held
  // back. OK means accepted. The default runs it at once.
  virtual Status ExecuteDeferred(const std::string& sql,
                                 const std::vector<std::string>& params) {
    Result<int64_t> rows = Execute(sql, params);
    return rows.ok() ? Status::Ok() : rows.status();
  }

  // Phase 1. OK = a checked yes vote: the branch is prepared and durable.
  // Aborted = a no vote (the branch is rolled back). Any other code = the
  // outcome of the prepare is unknown; the coordinator rolls back.
  virtual Status Prepare() = 0;

  // Phase 2 after a yes vote. OK = committed. NotFound = the database no
  // longer knows the branch. Other = not known to be committed (retry or
  // leave to the sweeper).
  virtual Status CommitPrepared() = 0;

  // Rolls back, prepared or not. OK also when there was nothing to undo.
  virtual Status Rollback() = 0;

  // The only branch of its transaction: commit without prepare.
  // OK = committed; Aborted = rolled back; other = unknown.
  virtual Status CommitOnePhase() = 0;
};

// A prepared branch found in a database by recovery.
struct PreparedBranch {
  BranchId id;
  std::string raw;        // as the database shows it (gid / xid data)
  int64_t prepared_ms = 0;  // when the database prepared it, 0 if unknown
};

// What a database says afterwards about a branch (from its ledger/marker row).
enum class BranchOutcome { kCommitted, kNotCommitted, kUnknown };

// A database taking part in global transactions. Thread-safe.
class Resource {
 public:
  virtual ~Resource() = default;

  virtual const std::string& name() const = 0;
  // "postgresql" or "mysql".
  virtual const std::string& type() const = 0;

  // Starts the branch of `xid` on this resource (BEGIN / XA START).
  virtual Result<std::unique_ptr<Branch>> Begin(const Xid& xid) = 0;

  // A plain local transaction, part of no global one: CommitOnePhase
  // commits it (COMMIT), Prepare is refused (FailedPrecondition). For
  // baselines without atomicity across databases (`xatm bench --mode
  // local`).
  virtual Result<std::unique_ptr<Branch>> BeginLocal() {
    return Status::FailedPrecondition("local transactions not supported");
  }

  // Prepared branches in this database whose ids are ours (any node).
  virtual Result<std::vector<PreparedBranch>> ListPrepared() = 0;

  // Recovery-side resolution of a prepared branch, from any connection.
  // OK = done. NotFound = the database does not know the branch (already
  // resolved, or never prepared). Unavailable = try again later (resource
  // down, or MariaDB's preparing session still attached).
  virtual Status CommitPrepared(const Xid& xid) = 0;
  virtual Status RollbackPrepared(const Xid& xid) = 0;

  // Whether the branch of `xid` committed here, from the ledger row written
  // inside the branch. kUnknown when this database has no ledger table.
  virtual Result<BranchOutcome> LookupOutcome(const Xid& xid) = 0;

  // Runs one statement in its own local transaction (schema set-up, reads).
  virtual Result<std::vector<Row>> QueryLocal(
      const std::string& sql, const std::vector<std::string>& params) = 0;
  virtual Status ExecuteLocal(const std::string& sql,
                              const std::vector<std::string>& params) = 0;
};

}  // namespace xatm
