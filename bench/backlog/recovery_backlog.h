// A backlog of in-doubt transactions for recovery at scale: N global
// transactions, each with a PostgreSQL and a MariaDB branch prepared and
// left behind as a crashed coordinator leaves them, half of them with a
// COMMIT record in the decision log. Built straight on the resources and
// the log (no coordinator), from several threads: a MariaDB session that
// holds a prepared branch cannot start another, so each pair's MariaDB
// branch closes its session and the next one opens a new one.
//
// Pair i moves 1.00 from account PREFIX<i> in PostgreSQL to PREFIX<i> in
// MariaDB (each pair its own accounts: a prepared branch keeps its row
// locks) and writes the ledger rows recovery reads as evidence.
#pragma once

#include <string>
#include <vector>

#include "xatm/decision_log.h"
#include "xatm/resource.h"
#include "xatm/status.h"
#include "xatm/xid.h"

namespace xatm::backlog {

struct BacklogPair {
  std::string gtrid;
  std::string account;  // the same id in both databases
  bool decided_commit = false;
};

struct Backlog {
  std::string account_prefix;
  std::vector<BacklogPair> pairs;
  int committed_count() const;
};

struct BacklogOptions {
  int pairs = 1000;
  int threads = 8;
  // Unique per run, so that leftovers of earlier runs never interfere.
  std::string account_prefix;
};

inline constexpr int kOpeningBalance = 100;  // of every backlog account

// Creates the accounts (one statement per database), then prepares every
// pair and logs COMMIT for the even ones. The tables must exist. The
// branches are named after `pg` and `my` (their resource names).
Result<Backlog> BuildBacklog(Resource& pg, Resource& my, DecisionLog& log,
                             XidGenerator& xids, const BacklogOptions& options);

// What the databases must show once recovery is done: no branch of the
// backlog prepared; ledger rows of exactly the decided pairs in both
// databases; each account at its exact balance (99.00 / 101.00 where the
// pair committed, 100.00 elsewhere) and the sums to match. Returns one line
// per problem (empty: all correct), or an error when a query failed.
Result<std::vector<std::string>> CheckBacklog(Resource& pg, Resource& my,
                                              const Backlog& backlog);

}  // namespace xatm::backlog
