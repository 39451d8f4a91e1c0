// Lists the prepared branches that belong to this node, in every resource.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "xatm/transaction_manager.h"

namespace xatm {

struct OwnBranch {
  Resource* resource;
  PreparedBranch branch;
  // Why recovery here must leave it alone ("" if it may resolve it): its
  // decision lives where this node does not read (DecisionLog::Holds).
  std::string left_alone;
};

struct ResourceFailure {
  std::string resource;
  Status status;
};

// A branch of a covered node found in a resource its bqual does not name
// (the node calls that database by another name): never resolved here.
struct MisplacedBranch {
  BranchId id;           // its bqual: the name the branch's node gave it
  std::string found_in;  // this node's resource
};

struct OwnBranches {
  std::vector<OwnBranch> branches;
  std::vector<ResourceFailure> failed;  // listing failed: state unknown
  std::vector<MisplacedBranch> misplaced;
};

// Branches whose gtrid carries manager.node_id() (any of our node ids with
// `all_nodes`) and whose bqual names the resource they were found in.
// Resources for which `skip` returns true are not asked (and not reported
// failed).
// The same for the nodes `owns` accepts (ListOwnBranches is this with
// "this node's id", or "any" with `all_nodes`).
OwnBranches ListBranchesOf(
    TransactionManager& manager,
    const std::function<bool(const std::string& resource)>& skip,
    const std::function<bool(const std::string& node)>& owns);

OwnBranches ListOwnBranches(
    TransactionManager& manager,
    const std::function<bool(const std::string& resource)>& skip = nullptr,
    bool all_nodes = false);

}  // namespace xatm
