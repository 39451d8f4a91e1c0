#include "adapters/mysql/my_resource.h"

#include <utility>

#include "adapters/mysql/my_branch.h"
#include "adapters/mysql/my_connection.h"
#include "adapters/mysql/my_connection_pool.h"
#include "adapters/mysql/my_xa_recover.h"
#include "adapters/mysql/my_xa_resolve.h"
#include "adapters/mysql/my_xid_literal.h"
#include "xatm/logging.h"

namespace xatm {

std::unique_ptr<Resource> MakeMysqlResource(const ResourceConfig& config) {
  return std::make_unique<MyResource>(config);
}

namespace {

// Runs `op` on a pooled connection and gives the connection back. When a
// reused connection turns out dead (its idle session was killed, or the
// server restarted) `op` is tried once more on a fresh one; only for
// statements that are harmless to repeat. Not after a timeout: the server
// is slow or frozen, another try would only wait as long again. Errors,
// the connect's too, are prefixed with `context`.
template <typename Op>
Status WithConnection(MyConnectionPool* pool, const std::string& context,
                      Op&& op) {
  bool reused = false;
  Result<std::unique_ptr<MyConnection>> acquired = pool->Acquire(&reused);
  if (!acquired.ok()) return acquired.status().WithContext(context);
  std::unique_ptr<MyConnection> conn = std::move(acquired).value();
  MyStatus s = op(conn.get());
  if (s.connection_lost() && !s.timed_out() && reused) {
    conn.reset();
    Result<std::unique_ptr<MyConnection>> fresh = pool->OpenFresh();
    if (!fresh.ok()) return fresh.status().WithContext(context);
    conn = std::move(fresh).value();
    s = op(conn.get());
  }
  pool->Release(std::move(conn));
  return s.ToStatus(context);
}

}  // namespace

MyResource::MyResource(const ResourceConfig& config)
    : pool_(std::make_shared<MyConnectionPool>(config)),
      name_(config.name),
      ctx_(ResourceContext(config.name)) {}

MyResource::~MyResource() = default;

void MyResource::AttachMetrics(const std::shared_ptr<Metrics>& metrics) {
  pool_->AttachMetrics(metrics, name_);
}

Result<std::unique_ptr<Branch>> MyResource::Begin(const Xid& xid) {
  return CatchAll(ctx_, [&]() -> Result<std::unique_ptr<Branch>> {
    const std::string gtrid = xid.Gtrid();
    Result<std::string> literal = XidLiteral(gtrid, name_);
    if (!literal.ok()) return literal.status().WithContext(ctx_);
    return StartBranch(gtrid, std::move(literal).value());
  });
}

Result<std::unique_ptr<Branch>> MyResource::BeginLocal() {
  return CatchAll(ctx_, [&]() -> Result<std::unique_ptr<Branch>> {
    return StartBranch("local", /*literal=*/"");
  });
}

Result<std::unique_ptr<Branch>> MyResource::StartBranch(
    const std::string& label, std::string literal) {
  const std::string start =
      literal.empty() ? "START TRANSACTION" : "XA START " + literal;
  bool reused = false;
  Result<std::unique_ptr<MyConnection>> acquired = pool_->Acquire(&reused);
  if (!acquired.ok()) return acquired.status().WithContext(ctx_ + ": connect");
  std::unique_ptr<MyConnection> conn = std::move(acquired).value();
  // An XA branch needs the session's row-write count at its start to tell
  // at prepare whether it wrote anything (see my_branch.h). It is known
  // from connect or from the session's last branch; otherwise it is read
  // here, in the same round trip - except after a branch that surely wrote
  // (the usual case), whose successor is taken to write too: reading the
  // count costs the server about 0.3 ms.
  std::optional<int64_t> writes;
  auto run_start = [&](MyConnection* c) {
    writes = c->TakeRowWrites();
    if (literal.empty() || writes || c->last_branch_wrote()) {
      return c->Run(start);
    }
    size_t done = 0;
    std::vector<Row> rows;
    MyStatus started = c->RunBatch({start, kRowWritesSql}, &done, &rows);
    if (started.ok()) writes = ParseRowWrites(rows);
    return started;
  };
  MyStatus s = run_start(conn.get());
  if (s.connection_lost() && !s.timed_out() && reused) {
    // A pooled session that died while idle; the start never ran.
    conn.reset();
    Result<std::unique_ptr<MyConnection>> fresh = pool_->OpenFresh();
    if (!fresh.ok()) return fresh.status().WithContext(ctx_ + ": connect");
    conn = std::move(fresh).value();
    s = run_start(conn.get());
  }
  if (!s.ok()) {
    Logger()->warn("xid={} {} on {} failed: {}", label, start, name_,
                   s.Describe());
    // XAER_DUPID leaves the session untouched; anything else may have
    // left it inside some transaction: do not pool it.
    if (s.code() == my_errc::kXaerDupid) {
      pool_->Release(std::move(conn));
    }
    return s.ToStatus(ctx_ + ": " +
                      (literal.empty() ? "START TRANSACTION" : "XA START"));
  }
  Logger()->debug("xid={} {} on {} (session {})", label, start, name_,
                  conn->session_id());
  return std::unique_ptr<Branch>(std::make_unique<MyBranch>(
      pool_, label, std::move(literal), std::move(conn), writes));
}

Result<std::vector<PreparedBranch>> MyResource::ListPrepared() {
  return CatchAll(ctx_, [&]() -> Result<std::vector<PreparedBranch>> {
    std::vector<MyRecoveredXid> recovered;
    XATM_RETURN_IF_ERROR(WithConnection(
        pool_.get(), ctx_ + ": XA RECOVER",
        [&](MyConnection* conn) { return XaRecover(conn, &recovered); }));
    std::vector<PreparedBranch> out;
    for (const MyRecoveredXid& x : recovered) {
      if (x.bqual != name_) {
        Logger()->debug("{}: XA RECOVER: {} belongs to another resource", ctx_,
                        XidText(x));
        continue;
      }
      Result<Xid> xid = Xid::ParseGtrid(x.gtrid);
      if (!xid.ok()) {
        Logger()->debug("{}: XA RECOVER: {} is not ours ({})", ctx_, XidText(x),
                        xid.status().message());
        continue;
      }
      PreparedBranch branch;
      branch.id = BranchId{std::move(xid).value(), name_};
      branch.raw = XidText(x);
      out.push_back(std::move(branch));
    }
    return out;
  });
}

Status MyResource::CommitPrepared(const Xid& xid) {
  return CatchAll(ctx_, [&]() -> Status {
    return FinishPrepared(pool_.get(), xid.Gtrid(), MyXaFinish::kCommit);
  });
}

Status MyResource::RollbackPrepared(const Xid& xid) {
  return CatchAll(ctx_, [&]() -> Status {
    return FinishPrepared(pool_.get(), xid.Gtrid(), MyXaFinish::kRollback);
  });
}

Result<BranchOutcome> MyResource::LookupOutcome(const Xid& xid) {
  return CatchAll(ctx_, [&]() -> Result<BranchOutcome> {
    const std::string gtrid = xid.Gtrid();
    std::vector<Row> rows;
    bool no_ledger = false;
    XATM_RETURN_IF_ERROR(WithConnection(
        pool_.get(), ctx_ + ": ledger lookup", [&](MyConnection* conn) {
          MyStatus s = conn->Query(
              "SELECT 1 FROM xatm_ledger WHERE gtrid = ? AND branch = ? "
              "LIMIT 1",
              {gtrid, name_}, &rows);
          if (s.code() != my_errc::kNoSuchTable) return s;
          no_ledger = true;
          return MyStatus::Ok();
        }));
    if (no_ledger) return BranchOutcome::kUnknown;
    BranchOutcome outcome =
        rows.empty() ? BranchOutcome::kNotCommitted : BranchOutcome::kCommitted;
    Logger()->debug("xid={} ledger on {}: {}", gtrid, name_,
                    rows.empty() ? "not committed" : "committed");
    return outcome;
  });
}

Result<std::vector<Row>> MyResource::QueryLocal(
    const std::string& sql, const std::vector<std::string>& params) {
  return CatchAll(ctx_, [&]() -> Result<std::vector<Row>> {
    std::vector<Row> rows;
    // Retried on a stale pooled connection like a read: a query that
    // changes data belongs in ExecuteLocal.
    XATM_RETURN_IF_ERROR(
        WithConnection(pool_.get(), ctx_ + ": query", [&](MyConnection* conn) {
          conn->set_row_writes(std::nullopt);  // it may write
          conn->set_last_branch_wrote(false);
          return conn->Query(sql, params, &rows);
        }));
    return rows;
  });
}

Status MyResource::ExecuteLocal(const std::string& sql,
                                const std::vector<std::string>& params) {
  return CatchAll(ctx_, [&]() -> Status {
    // Never repeated: a lost answer does not tell whether it ran.
    Result<std::unique_ptr<MyConnection>> acquired = pool_->Acquire();
    if (!acquired.ok()) {
      return acquired.status().WithContext(ctx_ + ": connect");
    }
    std::unique_ptr<MyConnection> conn = std::move(acquired).value();
    MyStatus s;
    conn->set_row_writes(std::nullopt);  // it writes
    conn->set_last_branch_wrote(false);
    if (params.empty()) {
      s = conn->RunScript(sql);
    } else {
      int64_t affected = 0;
      s = conn->Execute(sql, params, &affected);
    }
    pool_->Release(std::move(conn));
    return s.ToStatus(ctx_ + ": execute");
  });
}

}  // namespace xatm
