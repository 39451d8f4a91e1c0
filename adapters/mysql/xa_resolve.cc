#include "adapters/mysql/xa_resolve.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "adapters/mysql/xa_recover.h"
#include "adapters/mysql/xid_literal.h"

namespace xatm::mysql {
namespace {

// After a KILL the server detaches the branch asynchronously (measured:
// an XA COMMIT 0.2 ms after KILL still got 1397, the next one succeeded).
constexpr int kWaitsAfterKill = 7;  // 5 ms doubling: about 0.6 s in all
constexpr std::chrono::milliseconds kFirstWait{5};

// "CONTEXT: error 1397 (XAE04) ...; NOTE"
Status Explain(StatusCode code, const std::string& context, const MyStatus& s,
               const std::string& note) {
  return Status(code, context + ": " + s.Describe() + "; " + note);
}

}  // namespace

std::string ResourceContext(const std::string& name) {
  return "mysql resource '" + name + "'";
}

Status FinishPrepared(ConnectionPool* pool, const std::string& gtrid,
                      XaFinish finish, int64_t stale_session) {
  const std::string ctx = ResourceContext(pool->name());
  const bool commit = finish == XaFinish::kCommit;
  const std::string verb = commit ? "XA COMMIT" : "XA ROLLBACK";
  Result<std::string> literal = XidLiteral(gtrid, pool->name());
  if (!literal.ok()) return literal.status().WithContext(ctx);

  std::unique_ptr<MyConnection> conn;
  bool reused = false;
  MyStatus s = pool->Acquire(&conn, &reused);
  if (!s.ok()) return s.ToStatus(ctx + ": connect");

  bool killed = false;
  int waits = 0;
  std::chrono::milliseconds wait = kFirstWait;
  for (;;) {
    s = conn->Run(verb + " " + *literal);
    if (s.ok()) {
      spdlog::info("xid={} {} on {} from session {}", gtrid,
                   commit ? "committed" : "rolled back", pool->name(),
                   conn->session_id());
      pool->Release(std::move(conn));
      return Status::Ok();
    }
    if (s.connection_lost()) {
      // A pooled session that died while idle: the statement never ran.
      // Repeating a commit or rollback of a prepared xid is harmless anyway.
      if (reused) {
        reused = false;
        conn.reset();
        MyStatus reopened = pool->OpenFresh(&conn);
        if (!reopened.ok()) return reopened.ToStatus(ctx + ": connect");
        continue;
      }
      return s.ToStatus(StatusCode::kUnavailable, ctx + ": " + verb);
    }
    if (IsRolledBackByServer(s.code())) {
      pool->Release(std::move(conn));
      if (!commit) {
        spdlog::info("xid={} rolled back on {} ({})", gtrid, pool->name(),
                     s.Describe());
        return Status::Ok();
      }
      spdlog::warn("xid={} {} on {}: {}: the server rolled the branch back "
                   "(read-only or empty)",
                   gtrid, verb, pool->name(), s.Describe());
      return Explain(StatusCode::kNotFound, ctx + ": " + verb, s,
                     "the server rolled back this read-only or empty branch");
    }
    if (s.code() != errc::kXaerNota) {
      pool->Release(std::move(conn));
      return s.ToStatus(ctx + ": " + verb);
    }

    // 1397: unknown here, or still attached to its preparing session.
    std::vector<RecoveredXid> prepared;
    MyStatus listed = XaRecover(conn.get(), &prepared);
    if (!listed.ok()) {
      Status out = listed.ToStatus(StatusCode::kUnavailable,
                                   ctx + ": XA RECOVER after " + verb);
      pool->Release(std::move(conn));
      return out;
    }
    if (!ContainsXid(prepared, gtrid, pool->name())) {
      pool->Release(std::move(conn));
      spdlog::debug("xid={} {} on {}: not prepared there", gtrid, verb,
                    pool->name());
      return Explain(StatusCode::kNotFound, ctx + ": " + verb, s,
                     "not listed by XA RECOVER: already finished or never "
                     "prepared");
    }
    if (stale_session > 0 && !killed) {
      MyStatus k = conn->Run("KILL " + std::to_string(stale_session));
      if (!k.ok() && k.code() != errc::kUnknownThread) {
        Status out = k.ToStatus(StatusCode::kUnavailable,
                                ctx + ": KILL of the preparing session");
        pool->Release(std::move(conn));
        return out;
      }
      spdlog::warn("xid={} killed stale session {} on {} to detach its "
                   "prepared branch",
                   gtrid, stale_session, pool->name());
      killed = true;
    }
    if (killed && waits < kWaitsAfterKill) {
      std::this_thread::sleep_for(wait);
      wait *= 2;
      ++waits;
      continue;
    }
    pool->Release(std::move(conn));
    return Explain(StatusCode::kUnavailable, ctx + ": " + verb, s,
                   "prepared branch still attached to a live session; retry "
                   "later");
  }
}

}  // namespace xatm::mysql
