/// @file
/// The global transaction id and its encodings for each database.
///
/// @verbatim
/// gtrid  = "xatm:" node ":" begin_ms ":" unique(16 hex) ":" home
///                                                          (<= 64 bytes)
/// bqual  = resource name                                   (<= 32 bytes)
/// PostgreSQL gid = gtrid ":" bqual                         (<= 97 bytes < 200)
/// MySQL xid      = ('gtrid', 'bqual', kFormatId)           (<= 64 bytes each)
/// @endverbatim
///
/// The node id lives in the gtrid because MariaDB ignores formatID when
/// matching xids: ownership must be readable from gtrid alone. The begin time
/// lets the sweeper compute a branch's age without any other state. The home
/// says where the COMMIT decision lives (DecisionLog::home(): "f" a node's
/// own log directory, "d" + id a database store), so that recovery never
/// presumes abort for a transaction whose decision is in a store it does not
/// read. Gtrids made before the home existed have none; only their own node
/// resolves them.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "xatm/status.h"

namespace xatm {

/// Every gtrid of xatm starts with this; recovery ignores other ids.
inline constexpr std::string_view kXidPrefix = "xatm:";
/// The formatID of every MySQL / MariaDB xid of xatm: "xtm1".
inline constexpr int kMysqlFormatId = 0x78746d31;  // "xtm1"
/// The longest node id, in bytes.
inline constexpr size_t kMaxNodeIdLength = 16;
/// The longest resource name (the bqual), in bytes.
inline constexpr size_t kMaxResourceNameLength = 32;
/// The longest decision home (Xid::home), in bytes.
inline constexpr size_t kMaxHomeLength = 9;

/// OK when `node` is 1..kMaxNodeIdLength bytes of [A-Za-z0-9_-];
/// otherwise InvalidArgument naming it and the rule.
Status ValidateNodeId(std::string_view node);
/// OK when `name` is 1..kMaxResourceNameLength bytes of [A-Za-z0-9_-];
/// otherwise InvalidArgument naming it and the rule.
Status ValidateResourceName(std::string_view name);
/// OK when `home` is 1..kMaxHomeLength bytes of [a-z0-9]; otherwise
/// InvalidArgument.
Status ValidateHome(std::string_view home);

/// The id of one global transaction, shared by all of its branches.
///
/// Plain data; Gtrid() is its text form, ParseGtrid() reads one back.
struct Xid {
  std::string node;      ///< The node that began it: [A-Za-z0-9_-]{1,16}.
  int64_t begin_ms = 0;  ///< Unix time in milliseconds at begin().
  uint64_t unique = 0;   ///< Unique within (node, begin_ms).
  std::string home;      ///< Where the decision lives; "" in old gtrids.

  /// The text form, "xatm:NODE:BEGIN_MS:UNIQUE[:HOME]", at most 64 bytes:
  /// the gtrid of every branch and the key of its decision.
  std::string Gtrid() const;
  /// The PostgreSQL gid of this transaction's branch on `resource`.
  std::string PostgresGid(std::string_view resource) const;

  /// Parses a gtrid made by Gtrid(); NotFound-free: InvalidArgument when `s`
  /// is not one of ours (wrong prefix, bad field, too long).
  static Result<Xid> ParseGtrid(std::string_view s);

  /// Equal when every field is.
  bool operator==(const Xid& o) const {
    return node == o.node && begin_ms == o.begin_ms && unique == o.unique &&
           home == o.home;
  }
  /// Not operator==.
  bool operator!=(const Xid& o) const { return !(*this == o); }
};

/// A branch id as found in a database: the global id plus the branch qualifier.
struct BranchId {
  Xid xid;               ///< The global transaction it belongs to.
  std::string resource;  ///< bqual: the name of the resource it was made on.
};

/// Parses a PostgreSQL gid made by Xid::PostgresGid(). InvalidArgument when
/// `gid` is not one of ours.
Result<BranchId> ParsePostgresGid(std::string_view gid);

/// Makes fresh Xids for one node: unique even across restarts within the same
/// millisecond (random per-process prefix + counter). Thread-safe.
class XidGenerator {
 public:
  /// Xids of node `node`. `home`: where their decisions live ("" makes
  /// gtrids without one, as before homes existed).
  explicit XidGenerator(std::string node, std::string home = "");
  /// A new Xid begun at `now_ms` (Unix time in milliseconds).
  Xid Next(int64_t now_ms);
  /// The node id every Xid carries.
  const std::string& node() const { return node_; }

 private:
  std::string node_;
  std::string home_;
  uint32_t process_random_;
  std::atomic<uint32_t> counter_;
};

}  // namespace xatm
