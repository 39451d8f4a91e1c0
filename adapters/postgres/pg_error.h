// How PostgreSQL errors become Status. The SQLSTATE decides the code, and so
// the caller's retry rule; the message keeps the SQLSTATE and the server's
// primary message (never DETAIL, which can quote row values).
#pragma once

#include <string>
#include <string_view>

#include "adapters/db_error_class.h"
#include "xatm/status.h"

namespace xatm {

// SQLSTATEs the adapter treats specially.
inline constexpr std::string_view kSqlStateUndefinedObject = "42704";
inline constexpr std::string_view kSqlStateUndefinedTable = "42P01";
inline constexpr std::string_view kSqlStateNotInPrerequisiteState = "55000";

// Which statement an error answers: one SQLSTATE can mean different things.
enum class PgStatementKind {
  kOther,
  // COMMIT PREPARED / ROLLBACK PREPARED. Their only 55000 is "prepared
  // transaction with identifier ... is busy": another session is finishing
  // the same gid right now. (Elsewhere 55000 is final, such as "prepared
  // transactions are disabled" at PREPARE TRANSACTION.) The SQLSTATE, not
  // the message, decides: messages may be translated.
  kFinishPrepared,
};

// What an error the server reported with `sqlstate` means (see
// adapters/db_error_class.h, shared with the MariaDB adapter):
//   08xxx, 57P01/02/03/05 -> connection lost
//   53xxx, 58xxx, 55006; 55000 answering kFinishPrepared -> server busy
//   40xxx, 55P03, 57014, 25P02 -> transaction rolled back
//   23505, 42710, 42P07 and the other duplicate_* states -> duplicate
//   other 23xxx, P0001 -> constraint violated
//   42501, 28xxx, 3D000 -> not permitted
//   other 55000, other 25xxx -> wrong state
//   42704 answering kFinishPrepared -> unknown transaction
//   other 42xxx, 0Axxx -> bad statement; 22xxx -> bad value
//   XXxxx -> server internal; malformed -> client misuse; else other
DbErrorClass ErrorClassForSqlState(
    std::string_view sqlstate, PgStatementKind kind = PgStatementKind::kOther);
// StatusCodeForClass(ErrorClassForSqlState(...)).
StatusCode StatusCodeForSqlState(
    std::string_view sqlstate, PgStatementKind kind = PgStatementKind::kOther);

// Whether an error with this SQLSTATE means the server session is gone.
bool SqlStateEndsSession(std::string_view sqlstate);

// "<context>: <sqlstate> <message>", plus a hint where one helps (prepared
// transactions disabled, a busy gid).
Status PgErrorStatus(std::string_view context, std::string_view sqlstate,
                     std::string_view message,
                     PgStatementKind kind = PgStatementKind::kOther);

// Unavailable: the connection died under the statement, whose outcome is
// therefore unknown to the server's client.
Status PgConnectionLostStatus(std::string_view context,
                              std::string_view sqlstate,
                              std::string_view message);

// "postgresql resource '<name>': <what>" (without ": <what>" when `what` is
// empty): the prefix of every Status message.
std::string PgContext(std::string_view resource, std::string_view what);

// What to say when connecting failed, from libpq's PQerrorMessage: its
// message on one line when it is about reaching or logging in to a server
// (it names host, port and user, never the password); otherwise a generic
// text. libpq's conninfo parse and option errors quote tokens of the
// conninfo string, where a password typed in the wrong place would be.
std::string ConnectErrorMessage(std::string_view libpq_message);

// libpq messages end in a newline and may span lines: one line for logs and
// Status messages.
std::string OneLine(std::string_view message);

}  // namespace xatm
