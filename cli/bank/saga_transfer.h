// Moving money as a saga, for databases that cannot prepare (or when asked
// with --protocol saga): the debit commits on its own, then the credit; if
// the credit cannot happen, the debit is undone by its compensation.
//
//   step "debit"  on the debit's resource:  the funds-checked UPDATE, its
//                 ledger row (and the idempotency key's claim);
//                 undone by the credit back, the ledger row (and the claim)
//                 deleted.
//   step "credit" on the credit's resource: the UPDATE and its ledger row;
//                 undone by the debit back (unchecked: it must happen).
//
// Between the two steps the money is in neither account (a reader sees the
// debit before the credit): the ledger row of the debit names the saga.
#pragma once

#include <optional>
#include <string>

#include "cli/bank/transfer.h"
#include "xatm/config.h"
#include "xatm/saga.h"

namespace xatm {

// How a transfer saga runs (config keys saga_deadline, saga_attempts,
// saga_compensation_attempts, saga_backoff, saga_backoff_max,
// saga_call_timeout).
// A transfer saga runs with the settings of the configuration file.
using SagaTransferOptions = SagaSettings;

// The saga of one transfer (for tests and the bench). `key`: claimed in
// the debit step.
SagaDefinition TransferSaga(const AccountRef& from, const AccountRef& to,
                            const Amount& amount,
                            const std::optional<std::string>& key,
                            const SagaTransferOptions& options = {});

// Like Transfer (transfer.h), as a saga: OK committed; Aborted compensated
// (nothing changed; the reason says why: "insufficient funds in pg:alice",
// "unknown account my:bob"); InDoubt not finished (recovery drives it on,
// or it failed to compensate: `xatm in-doubt`); UnknownOutcome when its
// first record's fate is not known.
Result<TransferResult> SagaTransfer(
    SagaManager& sagas, TransactionManager& tm, const AccountRef& from,
    const AccountRef& to, const Amount& amount,
    const std::optional<std::string>& key = std::nullopt,
    const SagaTransferOptions& options = {});

}  // namespace xatm
