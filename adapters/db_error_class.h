// What a database error means, whichever server reported it. Each adapter
// names the meaning of its server's error numbers (pg_error.cc: SQLSTATE,
// my_error.cc: errno); the Status code, and so the caller's retry rule,
// follows from the meaning alone, so that the same mistake reads the same
// from every adapter.
#pragma once

#include "xatm/status.h"

namespace xatm {

enum class DbErrorClass {
  // The session is gone or the server cannot be reached or is shutting
  // down: retry the call later.
  kConnectionLost,
  // Too many connections, out of memory or disk, an object busy in another
  // session, an I/O error on the server: retry the call later.
  kServerBusy,
  // Serialization failure, deadlock, lock wait or statement timeout, a
  // transaction already failed: a new attempt of the transaction may work.
  kTransactionRolledBack,
  // A unique key, an object of that name, a transaction id in use: the
  // same request meets the same row again.
  kDuplicate,
  // Foreign key, NOT NULL, CHECK, exclusion, a trigger's refusal: the data
  // breaks a rule of the schema; fix the data or the state first.
  kConstraintViolated,
  // Syntax, an unknown table, column or other object, a feature the
  // server lacks: the statement does not fit the schema.
  kBadStatement,
  // A value out of range, too long, not parseable, a division by zero.
  kBadValue,
  // Authentication, privileges, an unknown database.
  kNotPermitted,
  // A read-only transaction, an invalid transaction state, a setting that
  // forbids the statement (prepared transactions disabled).
  kWrongState,
  // The prepared transaction (gid, XA xid) named is not known.
  kUnknownTransaction,
  // The client library refused the call: a misuse on our side.
  kClientMisuse,
  // The server reports a bug or corruption in itself.
  kServerInternal,
  // Anything else the server could not do: the call may work later.
  kOther,
};

StatusCode StatusCodeForClass(DbErrorClass error_class);

}  // namespace xatm
