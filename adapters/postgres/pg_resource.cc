#include "adapters/postgres/pg_resource.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "adapters/postgres/pg_branch.h"
#include "adapters/postgres/pg_connection_pool.h"
#include "adapters/postgres/pg_error.h"
#include "adapters/postgres/pg_placeholders.h"
#include "adapters/postgres/pg_prepared_transactions.h"
#include "xatm/logging.h"

namespace xatm {
namespace {

// The age is the server's own arithmetic on its own clock: a step of the
// client's clock cannot make a branch look older (and presumed aborted).
constexpr char kListPreparedSql[] =
    "SELECT gid, "
    "floor(extract(epoch FROM clock_timestamp() - prepared) * 1000)::bigint "
    "FROM pg_prepared_xacts "
    "WHERE database = current_database() AND gid LIKE $1";

// A ledger row proves only its own branch: two resources may share one
// database, and each branch writes its name (the xid's bqual).
constexpr char kLookupOutcomeSql[] =
    "SELECT 1 FROM xatm_ledger WHERE gtrid = $1 AND branch = $2 LIMIT 1";

// A number the server computed; nullopt if it is not one.
std::optional<int64_t> ParseMs(const std::optional<std::string>& text) {
  if (!text.has_value() || text->empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(text->c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(value);
}

class PgResource final : public Resource {
 public:
  explicit PgResource(const ResourceConfig& config)
      : name_(config.name),
        pool_(std::make_shared<PgConnectionPool>(
            PgConnectOptions{config.conninfo, config.connect_timeout_s,
                             config.lock_timeout_ms,
                             config.idle_session_timeout_s,
                             config.prepared_statements},
            config.pool_size, config.request_timeout_ms)) {}

  const std::string& name() const override { return name_; }
  const std::string& type() const override { return type_; }

  Result<std::unique_ptr<Branch>> Begin(const Xid& xid) override;
  Result<std::unique_ptr<Branch>> BeginLocal() override {
    return StartBranch("local", /*gid=*/"");
  }
  Result<std::vector<PreparedBranch>> ListPrepared() override;
  Status CommitPrepared(const Xid& xid) override {
    return FinishPrepared(xid, PgPreparedAction::kCommit);
  }
  Status RollbackPrepared(const Xid& xid) override {
    return FinishPrepared(xid, PgPreparedAction::kRollback);
  }
  Result<BranchOutcome> LookupOutcome(const Xid& xid) override;
  Result<std::vector<Row>> QueryLocal(
      const std::string& sql, const std::vector<std::string>& params) override;
  Status ExecuteLocal(const std::string& sql,
                      const std::vector<std::string>& params) override;
  void AttachMetrics(const std::shared_ptr<Metrics>& metrics) override {
    pool_->AttachMetrics(metrics, name_);
  }

 private:
  enum class Retry { kNever, kOnStaleConnection };

  // Runs one autocommit statement (`sql` with $n parameters already, or a
  // script when `simple_query`) on a pooled connection, all within one
  // request timeout. With kOnStaleConnection, for reads only, a reused
  // connection found dead is replaced once: nothing it ran could have
  // changed data.
  Result<PgResult> RunAutocommit(const char* what, const std::string& sql,
                                 const std::vector<std::string>& params,
                                 bool simple_query, Retry retry);
  Status FinishPrepared(const Xid& xid, PgPreparedAction action);
  // A branch on a pooled connection; an empty gid makes it local.
  Result<std::unique_ptr<Branch>> StartBranch(std::string label,
                                              std::string gid);
  std::string Context(const char* what) const { return PgContext(name_, what); }

  const std::string name_;
  const std::string type_ = "postgresql";
  const std::shared_ptr<PgConnectionPool> pool_;
};

Result<std::unique_ptr<Branch>> PgResource::Begin(const Xid& xid) {
  Result<std::string> gid = BranchGid(xid, name_);
  if (!gid.ok()) return gid.status().WithContext(Context("BEGIN"));
  return StartBranch(xid.Gtrid(), std::move(gid).value());
}

Result<std::unique_ptr<Branch>> PgResource::StartBranch(std::string label,
                                                        std::string gid) {
  // BEGIN itself goes out with the branch's first statement (see
  // pg_branch.h): taking a connection costs no round trip when the
  // pool has one.
  Result<std::unique_ptr<PgConnection>> connection =
      pool_->Acquire(pool_->RequestDeadline());
  if (!connection.ok()) {
    Logger()->warn("postgresql resource '{}' xid={}: cannot begin: {}", name_,
                   label, connection.status().message());
    return connection.status().WithContext(Context("BEGIN"));
  }
  Logger()->debug("postgresql resource '{}' xid={}: begun", name_, label);
  return std::unique_ptr<Branch>(
      std::make_unique<PgBranch>(pool_, name_, std::move(label), std::move(gid),
                                 std::move(connection).value()));
}

Result<PgResult> PgResource::RunAutocommit(
    const char* what, const std::string& sql,
    const std::vector<std::string>& params, bool simple_query, Retry retry) {
  const PgDeadline deadline = pool_->RequestDeadline();
  for (int attempt = 0;; ++attempt) {
    Result<std::unique_ptr<PgConnection>> connection = pool_->Acquire(deadline);
    if (!connection.ok()) return connection.status().WithContext(Context(what));
    const bool reused = (*connection)->used();
    PgResult result = simple_query
                          ? (*connection)->Exec(sql, deadline)
                          : (*connection)->ExecParams(sql, params, deadline);
    // A broken connection (also one that timed out), or one a script left
    // inside a transaction, is closed by the pool.
    pool_->Release(std::move(connection).value());
    if (!result.ok() && result.connection_lost() && !result.timed_out() &&
        reused && retry == Retry::kOnStaleConnection && attempt == 0) {
      continue;
    }
    return result;
  }
}

Result<std::vector<PreparedBranch>> PgResource::ListPrepared() {
  // '_' is a LIKE wildcard but the prefix has none; the parse below is the
  // real filter anyway.
  XATM_ASSIGN_OR_RETURN(
      PgResult result,
      RunAutocommit("list prepared", kListPreparedSql,
                    {std::string(kXidPrefix) + "%"},
                    /*simple_query=*/false, Retry::kOnStaleConnection));
  if (!result.ok()) return result.ToStatus(Context("list prepared"));
  std::vector<PreparedBranch> branches;
  for (const Row& row : result.rows()) {
    if (row.size() != 2 || !row[0].has_value()) continue;
    const std::string& gid = *row[0];
    Result<BranchId> id = ParsePostgresGid(gid);
    if (!id.ok()) {
      Logger()->warn(
          "postgresql resource '{}': skipping prepared transaction "
          "'{}': {}",
          name_, gid, id.status().message());
      continue;
    }
    PreparedBranch branch;
    branch.id = std::move(id).value();
    branch.raw = gid;
    branch.db_age_ms = ParseMs(row[1]);
    branches.push_back(std::move(branch));
  }
  Logger()->debug("postgresql resource '{}': {} prepared branches", name_,
                  branches.size());
  return branches;
}

Status PgResource::FinishPrepared(const Xid& xid, PgPreparedAction action) {
  const char* verb = action == PgPreparedAction::kCommit ? "COMMIT PREPARED"
                                                         : "ROLLBACK PREPARED";
  const std::string gtrid = xid.Gtrid();
  Result<std::string> gid = BranchGid(xid, name_);
  if (!gid.ok()) return gid.status().WithContext(Context(verb));
  const PgDeadline deadline = pool_->RequestDeadline();
  Result<std::unique_ptr<PgConnection>> connection = pool_->Acquire(deadline);
  if (!connection.ok()) {
    Logger()->warn("postgresql resource '{}' xid={}: {}: {}", name_, gtrid,
                   verb, connection.status().message());
    return connection.status().WithContext(Context(verb));
  }
  Status status = FinishPreparedTransaction(**connection, action, *gid,
                                            PgContext(name_, ""), deadline);
  pool_->Release(std::move(connection).value());
  if (status.ok()) {
    Logger()->info("postgresql resource '{}' xid={}: {} done (recovery)", name_,
                   gtrid, verb);
  } else if (status.code() == StatusCode::kNotFound) {
    Logger()->info("postgresql resource '{}' xid={}: {}: gid not known", name_,
                   gtrid, verb);
  } else {
    Logger()->warn("postgresql resource '{}' xid={}: {}", name_, gtrid,
                   status.message());
  }
  return status;
}

Result<BranchOutcome> PgResource::LookupOutcome(const Xid& xid) {
  const std::string gtrid = xid.Gtrid();
  const std::vector<std::string> params = {gtrid, name_};
  XATM_ASSIGN_OR_RETURN(
      PgResult result,
      RunAutocommit("lookup outcome", kLookupOutcomeSql, params,
                    /*simple_query=*/false, Retry::kOnStaleConnection));
  if (!result.ok()) {
    if (result.sqlstate() == kSqlStateUndefinedTable) {
      Logger()->debug(
          "postgresql resource '{}' xid={}: no ledger table, "
          "outcome unknown",
          name_, gtrid);
      return BranchOutcome::kUnknown;
    }
    return result.ToStatus(Context("lookup outcome"));
  }
  const bool committed = !result.rows().empty();
  Logger()->debug("postgresql resource '{}' xid={}: ledger says {}", name_,
                  gtrid, committed ? "committed" : "not committed");
  return committed ? BranchOutcome::kCommitted : BranchOutcome::kNotCommitted;
}

Result<std::vector<Row>> PgResource::QueryLocal(
    const std::string& sql, const std::vector<std::string>& params) {
  Result<std::string> converted = ConvertForParameters(sql, params.size());
  if (!converted.ok()) return converted.status().WithContext(Context("query"));
  XATM_ASSIGN_OR_RETURN(PgResult result,
                        RunAutocommit("query", *converted, params,
                                      /*simple_query=*/false, Retry::kNever));
  if (!result.ok()) return result.ToStatus(Context("query"));
  return result.rows();
}

Status PgResource::ExecuteLocal(const std::string& sql,
                                const std::vector<std::string>& params) {
  auto run = [&]() -> Result<PgResult> {
    if (params.empty()) {
      // A schema script: several statements, sent as they are ('?' is not
      // touched, as there is nothing to bind).
      return RunAutocommit("execute", sql, params, /*simple_query=*/true,
                           Retry::kNever);
    }
    Result<std::string> converted = ConvertForParameters(sql, params.size());
    if (!converted.ok()) {
      return converted.status().WithContext(Context("execute"));
    }
    return RunAutocommit("execute", *converted, params,
                         /*simple_query=*/false, Retry::kNever);
  };
  XATM_ASSIGN_OR_RETURN(PgResult result, run());
  if (!result.ok()) return result.ToStatus(Context("execute"));
  return Status::Ok();
}

}  // namespace

std::unique_ptr<Resource> MakePostgresResource(const ResourceConfig& config) {
  return std::make_unique<PgResource>(config);
}

}  // namespace xatm
