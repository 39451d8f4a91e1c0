// PostgreSQL prepared transactions by gid: building the statements and
// finishing them. PREPARE TRANSACTION and COMMIT/ROLLBACK PREPARED are
// utility statements that take no bind parameters, so the gid is pasted into
// the text: only after checking it holds nothing but [A-Za-z0-9_:-], and
// then still quoted as a literal.
#pragma once

#include <string>
#include <string_view>

#include "adapters/postgres/pg_connection.h"
#include "xatm/status.h"
#include "xatm/xid.h"

namespace xatm {

// The gid of `xid`'s branch on `resource`, checked. InvalidArgument when the
// node id or resource name is not valid.
Result<std::string> BranchGid(const Xid& xid, std::string_view resource);

// "<verb> '<gid>'", e.g. TwoPhaseStatement(conn, "COMMIT PREPARED", gid).
// InvalidArgument when `gid` holds characters outside [A-Za-z0-9_:-].
Result<std::string> TwoPhaseStatement(PgConnection& conn, std::string_view verb,
                                      std::string_view gid);

enum class PgPreparedAction { kCommit, kRollback };

// Runs COMMIT PREPARED or ROLLBACK PREPARED of `gid` on `conn` (any session
// of the database will do) within `deadline`. OK = done; NotFound (42704) =
// the server does not know the gid (already resolved, or never prepared);
// Unavailable = the connection failed or timed out (outcome unknown), or
// another session is finishing the gid right now (55000 "is busy"): ask
// again later. `context` prefixes the message.
Status FinishPreparedTransaction(PgConnection& conn, PgPreparedAction action,
                                 std::string_view gid, std::string_view context,
                                 const PgDeadline& deadline);
// The status FinishPreparedTransaction gives for `result`, the answer to
// COMMIT / ROLLBACK PREPARED sent some other way.
Status FinishedPreparedStatus(const PgResult& result, PgPreparedAction action,
                              std::string_view context);

}  // namespace xatm
