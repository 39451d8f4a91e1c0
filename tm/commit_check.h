// What a NotFound answer to COMMIT PREPARED / XA COMMIT means. Databases give
// the same answer for "already committed", "rolled back" and "never
// prepared", so the branch's ledger row decides.
#pragma once

#include "tm/resource.h"
#include "tm/status.h"

namespace xatm {

// Interprets `commit`, the answer to committing `xid` on `resource`:
// OK stays OK; NotFound becomes OK when the ledger shows the branch
// committed (also when the database cannot tell: kUnknown, logged), and
// DataLoss ("branch rolled back although the decision was commit") when it
// shows it did not; anything else is returned unchanged.
Status ConfirmCommitted(Resource& resource, const Xid& xid, Status commit);

}  // namespace xatm
