// The global transaction id and its encodings for each database.
//
// gtrid  = "xatm:" node ":" begin_ms ":" unique(16 hex) ":" home
//                                                          (<= 64 bytes)
// bqual  = resource name                                   (<= 32 bytes)
// PostgreSQL gid = gtrid ":" bqual                         (<= 97 bytes < 200)
// MySQL xid      = ('gtrid', 'bqual', kFormatId)           (<= 64 bytes each)
//
// The node id lives in the gtrid because MariaDB ignores formatID when
// matching xids: ownership must be readable from gtrid alone. The begin time
// lets the sweeper compute a branch's age without any other state. The home
// says where the COMMIT decision lives (DecisionLog::home(): "f" a node's
// own log directory, "d" + id a database store), so that recovery never
// presumes abort for a transaction whose decision is in a store it does not
// read. Gtrids made before the home existed have none; only their own node
// resolves them.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "xatm/status.h"

namespace xatm {

inline constexpr std::string_view kXidPrefix = "xatm:";
inline constexpr int kMysqlFormatId = 0x78746d31;  // "xtm1"
inline constexpr size_t kMaxNodeIdLength = 16;
inline constexpr size_t kMaxResourceNameLength = 32;
inline constexpr size_t kMaxHomeLength = 9;

// Node ids and resource names: 1..N bytes of [A-Za-z0-9_-].
Status ValidateNodeId(std::string_view node);
Status ValidateResourceName(std::string_view name);
// Homes: 1..kMaxHomeLength bytes of [a-z0-9].
Status ValidateHome(std::string_view home);

struct Xid {
  std::string node;
  int64_t begin_ms = 0;  // Unix time in milliseconds at begin().
  uint64_t unique = 0;   // Unique within (node, begin_ms).
  std::string home;      // Where the decision lives; "" in old gtrids.

  std::string Gtrid() const;
  // The PostgreSQL gid of this transaction's branch on `resource`.
  std::string PostgresGid(std::string_view resource) const;

  // Parses a gtrid made by Gtrid(); NotFound-free: InvalidArgument when `s`
  // is not one of ours (wrong prefix, bad field, too long).
  static Result<Xid> ParseGtrid(std::string_view s);

  bool operator==(const Xid& o) const {
    return node == o.node && begin_ms == o.begin_ms && unique == o.unique &&
           home == o.home;
  }
  bool operator!=(const Xid& o) const { return !(*this == o); }
};

// A branch id as found in a database: the global id plus the branch qualifier.
struct BranchId {
  Xid xid;
  std::string resource;  // bqual
};

// Parses a PostgreSQL gid made by Xid::PostgresGid().
Result<BranchId> ParsePostgresGid(std::string_view gid);

// Makes fresh Xids for one node: unique even across restarts within the same
// millisecond (random per-process prefix + counter). `home`: where their
// decisions live ("" makes gtrids without one, as before homes existed).
class XidGenerator {
 public:
  explicit XidGenerator(std::string node, std::string home = "");
  Xid Next(int64_t now_ms);
  const std::string& node() const { return node_; }

 private:
  std::string node_;
  std::string home_;
  uint32_t process_random_;
  std::atomic<uint32_t> counter_;
};

}  // namespace xatm
