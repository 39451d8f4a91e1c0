// Finishing a prepared XA branch from a session that did not prepare it:
// what recovery does, and what a branch falls back to when its own
// connection broke after XA PREPARE.
//
// Two MariaDB 10.11 behaviours shape this file (measured, see also
// notes/databases.md):
//  - While the preparing session is connected, XA COMMIT / XA ROLLBACK from
//    any other session answer 1397 XAER_NOTA although XA RECOVER lists the
//    xid. KILL of the preparing session detaches the branch.
//  - RACE: while a session holding a prepared branch is being torn down
//    (client disconnect or KILL), the server first marks the xid detached
//    and only a moment later hands the InnoDB transaction over. An XA COMMIT
//    from another session in between answers OK but commits nothing: the
//    transaction lives on, keeps its locks, is no longer listed by XA
//    RECOVER, and answers 1397 to everything until the server restarts. The
//    preparing session leaves information_schema.PROCESSLIST just before the
//    hand-over, so EndSession() waits for that and then a margin before
//    anyone finishes the branch. Measured: 3 bad commits in 500 when
//    committing right after a disconnect; none in 1600 after waiting for the
//    process list alone.
#pragma once

#include <cstdint>
#include <string>

#include "adapters/mysql/my_connection.h"
#include "adapters/mysql/my_connection_pool.h"
#include "xatm/status.h"

namespace xatm {

enum class MyXaFinish { kCommit, kRollback };

// The session that prepared a branch, as the branch remembers it.
struct MyPreparingSession {
  int64_t id = 0;             // CONNECTION_ID()
  int64_t server_boot_s = 0;  // MyConnection::server_boot_s() at the time
};

// Makes sure `session`, whose client side is gone, no longer holds anything
// on the server: KILLs it if the process list still shows it, waits until it
// is gone from there, then waits the hand-over margin. Does nothing when the
// server has restarted since (the id may then name an unrelated session).
// Runs on `conn`, another session of the same server. `gtrid`, if given,
// names the branch in the log.
MyStatus EndSession(MyConnection* conn, const MyPreparingSession& session,
                    const std::string& gtrid = "");

// XA COMMIT / XA ROLLBACK of the branch (gtrid, pool->name()) on a pooled
// connection.
//
// 1397 XAER_NOTA means "unknown" or "still attached"; XA RECOVER tells them
// apart. `preparer`, when given, is the branch's own session whose client
// side is gone: it is ended first (EndSession), so the branch detaches.
// Without it (recovery), an attached branch is left alone: Unavailable.
//
// OK: done. NotFound: the server does not hold the branch (already
// finished or never prepared). Aborted (commit only): MariaDB answered 1402
// XA_RBROLLBACK and forgot the branch, which it does for a branch that
// changed nothing: there was nothing to commit, and no ledger row can tell
// (a read-only branch left prepared by an older version; this one finishes
// them at prepare). Unavailable: still attached, or the server is
// unreachable or did not answer in time; retry later. A rollback answered
// XA_RB* is OK: rolled back. No call waits past `deadline` (nor past the
// request timeout).
Status FinishPrepared(MyConnectionPool* pool, const std::string& gtrid,
                      MyXaFinish finish,
                      const MyPreparingSession* preparer = nullptr,
                      MyDeadline deadline = std::nullopt);

// "mysql resource 'NAME'", the prefix of every Status message.
std::string ResourceContext(const std::string& name);

}  // namespace xatm
