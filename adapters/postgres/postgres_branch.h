// PostgresBranch: one global transaction's branch on a PostgreSQL resource,
// a BEGIN ... PREPARE TRANSACTION ... COMMIT PREPARED session on one pooled
// connection. Not thread-safe (one thread at a time), like every Branch.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "adapters/postgres/connection_pool.h"
#include "adapters/postgres/pg_connection.h"
#include "adapters/postgres/prepared_transactions.h"
#include "tm/resource.h"
#include "tm/xid.h"

namespace xatm {

class PostgresBranch final : public Branch {
 public:
  // REQUIRES: `connection` ran BEGIN for this branch; `gid` is the checked
  // gid of `xid` on `resource_name` (see BranchGid).
  PostgresBranch(std::shared_ptr<ConnectionPool> pool,
                 std::string resource_name, Xid xid, std::string gid,
                 std::unique_ptr<PgConnection> connection);
  // Active: rolled back. Prepared: left prepared, for the coordinator or
  // the sweeper to resolve by gid (a commit decision may already be durable,
  // so rolling back here could break atomicity).
  ~PostgresBranch() override;

  PostgresBranch(const PostgresBranch&) = delete;
  PostgresBranch& operator=(const PostgresBranch&) = delete;

  const std::string& resource_name() const override { return resource_name_; }

  Result<int64_t> Execute(const std::string& sql,
                          const std::vector<std::string>& params) override;
  Result<std::vector<Row>> Query(
      const std::string& sql, const std::vector<std::string>& params) override;

  Status Prepare() override;
  Status CommitPrepared() override;
  Status Rollback() override;
  Status CommitOnePhase() override;

 private:
  enum class State {
    kActive,          // BEGIN ran; statements may run
    kPrepared,        // yes vote given; resolved by gid
    kPrepareUnknown,  // connection lost during PREPARE: maybe prepared
    kCommitted,
    kRolledBack,
    kCommitUnknown,  // connection lost during a one-phase COMMIT
  };
  static const char* StateName(State state);

  // Runs one statement of the branch's work.
  Result<PgResult> RunStatement(const char* what, const std::string& sql,
                                const std::vector<std::string>& params);
  // COMMIT/ROLLBACK PREPARED on the branch's connection, or on a pooled one
  // when that connection is gone.
  Status FinishPrepared(PreparedAction action);
  // Ends whatever transaction is still open on the connection, then gives
  // the connection back to the pool (which closes it unless it is clean).
  void ReleaseConnection();
  std::string Context(const char* what) const;
  // " (first error: <sqlstate> <message>)" or empty.
  std::string FirstErrorNote() const;

  std::shared_ptr<ConnectionPool> pool_;
  const std::string resource_name_;
  const Xid xid_;
  const std::string gtrid_;  // for logs
  const std::string gid_;
  std::unique_ptr<PgConnection> connection_;  // null once given back or lost
  State state_ = State::kActive;
  // The first statement error: PREPARE TRANSACTION and COMMIT of a failed
  // transaction only answer "ROLLBACK", so this tells the caller why.
  std::string first_error_;
};

}  // namespace xatm
