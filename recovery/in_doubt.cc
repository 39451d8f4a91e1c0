#include "xatm/in_doubt.h"

#include "xatm/saga_journal.h"
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
    entry.decided_commit =
        manager.log().FindOpenCommit(entry.gtrid).has_value();
    report.branches.push_back(std::move(entry));
  }
  for (DecisionRecord& d : manager.log().OpenCommits()) {
    if (all_nodes || OfNode(d, manager.node_id())) {
      report.open_decisions.push_back(std::move(d));
    }
  }
  report.unreachable = std::move(own.failed);
  Result<std::unique_ptr<SagaJournal>> journal =
      SagaJournal::For(manager.log());
  Result<std::vector<SagaRecord>> sagas =
      journal.ok() ? (*journal)->Unfinished()
                   : Result<std::vector<SagaRecord>>(journal.status());
  if (!sagas.ok()) {
    report.sagas_error = sagas.status().ToString();
    return report;
  }
  for (SagaRecord& r : *sagas) {
    if (all_nodes || r.node == manager.node_id()) {
      report.sagas.push_back(std::move(r));
    }
  }
  return report;
}

}  // namespace xatm
