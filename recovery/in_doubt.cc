#include "xatm/in_doubt.h"

#include "xatm/xid.h"

namespace xatm {

namespace {

// A shared store's table holds every node's decisions; a gtrid that does not
// parse is shown, as something odd is in the store.
bool OfNode(const DecisionRecord& decision, const std::string& node) {
  Result<Xid> xid = Xid::ParseGtrid(decision.gtrid);
  return !xid.ok() || xid->node == node;
}

}  // namespace

InDoubtReport ListInDoubt(TransactionManager& manager, bool all_nodes) {
  InDoubtReport report;
  OwnBranches own = ListOwnBranches(manager, nullptr, all_nodes);
  int64_t now_ms = manager.clock().NowMs();
  for (const OwnBranch& b : own.branches) {
    InDoubtBranch entry;
    entry.gtrid = b.branch.id.xid.Gtrid();
    entry.resource = b.resource->name();
    entry.age_ms = now_ms - b.branch.id.xid.begin_ms;
    entry.decided_commit = manager.log().FindOpenCommit(entry.gtrid).has_value();
    report.branches.push_back(std::move(entry));
  }
  for (DecisionRecord& d : manager.log().OpenCommits()) {
    if (all_nodes || OfNode(d, manager.node_id())) {
      report.open_decisions.push_back(std::move(d));
    }
  }
  report.unreachable = std::move(own.failed);
  return report;
}

}  // namespace xatm
