/// @file
/// How to reach one resource. Built from the [resource.NAME] section of the
/// configuration; the password is resolved from the environment at load time
/// and only ever held in memory.
#pragma once

#include <string>

namespace xatm {

/// TLS to a MySQL / MariaDB server (the names of MySQL's `--ssl-mode`).
enum class SslMode {
  kDisabled,        ///< plaintext
  kRequired,        ///< TLS, the server's certificate not checked
  kVerifyCa,        ///< TLS, certificate signed by ssl_ca
  kVerifyIdentity,  ///< and naming the host connected to (SAN / CN)
};

/// How to reach one resource, and its limits: the argument of MakeResource.
/// Plain data, filled by the application (or by the CLI from the
/// configuration file).
struct ResourceConfig {
  std::string name;  ///< [A-Za-z0-9_-]{1,32}
  std::string type;  ///< "postgresql" or "mysql"

  /// PostgreSQL: a libpq conninfo string without a password (libpq reads
  /// PGPASSWORD / ~/.pgpass itself).
  std::string conninfo;

  /// MySQL / MariaDB: the server's host name or address.
  std::string host = "127.0.0.1";
  int port = 3306;       ///< MySQL / MariaDB: the server's TCP port.
  std::string user;      ///< MySQL / MariaDB: the user to log in as.
  std::string database;  ///< MySQL / MariaDB: the default database.
  std::string password;  ///< secret: never log, never print
  /// TLS. Every mode but kDisabled refuses a connection that is not
  /// encrypted. ssl_ca: the CA file (PEM) that signed the server's
  /// certificate (verify modes; verify_identity without it uses the
  /// client library's default CAs; with required it makes the library check
  /// the chain too). ssl_cert / ssl_key: a client certificate and its key,
  /// for servers that ask for one. Paths only: files are read by the client
  /// library, never by us, and their contents never printed.
  SslMode ssl_mode = SslMode::kDisabled;
  std::string ssl_ca;    ///< TLS: the CA file (PEM); see ssl_mode.
  std::string ssl_cert;  ///< TLS: a client certificate file; see ssl_mode.
  std::string ssl_key;   ///< TLS: the client certificate's key; see ssl_mode.

  /// Open connections kept for reuse.
  int pool_size = 8;
  /// Seconds to wait when connecting.
  int connect_timeout_s = 5;
  /// How long a statement waits for a row lock before it fails, set once on
  /// every new connection (PostgreSQL lock_timeout, MariaDB
  /// innodb_lock_wait_timeout rounded up to whole seconds). A deadlock across
  /// two databases is invisible to each of them: this bound makes such a
  /// transaction fail and roll back instead of waiting forever. 0 keeps the
  /// server's default.
  int lock_timeout_ms = 5000;
  /// Bounds every round trip to the database: connect, statements, prepare,
  /// commit, recovery queries. Expiry cancels the request and drops the
  /// connection. Before the decision it is a no vote; after it, in doubt.
  int request_timeout_ms = 10000;
  /// The server closes a session of ours idle this long (MariaDB: any idle
  /// session, wait_timeout; PostgreSQL: one idle inside a transaction,
  /// idle_in_transaction_session_timeout), with TCP keepalives on, so a
  /// branch (or an uncommitted decision row that recovery's fence waits for)
  /// held by a frozen, dead or partitioned coordinator is released within
  /// it. 0 keeps the server's default.
  int idle_session_timeout_s = 60;
  /// off: the database cannot take part in two-phase commit (a proxy that
  /// does not pass XA, a managed server without prepared transactions);
  /// transfers involving it run as sagas (xatm/saga.h).
  bool xa = true;
  /// PostgreSQL: statements with parameters are prepared on the server once
  /// per session. Off behind a pooler in transaction mode (PgBouncer before
  /// 1.21), which hands the session's named statements to other clients.
  bool prepared_statements = true;
};

}  // namespace xatm
