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
};

struct ResourceFailure {
  std::string resource;
  Status status;
};

struct OwnBranches {
  std::vector<OwnBranch> branches;
  std::vector<ResourceFailure> failed;  // listing failed: state unknown
  // Branches of the nodes asked for whose bqual names another resource
  // than the one listed (one this manager may not have): left alone.
  std::vector<PreparedBranch> left_alone;
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
