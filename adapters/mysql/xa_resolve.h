// Finishing a prepared XA branch from a session that did not prepare it:
// what recovery does, and what a branch falls back to when its own
// connection broke after XA PREPARE.
#pragma once

#include <cstdint>
#include <string>

#include "adapters/mysql/connection_pool.h"
#include "tm/status.h"

namespace xatm::mysql {

enum class XaFinish { kCommit, kRollback };

// XA COMMIT / XA ROLLBACK of the branch (gtrid, pool->name()) on a pooled
// connection.
//
// MariaDB answers 1397 XAER_NOTA both for an xid it does not know and for
// one still attached to the live session that prepared it; XA RECOVER tells
// the two apart. `stale_session` is the server id of the preparing session
// when the caller knows that session's client side is gone (0 otherwise).
// If the branch is still attached, that session is killed once (the branch
// then detaches with its changes, see notes/databases.md) and the statement
// retried for a short while. The KILL is only sent after XA RECOVER listed
// the xid as attached, which proves the preparing session still exists in
// this server's lifetime, so the id cannot name an unrelated session left
// over from before a restart.
//
// OK: done. NotFound: the server does not hold the branch (already
// finished, never prepared, or - for a commit - rolled back by the server
// because it was read-only). Unavailable: still attached, or the server is
// unreachable; retry later. A rollback answered XA_RB* is OK: rolled back.
Status FinishPrepared(ConnectionPool* pool, const std::string& gtrid,
                      XaFinish finish, int64_t stale_session = 0);

// "mysql resource 'NAME'", the prefix of every Status message.
std::string ResourceContext(const std::string& name);

}  // namespace xatm::mysql
