#include "cli/bank/saga_transfer.h"

#include "cli/bank/transfer_sql.h"
#include "xatm/key_table.h"
#include "xatm/saga_barrier.h"

namespace xatm {
namespace {

namespace sql = transfer_sql;

constexpr char kClaimKey[] =
    "INSERT INTO xatm_idempotency_keys (idem_key, gtrid, fingerprint) "
    "VALUES (?, ?, ?)";
constexpr char kReleaseKey[] =
    "DELETE FROM xatm_idempotency_keys WHERE idem_key = ? AND gtrid = ?";

// Why a step said no, in the words of a two-phase transfer: the step's
// UPDATE matched no row.
std::string Explain(TransactionManager& tm, const AccountRef& account,
                    bool debit) {
  Resource* resource = tm.FindResource(account.resource);
  if (resource == nullptr) return "";
  Result<std::unique_ptr<Branch>> local = resource->BeginLocal();
  if (!local.ok()) return "";
  Result<std::vector<Row>> rows = (*local)->Query(sql::kExists, {account.id});
  (void)(*local)->Rollback();
  if (!rows.ok()) return "";
  if (rows->empty()) return "unknown account " + account.ToString();
  return debit ? "insufficient funds in " + account.ToString() : "";
}

}  // namespace

SagaDefinition TransferSaga(const AccountRef& from, const AccountRef& to,
                            const Amount& amount,
                            const std::optional<std::string>& key,
                            const SagaTransferOptions& options) {
  const std::string value = amount.ToString();
  const std::string debit_delta = amount.Negated().ToString();
  SagaStep debit;
  debit.name = "debit";
  debit.resource = from.resource;
  debit.action = {
      {sql::kDebit, {value, from.id, value}, 1},
      {sql::kLedger, {kSagaIdParam, from.resource, from.id, debit_delta}, 1}};
  debit.compensation = {
      {sql::kCredit, {value, from.id}, 1},
      {sql::kLedgerUndo, {kSagaIdParam, from.id}, std::nullopt}};
  if (key) {
    debit.action.push_back(
        {kClaimKey,
         {*key, kSagaIdParam, TransferFingerprint(from, to, amount)},
         1});
    debit.compensation.push_back(
        {kReleaseKey, {*key, kSagaIdParam}, std::nullopt});
  }
  debit.retry = options.step;
  debit.compensation_retry = options.compensation;

  SagaStep credit;
  credit.name = "credit";
  credit.resource = to.resource;
  credit.action = {
      {sql::kCredit, {value, to.id}, 1},
      {sql::kLedger, {kSagaIdParam, to.resource, to.id, value}, 1}};
  credit.compensation = {
      {sql::kDebitUnchecked, {value, to.id}, 1},
      {sql::kLedgerUndo, {kSagaIdParam, to.id}, std::nullopt}};
  credit.retry = options.step;
  credit.compensation_retry = options.compensation;

  SagaDefinition saga;
  saga.name = "transfer";
  saga.stages = {{debit}, {credit}};
  saga.deadline_ms = options.deadline_ms;
  return saga;
}

Result<TransferResult> SagaTransfer(SagaManager& sagas, TransactionManager& tm,
                                    const AccountRef& from,
                                    const AccountRef& to, const Amount& amount,
                                    const std::optional<std::string>& key,
                                    const SagaTransferOptions& options) {
  XATM_RETURN_IF_ERROR(CheckTransferRequest(tm, from, to, amount));
  const std::string fingerprint = TransferFingerprint(from, to, amount);
  // A key already claimed: nothing runs; the answer is the original's.
  auto replay = [&]() -> Result<std::optional<TransferResult>> {
    if (!key) return std::optional<TransferResult>();
    XATM_ASSIGN_OR_RETURN(std::optional<StoredKey> stored,
                          ReadStoredKey(*tm.FindResource(from.resource), *key));
    if (!stored) return std::optional<TransferResult>();
    if (stored->fingerprint != fingerprint) {
      return Status::InvalidArgument(
          "key " + *key +
          " was used for another request: " + stored->fingerprint);
    }
    TransferResult original{stored->gtrid, Status::Ok(), true, "saga"};
    XATM_ASSIGN_OR_RETURN(std::optional<SagaRecord> saga,
                          sagas.journal().Find(original.gtrid));
    if (saga && !IsFinal(saga->phase)) {
      original.status =
          SagaOutcome{saga->id, saga->phase, saga->reason}.status();
      return std::optional<TransferResult>(original);
    }
    // Finished (a file log forgets it): the credit's barrier rows tell. A
    // saga committed only with the credit's action row alone; one undone,
    // or closed by an operator, has its compensation row too. A claim of a
    // two-phase transfer (no rows at all) exists only once it committed.
    XATM_ASSIGN_OR_RETURN(
        std::vector<BarrierRow> rows,
        ReadBarriers(*tm.FindResource(to.resource), original.gtrid));
    bool credited = false, undone = false;
    for (const BarrierRow& row : rows) {
      if (row.step != "credit") continue;
      (row.op == BarrierOp::kAction ? credited : undone) = true;
    }
    if (credited && undone) {
      original.status =
          Status::Aborted("the saga " + original.gtrid + " was compensated");
    } else if (!credited && !rows.empty()) {
      original.status = Status::Aborted("the saga " + original.gtrid +
                                        " ended without its credit");
    }
    original.protocol = rows.empty() ? "2pc" : "saga";
    return std::optional<TransferResult>(original);
  };
  Result<std::optional<TransferResult>> replayed = replay();
  if (!replayed.ok()) return replayed.status();
  if (*replayed) return **replayed;

  Result<SagaOutcome> outcome =
      sagas.Run(TransferSaga(from, to, amount, key, options));
  if (!outcome.ok()) {
    if (outcome.status().code() == StatusCode::kUnknownOutcome) {
      return TransferResult{"", outcome.status(), false, "saga"};
    }
    return outcome.status();
  }
  TransferResult result{outcome->id, outcome->status(), false, "saga"};
  if (outcome->phase == SagaPhase::kCompensated) {
    // Another transfer with the same key got there first.
    replayed = replay();
    if (replayed.ok() && *replayed && (*replayed)->gtrid != outcome->id) {
      return **replayed;
    }
    const bool debit_said_no =
        outcome->reason.find("step debit") != std::string::npos;
    const std::string why =
        Explain(tm, debit_said_no ? from : to, debit_said_no);
    if (!why.empty() &&
        outcome->reason.find("affected 0 rows") != std::string::npos) {
      result.status = Status::Aborted(why + " (the saga compensated)");
    }
  }
  return result;
}

}  // namespace xatm
