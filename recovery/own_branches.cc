#include "xatm/own_branches.h"

#include "xatm/logging.h"

namespace xatm {

OwnBranches ListOwnBranches(
    TransactionManager& manager,
    const std::function<bool(const std::string& resource)>& skip,
    bool all_nodes) {
  const std::string& self = manager.node_id();
  return ListBranchesOf(manager, skip, [&](const std::string& node) {
    return all_nodes || node == self;
  });
}

OwnBranches ListBranchesOf(
    TransactionManager& manager,
    const std::function<bool(const std::string& resource)>& skip,
    const std::function<bool(const std::string& node)>& owns) {
  OwnBranches out;
  for (const auto& resource : manager.resources()) {
    const std::string& name = resource->name();
    if (skip && skip(name)) continue;
    Result<std::vector<PreparedBranch>> listed = resource->ListPrepared();
    if (!listed.ok()) {
      Logger()->warn("resource {} unavailable: {}", name,
                     listed.status().ToString());
      out.failed.push_back(ResourceFailure{name, listed.status()});
      continue;
    }
    for (PreparedBranch& b : *listed) {
      // Another node's branches belong to its own log, unless the
      // decisions of every node are in one shared store.
      if (!owns(b.id.xid.node)) continue;
      if (b.id.resource != name) {
        Logger()->warn(
            "xid={} prepared branch for resource '{}' found in resource '{}': "
            "left alone",
            b.id.xid.Gtrid(), b.id.resource, name);
        out.misplaced.push_back({std::move(b.id), name});
        continue;
      }
      std::string left_alone;
      if (!manager.log().Holds(b.id.xid, manager.node_id())) {
        left_alone = "its decision lives in " +
                     DecisionLog::DescribeHome(b.id.xid) +
                     ", which this node does not read: resolve it there";
      }
      out.branches.push_back(
          OwnBranch{resource.get(), std::move(b), std::move(left_alone)});
    }
  }
  return out;
}

}  // namespace xatm
