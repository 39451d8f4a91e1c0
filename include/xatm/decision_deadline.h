/// @file
/// The manager's decision deadline (TransactionManagerOptions) and the
/// sweeper's grace period (SweeperOptions) must agree: a sweeper presumes a
/// branch without a decision aborted once it is older than the grace period,
/// so a manager still deciding then would commit some branches of a
/// transaction whose others are being rolled back.
#pragma once

#include <cstdint>

#include "xatm/status.h"

namespace xatm {

/// The decision deadline a grace period implies: half of it, what the
/// `xatm` command uses.
int64_t DecisionDeadlineForGrace(int64_t grace_period_ms);

/// OK when both are positive and the deadline is at most half of the grace
/// period; otherwise InvalidArgument naming both settings and the rule.
Status CheckDecisionDeadline(int64_t decision_deadline_ms,
                             int64_t grace_period_ms);

}  // namespace xatm
