// Where one branch stands, as its adapter tracks it between the
// coordinator's calls: the same life for every database.
#pragma once

namespace xatm {

enum class BranchState {
  kActive,          // started; statements may run
  kPrepared,        // yes vote given; resolved by xid from now on
  kPrepareUnknown,  // connection lost during the prepare: maybe prepared
  kCommitted,
  kRolledBack,
  kOutcomeUnknown,  // connection lost during a commit or a rollback
};

// For messages: "cannot commit a branch that is <name>".
inline const char* BranchStateName(BranchState state) {
  switch (state) {
    case BranchState::kActive:
      return "active";
    case BranchState::kPrepared:
      return "prepared";
    case BranchState::kPrepareUnknown:
      return "in doubt after a lost prepare";
    case BranchState::kCommitted:
      return "committed";
    case BranchState::kRolledBack:
      return "rolled back";
    case BranchState::kOutcomeUnknown:
      return "in doubt after a lost commit or rollback";
  }
  return "?";
}

}  // namespace xatm
