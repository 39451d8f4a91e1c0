#include "adapters/postgres/pg_error.h"

namespace xatm {
namespace {

bool HasClass(std::string_view sqlstate, std::string_view sql_class) {
  return sqlstate.substr(0, 2) == sql_class;
}

}  // namespace

DbErrorClass ErrorClassForSqlState(std::string_view sqlstate,
                                   PgStatementKind kind) {
  if (sqlstate.size() != 5) return DbErrorClass::kClientMisuse;
  if (SqlStateEndsSession(sqlstate) || sqlstate == "57P03") {
    return DbErrorClass::kConnectionLost;
  }
  if (HasClass(sqlstate, "53") || HasClass(sqlstate, "58") ||
      sqlstate == "55006") {
    // 53: too many connections, out of memory or disk; 58: I/O error;
    // 55006: an object in use by another session.
    return DbErrorClass::kServerBusy;
  }
  if (kind == PgStatementKind::kFinishPrepared) {
    // 55000: the gid is busy, another session is committing or rolling it
    // back. It may yet fail there, so the answer is "ask again".
    if (sqlstate == kSqlStateNotInPrerequisiteState) {
      return DbErrorClass::kServerBusy;
    }
    if (sqlstate == kSqlStateUndefinedObject) {
      return DbErrorClass::kUnknownTransaction;
    }
  }
  if (HasClass(sqlstate, "40") || sqlstate == "55P03" || sqlstate == "57014" ||
      sqlstate == "25P02") {
    // Serialization failure, deadlock, lock timeout, statement timeout,
    // "transaction is aborted": this transaction is lost, a new attempt
    // may succeed.
    return DbErrorClass::kTransactionRolledBack;
  }
  // unique_violation and the duplicate_* states of class 42 (database,
  // cursor, schema, table, column, object such as a gid, function...).
  static constexpr std::string_view kDuplicates[] = {
      "23505", "42P03", "42P04", "42P05", "42P06",
      "42P07", "42701", "42710", "42712", "42723"};
  for (std::string_view duplicate : kDuplicates) {
    if (sqlstate == duplicate) return DbErrorClass::kDuplicate;
  }
  // P0001: RAISE EXCEPTION in a trigger or function.
  if (HasClass(sqlstate, "23") || sqlstate == "P0001") {
    return DbErrorClass::kConstraintViolated;
  }
  if (sqlstate == "42501" || HasClass(sqlstate, "28") || sqlstate == "3D000") {
    return DbErrorClass::kNotPermitted;
  }
  if (sqlstate == kSqlStateNotInPrerequisiteState || HasClass(sqlstate, "25")) {
    return DbErrorClass::kWrongState;
  }
  if (HasClass(sqlstate, "42") || HasClass(sqlstate, "0A")) {
    return DbErrorClass::kBadStatement;
  }
  if (HasClass(sqlstate, "22")) return DbErrorClass::kBadValue;
  if (HasClass(sqlstate, "XX")) return DbErrorClass::kServerInternal;
  return DbErrorClass::kOther;
}

StatusCode StatusCodeForSqlState(std::string_view sqlstate,
                                 PgStatementKind kind) {
  return StatusCodeForClass(ErrorClassForSqlState(sqlstate, kind));
}

bool SqlStateEndsSession(std::string_view sqlstate) {
  // 57P01 admin shutdown (pg_terminate_backend), 57P02 crash shutdown,
  // 57P05 idle session timeout.
  return HasClass(sqlstate, "08") || sqlstate == "57P01" ||
         sqlstate == "57P02" || sqlstate == "57P05";
}

Status PgErrorStatus(std::string_view context, std::string_view sqlstate,
                     std::string_view message, PgStatementKind kind) {
  std::string text = std::string(context) + ": " + std::string(sqlstate) + " " +
                     OneLine(message);
  if (sqlstate == kSqlStateNotInPrerequisiteState &&
      message.find("prepared transactions are disabled") !=
          std::string_view::npos) {
    text +=
        " (set max_prepared_transactions > 0 in postgresql.conf and restart "
        "the server)";
  }
  const StatusCode code = StatusCodeForSqlState(sqlstate, kind);
  if (kind == PgStatementKind::kFinishPrepared &&
      code == StatusCode::kUnavailable &&
      sqlstate == kSqlStateNotInPrerequisiteState) {
    text += " (another session is finishing it; retry later)";
  }
  return Status(code, std::move(text));
}

Status PgConnectionLostStatus(std::string_view context,
                              std::string_view sqlstate,
                              std::string_view message) {
  std::string text = std::string(context) + ": connection lost";
  if (!sqlstate.empty() || !message.empty()) {
    std::string detail = std::string(sqlstate);
    if (!detail.empty() && !message.empty()) detail += " ";
    detail += OneLine(message);
    text += " (" + detail + ")";
  }
  return Status::Unavailable(std::move(text));
}

std::string PgContext(std::string_view resource, std::string_view what) {
  std::string context = "postgresql resource '" + std::string(resource) + "'";
  if (!what.empty()) context += ": " + std::string(what);
  return context;
}

std::string ConnectErrorMessage(std::string_view libpq_message) {
  // Connection attempts report "connection to server at "HOST" (ADDR), port
  // N failed: ..." (or "on socket ..."), also for what the server answered
  // (authentication, unknown database); a failed name lookup reports the
  // host. Anything else comes from checking the conninfo string itself.
  static constexpr std::string_view kSafePrefixes[] = {
      "connection to server ", "could not translate host name "};
  const std::string line = OneLine(libpq_message);
  for (std::string_view prefix : kSafePrefixes) {
    if (line.compare(0, prefix.size(), prefix) == 0) return line;
  }
  return "libpq rejected the conninfo string (its message is withheld: it "
         "may quote a secret); check the conninfo keywords and values";
}

std::string OneLine(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  size_t start = 0;
  while (start <= message.size()) {
    size_t end = message.find('\n', start);
    if (end == std::string_view::npos) end = message.size();
    std::string_view line = message.substr(start, end - start);
    const size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string_view::npos) {
      line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
      if (!out.empty()) out += "; ";
      out.append(line);
    }
    start = end + 1;
  }
  return out;
}

}  // namespace xatm
