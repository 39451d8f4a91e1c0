// Waiting on a libpq connection without passing a deadline. libpq's own
// blocking calls (PQexec, PQgetResult while busy, PQconnectdb) wait as long
// as TCP does, and connect_timeout has whole seconds and does not cover
// statements; so the adapter drives libpq's non-blocking halves and waits
// with poll() on PQsocket, never longer than the deadline.
#pragma once

#include <libpq-fe.h>

#include "adapters/postgres/pg_deadline.h"

namespace xatm {

enum class PgWait {
  kReady,     // the next libpq call will not block
  kTimedOut,  // the deadline passed first
  kFailed,    // the connection failed (PQerrorMessage says why)
};

// Drives PQconnectPoll after PQconnectStart* until the connection is made
// or has failed (kReady; PQstatus tells which).
PgWait AwaitConnected(PGconn* conn, const PgDeadline& deadline);

// Sends what libpq still holds unsent and reads until PQgetResult will not
// block. REQUIRES: the connection is in non-blocking mode.
PgWait AwaitResult(PGconn* conn, const PgDeadline& deadline);

}  // namespace xatm
