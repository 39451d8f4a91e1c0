#include "adapters/mysql/my_xa_resolve.h"

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "adapters/mysql/my_xa_recover.h"
#include "adapters/mysql/my_xid_literal.h"
#include "xatm/logging.h"

namespace xatm {
namespace {

// After the preparing session left the process list: the rest of its
// teardown (which hands the prepared transaction to InnoDB) is a short
// stretch of code, so this only has to cover the thread being descheduled.
constexpr std::chrono::milliseconds kHandOverMargin{100};
// How long a KILLed session may take to leave the process list.
constexpr std::chrono::seconds kSessionEndTimeout{5};
constexpr std::chrono::milliseconds kSessionPoll{2};
// Boot times read as now - uptime jitter by a second.
constexpr int64_t kBootToleranceS = 2;
// A detached branch still answering 1397 + listed: retried this many times,
// 5 ms doubling (about 0.6 s in all).
constexpr int kAttachedRetries = 7;
constexpr std::chrono::milliseconds kFirstRetryWait{5};

// "CONTEXT: error 1397 (XAE04) ...; NOTE"
Status Explain(StatusCode code, const std::string& context, const MyStatus& s,
               const std::string& note) {
  return Status(code, context + ": " + s.Describe() + "; " + note);
}

}  // namespace

std::string ResourceContext(const std::string& name) {
  return "mysql resource '" + name + "'";
}

MyStatus EndSession(MyConnection* conn, const MyPreparingSession& session,
                    const std::string& gtrid) {
  if (session.id <= 0) return MyStatus::Ok();
  const int64_t drift = conn->server_boot_s() - session.server_boot_s;
  if (drift > kBootToleranceS || drift < -kBootToleranceS) {
    return MyStatus::Ok();  // restarted: every old session is gone
  }
  const std::string id = std::to_string(session.id);
  const auto deadline = std::chrono::steady_clock::now() + kSessionEndTimeout;
  bool killed = false;
  for (;;) {
    std::vector<Row> rows;
    MyStatus s = conn->RunQuery(
        "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = " + id,
        &rows);
    if (!s.ok()) return s;
    if (rows.size() == 1 && !rows[0].empty() &&
        rows[0][0] == std::optional<std::string>("0")) {
      break;
    }
    if (!killed) {
      MyStatus k = conn->Run("KILL " + id);
      if (!k.ok() && k.code() != my_errc::kUnknownThread) return k;
      Logger()->warn("xid={} killed session {}, whose client side is gone",
                     gtrid.empty() ? "?" : gtrid, id);
      killed = true;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return MyStatus(
          MyError{0, "HY000", "session " + id + " did not end after KILL"});
    }
    std::this_thread::sleep_for(kSessionPoll);
  }
  std::this_thread::sleep_for(kHandOverMargin);
  return MyStatus::Ok();
}

Status FinishPrepared(MyConnectionPool* pool, const std::string& gtrid,
                      MyXaFinish finish, const MyPreparingSession* preparer,
                      MyDeadline deadline) {
  const std::string ctx = ResourceContext(pool->name());
  const bool commit = finish == MyXaFinish::kCommit;
  const std::string verb = commit ? "XA COMMIT" : "XA ROLLBACK";
  Result<std::string> literal = XidLiteral(gtrid, pool->name());
  if (!literal.ok()) return literal.status().WithContext(ctx);

  bool reused = false;
  Result<std::unique_ptr<MyConnection>> acquired =
      pool->Acquire(&reused, deadline);
  if (!acquired.ok()) return acquired.status().WithContext(ctx + ": connect");
  std::unique_ptr<MyConnection> conn = std::move(acquired).value();
  MyStatus s;
  if (preparer != nullptr) {
    s = EndSession(conn.get(), *preparer, gtrid);
    if (s.connection_lost() && !s.timed_out() && reused) {
      reused = false;
      conn.reset();
      Result<std::unique_ptr<MyConnection>> fresh = pool->OpenFresh(deadline);
      if (!fresh.ok()) {
        return Status(StatusCode::kUnavailable,
                      ctx + ": ending the preparing session: " +
                          fresh.status().message());
      }
      conn = std::move(fresh).value();
      s = EndSession(conn.get(), *preparer, gtrid);
    }
    if (!s.ok()) {
      pool->Release(std::move(conn));
      return s.ToStatus(StatusCode::kUnavailable,
                        ctx + ": ending the preparing session");
    }
  }

  int retries = 0;
  std::chrono::milliseconds wait = kFirstRetryWait;
  for (;;) {
    s = conn->Run(verb + " " + *literal);
    if (s.ok()) {
      Logger()->info("xid={} {} on {} from session {}", gtrid,
                     commit ? "committed" : "rolled back", pool->name(),
                     conn->session_id());
      pool->Release(std::move(conn));
      return Status::Ok();
    }
    if (s.connection_lost()) {
      // A pooled session that died while idle: the statement never ran.
      // Repeating a commit or rollback of a prepared xid is harmless anyway.
      if (reused && !s.timed_out()) {
        reused = false;
        conn.reset();
        Result<std::unique_ptr<MyConnection>> reopened =
            pool->OpenFresh(deadline);
        if (!reopened.ok()) {
          return reopened.status().WithContext(ctx + ": connect");
        }
        conn = std::move(reopened).value();
        continue;
      }
      return s.ToStatus(StatusCode::kUnavailable, ctx + ": " + verb);
    }
    if (IsRolledBackByServer(s.code())) {
      pool->Release(std::move(conn));
      if (!commit) {
        Logger()->info("xid={} rolled back on {} ({})", gtrid, pool->name(),
                       s.Describe());
        return Status::Ok();
      }
      Logger()->info(
          "xid={} {} on {}: {}: a branch that changed nothing, left "
          "prepared; nothing to commit",
          gtrid, verb, pool->name(), s.Describe());
      return Explain(StatusCode::kAborted, ctx + ": " + verb, s,
                     "the branch changed nothing: nothing to commit");
    }
    if (s.code() != my_errc::kXaerNota) {
      pool->Release(std::move(conn));
      return s.ToStatus(ctx + ": " + verb);
    }

    // 1397: unknown here, or still attached to its preparing session.
    std::vector<MyRecoveredXid> prepared;
    MyStatus listed = XaRecover(conn.get(), &prepared);
    if (!listed.ok()) {
      Status out = listed.ToStatus(StatusCode::kUnavailable,
                                   ctx + ": XA RECOVER after " + verb);
      pool->Release(std::move(conn));
      return out;
    }
    if (!ContainsXid(prepared, gtrid, pool->name())) {
      pool->Release(std::move(conn));
      Logger()->debug("xid={} {} on {}: not prepared there", gtrid, verb,
                      pool->name());
      return Explain(StatusCode::kNotFound, ctx + ": " + verb, s,
                     "not listed by XA RECOVER: already finished or never "
                     "prepared");
    }
    // Attached. After EndSession nothing should hold it; allow a moment.
    if (preparer != nullptr && retries < kAttachedRetries) {
      std::this_thread::sleep_for(wait);
      wait *= 2;
      ++retries;
      continue;
    }
    pool->Release(std::move(conn));
    return Explain(StatusCode::kUnavailable, ctx + ": " + verb, s,
                   "prepared branch still attached to a live session; retry "
                   "later");
  }
}

}  // namespace xatm
