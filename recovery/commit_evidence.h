// Evidence that a global transaction committed although the decision log
// shows no open COMMIT for it. Presumed abort is only sound where nothing
// says otherwise: a damaged last record, a lost or replaced log directory, or
// a decision closed before its branch reappeared must never turn into a
// rollback of a branch whose siblings committed.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "xatm/transaction_manager.h"

namespace xatm {

struct CommitEvidence {
  enum class Kind {
    kNone,              // nothing says commit: abort may be presumed
    kHistory,           // the log has COMMIT history (tombstone, heuristic)
    kSiblingCommitted,  // a sibling branch's ledger row proves commit
    kUnknown,           // a sibling could not be asked: decide later
  };
  Kind kind = Kind::kNone;
  std::vector<std::string> committed_on;  // kSiblingCommitted
  std::string why;                        // kUnknown
};

// Looks in the log's history, then in the ledger of every configured
// resource where the transaction's branch is not prepared (`prepared_on`:
// a prepared branch has not committed); those in `down` count as
// unreadable. The answer is the transaction's, whichever branch asked.
CommitEvidence FindCommitEvidence(TransactionManager& manager, const Xid& xid,
                                  const std::set<std::string>& prepared_on,
                                  const std::set<std::string>& down);

// The abort just claimed for `xid` is withdrawn for a COMMIT decision:
// read again after the fence, `evidence` (kSiblingCommitted) shows the
// transaction committed before it, its COMMIT ENDed in between, so every
// branch had committed and none was rolled back on that abort. The
// decision names the branches prepared at listing and those the evidence
// found committed; `*resources` gets them.
Status WithdrawAbortForCommit(TransactionManager& manager, const Xid& xid,
                              const std::set<std::string>& prepared_on,
                              const CommitEvidence& evidence,
                              std::vector<std::string>* resources);

}  // namespace xatm
