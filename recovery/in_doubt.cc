#include "recovery/in_doubt.h"

namespace xatm {

InDoubtReport ListInDoubt(TransactionManager& manager) {
  InDoubtReport report;
  OwnBranches own = ListOwnBranches(manager);
  int64_t now_ms = manager.clock().NowMs();
  for (const OwnBranch& b : own.branches) {
    InDoubtBranch entry;
    entry.gtrid = b.branch.id.xid.Gtrid();
    entry.resource = b.resource->name();
    entry.age_ms = now_ms - b.branch.id.xid.begin_ms;
    entry.decided_commit = manager.log().FindOpenCommit(entry.gtrid).has_value();
    report.branches.push_back(std::move(entry));
  }
  report.open_decisions = manager.log().OpenCommits();
  report.unreachable = std::move(own.failed);
  return report;
}

}  // namespace xatm
