// How PostgreSQL errors become Status. The SQLSTATE decides the code, and so
// the caller's retry rule; the message keeps the SQLSTATE and the server's
// primary message (never DETAIL, which can quote row values).
#pragma once

#include <string>
#include <string_view>

#include "tm/status.h"

namespace xatm {

// SQLSTATEs the adapter treats specially.
inline constexpr std::string_view kSqlStateUndefinedObject = "42704";
inline constexpr std::string_view kSqlStateUndefinedTable = "42P01";
inline constexpr std::string_view kSqlStateNotInPrerequisiteState = "55000";

// The code for an error the server reported with `sqlstate`:
//   08xxx, 57P01/02/03, 53xxx, 55006 -> Unavailable (retry the call)
//   40xxx, 55P03, 57014, 23xxx, 25P02 -> Aborted (retry the transaction)
//   42704 -> NotFound, 42710 -> AlreadyExists
//   55000, 42501, 25xxx, 28xxx, 3D000 -> FailedPrecondition
//   other 42xxx, 22xxx, 0Axxx -> InvalidArgument; anything else -> Internal
StatusCode StatusCodeForSqlState(std::string_view sqlstate);

// Whether an error with this SQLSTATE means the server session is gone.
bool SqlStateEndsSession(std::string_view sqlstate);

// "<context>: <sqlstate> <message>", plus a hint where one helps (prepared
// transactions disabled).
Status PgErrorStatus(std::string_view context, std::string_view sqlstate,
                     std::string_view message);

// Unavailable: the connection died under the statement, whose outcome is
// therefore unknown to the server's client.
Status PgConnectionLostStatus(std::string_view context,
                              std::string_view sqlstate,
                              std::string_view message);

// "postgresql resource '<name>': <what>" (without ": <what>" when `what` is
// empty): the prefix of every Status message.
std::string PgContext(std::string_view resource, std::string_view what);

// libpq messages end in a newline and may span lines: one line for logs and
// Status messages.
std::string OneLine(std::string_view message);

}  // namespace xatm
