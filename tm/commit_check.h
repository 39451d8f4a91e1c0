// What a NotFound answer to COMMIT PREPARED / XA COMMIT means. Databases give
// the same answer for "already committed", "rolled back" and "never
// prepared", so the branch's ledger row decides.
#pragma once

#include "xatm/resource.h"
#include "xatm/status.h"

namespace xatm {

// What `resource` shows of the branch of `xid`: its ledger row
// (Resource::LookupOutcome) or, where the ledger shows none, the barrier row
// a saga's XA group branch inserts under its gtrid (such a branch writes no
// ledger row, even where the database has a ledger table). kNotCommitted
// when neither is there; an error when the database could not be asked.
Result<BranchOutcome> LookupBranchOutcome(Resource& resource, const Xid& xid);

// Interprets `commit`, the answer to committing `xid` on `resource`:
// OK stays OK; NotFound becomes OK when the ledger shows the branch
// committed (also when the database cannot tell: kUnknown, logged), and
// DataLoss ("branch rolled back although the decision was commit") when it
// shows it did not; anything else is returned unchanged.
Status ConfirmCommitted(Resource& resource, const Xid& xid, Status commit);

// Recovery-side commit of a prepared branch from any session, checked
// afterwards: an OK answer whose ledger row is still invisible becomes
// Unavailable. (MariaDB 10.11 can answer OK to XA COMMIT of a branch whose
// preparing session is disconnecting at that moment, without committing it;
// the branch reappears after a server restart, so the decision must stay
// open.) NotFound answers go through ConfirmCommitted; `*was_gone` tells the
// caller the branch had been resolved before this call.
Status CommitPreparedChecked(Resource& resource, const Xid& xid,
                             bool* was_gone);

}  // namespace xatm
