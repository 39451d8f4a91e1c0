/// @file
/// The xatm configuration file (INI), the one `xatm` reads: an application
/// that loads it (LoadConfig) and opens its manager from it
/// (xatm/open_from_config.h) shares one file with `xatm recover`, so the
/// operator's recovery finds the same resources and decision log.
///
/// @verbatim
///   node = n1                  # [A-Za-z0-9_-]{1,16}, owns its transactions
///   log_dir = /var/lib/xatm    # decision log; relative = to this file's dir
///   grace_period = 10          # seconds before an orphan is presumed aborted
///   sweep_interval = 5         # seconds between recovery passes
///   log_lock_wait = 10         # seconds a command waits for the file log
///                              # while another xatm process holds it
///   decision_store = file      # or a resource's name: the COMMIT decisions
///                              # live in its table xatm_decisions, shared
///                              # by every node (log_dir is then optional)
///   takeover_after = 30        # with a database decision_store: seconds
///                              # of heartbeat silence after which the other
///                              # nodes take a node over (0: never)
///   heartbeat_interval = 5     # seconds between a long-running node's
///                              # heartbeats (at most takeover_after / 2)
///   key_retention = 604800     # seconds an idempotency key is kept; recovery
///                              # passes delete older ones (a retry after
///                              # that is a new request)
///
///   [resource.pg]
///   type = postgresql
///   conninfo = host=127.0.0.1 port=5432 dbname=bank user=xatm
///
///   [resource.my]
///   type = mysql
///   host = 127.0.0.1           # default 127.0.0.1
///   port = 3306                # default 3306
///   user = xatm
///   database = bank
///   password_env = XATM_MY_PASSWORD
///   ssl_mode = verify_identity # disabled (default), required, verify_ca,
///                              # verify_identity
///   ssl_ca = /etc/xatm/ca.pem  # and ssl_cert, ssl_key (a client
///                              # certificate); relative = to this file's dir
/// @endverbatim
///
/// PostgreSQL's TLS is libpq's: sslmode, sslrootcert... in conninfo.
/// Both kinds also take pool_size, connect_timeout (seconds) and
/// lock_timeout_ms (row lock wait limit of every session; default 5000, 0 =
/// the server's default).
/// Secrets never live in the file: a MySQL password comes only from the
/// environment variable password_env names; libpq reads PGPASSWORD or
/// ~/.pgpass itself. A password key, or a password inside conninfo, is
/// refused. No message ever contains a password.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "xatm/resource_config.h"
#include "xatm/saga.h"
#include "xatm/status.h"

namespace xatm {

/// How sagas run (saga_deadline, saga_attempts, saga_compensation_attempts,
/// saga_backoff, saga_backoff_max, saga_call_timeout): the deadline past
/// which a saga compensates, and the retry policies of its steps and
/// compensations.
struct SagaSettings {
  /// saga_deadline: past it, an unfinished saga compensates.
  int64_t deadline_ms = 30000;
  /// saga_attempts, saga_backoff, saga_backoff_max, saga_call_timeout.
  RetryPolicy step = DefaultStepPolicy();
  /// saga_compensation_attempts (and the step's backoffs): more attempts,
  /// since a compensation that gives up needs an operator.
  RetryPolicy compensation = DefaultCompensationPolicy();

  /// 5 attempts, backoff 50 ms doubling up to 2 s.
  static RetryPolicy DefaultStepPolicy();
  /// The step's policy with 20 attempts.
  static RetryPolicy DefaultCompensationPolicy();
};

/// The whole file, checked: the top-level keys and every
/// `[resource.NAME]` section.
struct Config {
  /// node: the name that owns this process's transactions
  /// ([A-Za-z0-9_-]{1,16}).
  std::string node;
  /// log_dir, absolute. A relative log_dir in the file is taken relative to
  /// the file's directory, so every command finds the same decision log
  /// wherever it runs (a second log would hide COMMIT records from
  /// recovery). Empty only with a database decision store.
  std::string log_dir;
  /// decision_store: "file" (the decision log in log_dir) or the name of the
  /// resource whose database holds the decisions.
  std::string decision_store = "file";
  /// Whether the decisions live in the file log.
  bool file_store() const { return decision_store == "file"; }
  /// grace_period: how long recovery leaves an orphan branch alone before
  /// presuming it aborted.
  int64_t grace_period_ms = 10000;
  /// sweep_interval: time between recovery passes of `xatm serve`.
  int64_t sweep_interval_ms = 5000;
  /// log_lock_wait: how long a command waits for the decision log directory
  /// while another xatm process (a command, or `xatm serve` during a pass)
  /// holds it.
  int64_t log_lock_wait_ms = 10000;
  /// takeover_after: with a database decision store, a node silent this
  /// long is taken over by the others' sweepers (0: never).
  int64_t takeover_after_ms = 30000;
  /// heartbeat_interval: how often a long-running node beats.
  int64_t heartbeat_interval_ms = 5000;
  /// key_retention: idempotency keys older than this are pruned by
  /// recovery passes.
  int64_t key_retention_ms = 7 * 24 * 3600 * 1000LL;
  /// key_retention_ms in whole seconds, at least 1 (SweeperOptions).
  int64_t key_retention_s() const {
    return key_retention_ms < 1000 ? 1 : key_retention_ms / 1000;
  }
  /// The saga keys.
  SagaSettings saga;
  /// saga_retention: finished sagas and their barrier rows are pruned after
  /// this.
  int64_t saga_retention_ms = 7 * 24 * 3600 * 1000LL;
  /// saga_retention_ms in whole seconds, at least 1.
  int64_t saga_retention_s() const {
    return saga_retention_ms < 1000 ? 1 : saga_retention_ms / 1000;
  }
  /// The `[resource.NAME]` sections, in file order.
  std::vector<ResourceConfig> resources;

  /// The resource named `name`; nullptr when there is none.
  const ResourceConfig* FindResource(const std::string& name) const;
};

/// Reads and checks the file at `path`. InvalidArgument with one line naming
/// the file and the problem: "config /x: resource 'my': unknown key
/// 'pasword'", "config /x: missing node", ...
Result<Config> LoadConfig(const std::string& path);

/// The same from a stream; `path` names the file in messages and anchors a
/// relative log_dir.
Result<Config> ParseConfig(std::istream& in, const std::string& path);

}  // namespace xatm
