/// @file
/// Lists the prepared branches that belong to this node, in every resource.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "xatm/transaction_manager.h"

namespace xatm {

/// A prepared branch of a covered node, in the resource its bqual names.
struct OwnBranch {
  Resource* resource;     ///< where it is prepared (one of the manager's)
  PreparedBranch branch;  ///< its id and age, as the database shows it
  /// Why recovery here must leave it alone ("" if it may resolve it): its
  /// decision lives where this node does not read (DecisionLog::Holds).
  std::string left_alone;
};

/// A resource whose prepared branches could not be listed.
struct ResourceFailure {
  std::string resource;  ///< its name
  Status status;         ///< why (ListPrepared's error)
};

/// A branch of a covered node found in a resource its bqual does not name
/// (the node calls that database by another name): never resolved here.
struct MisplacedBranch {
  BranchId id;           ///< its bqual: the name the branch's node gave it
  std::string found_in;  ///< this node's resource
};

/// What ListOwnBranches and ListBranchesOf found.
struct OwnBranches {
  std::vector<OwnBranch> branches;  ///< in resource order, then listing order
  std::vector<ResourceFailure> failed;     ///< listing failed: state unknown
  std::vector<MisplacedBranch> misplaced;  ///< never resolved here
};

/// The prepared branches, in every resource of `manager`, of the nodes
/// `owns` accepts. Resources for which `skip` returns true are not asked
/// (and not reported failed). ListOwnBranches is this with "this node's
/// id", or "any" with `all_nodes`. Changes nothing.
OwnBranches ListBranchesOf(
    TransactionManager& manager,
    const std::function<bool(const std::string& resource)>& skip,
    const std::function<bool(const std::string& node)>& owns);

/// Branches whose gtrid carries manager.node_id() (any of our node ids with
/// `all_nodes`) and whose bqual names the resource they were found in.
/// Resources for which `skip` returns true are not asked (and not reported
/// failed).
OwnBranches ListOwnBranches(
    TransactionManager& manager,
    const std::function<bool(const std::string& resource)>& skip = nullptr,
    bool all_nodes = false);

}  // namespace xatm
