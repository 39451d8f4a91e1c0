/// @file
/// The nodes that share a database decision store: the table xatm_nodes
/// (sql/nodes-*.sql) in the store's database. A long-running node (xatm
/// serve, an application's BackgroundSweeper) claims its node id there and
/// refreshes `last_seen` by the database's clock; a node silent for longer
/// than `takeover_after` is presumed dead and the other nodes' sweepers
/// resolve its branches through the decision fence (see sweeper.h). The
/// fence, not this table, keeps that safe: a node that was only slow finds
/// its late decisions refused and its transactions rolled back, never
/// contradicted. The table only says when to start looking.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "xatm/resource.h"
#include "xatm/status.h"

namespace xatm {

/// One row of xatm_nodes: which process holds a node id, and since when it
/// is silent.
struct NodeRecord {
  std::string node;  ///< the node id (the table's key)
  /// Which process holds the node id: its token (process_identity.h).
  std::string instance;
  std::string host;    ///< the holder's host name
  int64_t pid = 0;     ///< the holder's process id
  int64_t age_ms = 0;  ///< since its last heartbeat, by the database's clock
};

/// The table xatm_nodes in the decision store's database (see the file
/// comment). Every call is one statement in its own local transaction;
/// errors are the resource's (Unavailable when it cannot be reached).
/// Thread-safe, like the Resource under it.
class NodeRegistry {
 public:
  /// The table in `store` (the decision store's resource, which outlives
  /// this object). InvalidArgument for a resource type without a dialect.
  static Result<std::unique_ptr<NodeRegistry>> Open(Resource& store);
  /// Creates the table if it is missing (xatm init).
  static Status CreateTable(Resource& store);

  ~NodeRegistry();

  /// Every row, by node id.
  Result<std::vector<NodeRecord>> List() const;
  /// The row of `node`, or nullopt.
  Result<std::optional<NodeRecord>> Find(const std::string& node) const;
  /// Inserts `self` (node, instance, host, pid; last_seen now) unless the
  /// node id has a row. True when this call inserted it.
  Result<bool> InsertIfAbsent(const NodeRecord& self);
  /// Gives the node id to `self` if its row still names `holder_instance`
  /// (compare and set). True when it did.
  Result<bool> Take(const NodeRecord& self, const std::string& holder_instance);
  /// Refreshes last_seen if the row still names self's instance. False when
  /// another process has taken the node id (or the row is gone).
  Result<bool> Beat(const NodeRecord& self);
  /// Deletes the node's row if its last heartbeat is at least `silent_ms`
  /// old (by the database's clock, at the moment of the delete). True when
  /// it did.
  Result<bool> ForgetIfSilent(const std::string& node, int64_t silent_ms);

  struct Sql;  // the statements of one dialect (internal)

 private:
  NodeRegistry(Resource& store, std::unique_ptr<const Sql> sql);
  Result<int64_t> ExecuteCounted(const std::string& sql,
                                 const std::vector<std::string>& params);

  Resource& store_;
  std::unique_ptr<const Sql> sql_;
};

}  // namespace xatm
