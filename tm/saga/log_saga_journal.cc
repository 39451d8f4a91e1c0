#include "tm/saga/log_saga_journal.h"

namespace xatm {

Status LogSagaJournal::Save(const SagaRecord& record, bool forced) {
  return log_.LogSaga(record.id, EncodeSagaRecord(record),
                      IsFinal(record.phase), forced, record.updated_ms);
}

Result<std::vector<SagaRecord>> LogSagaJournal::Unfinished() const {
  std::vector<SagaRecord> sagas;
  for (const DecisionRecord& r : log_.OpenSagas()) {
    Result<SagaRecord> record = DecodeSagaRecord(r.detail);
    if (!record.ok()) {
      return Status::DataLoss("saga " + r.gtrid + " in the decision log: " +
                              record.status().message());
    }
    sagas.push_back(std::move(*record));
  }
  return sagas;
}

Result<std::optional<SagaRecord>> LogSagaJournal::Find(
    const std::string& id) const {
  Result<std::vector<SagaRecord>> sagas = Unfinished();
  if (!sagas.ok()) return sagas.status();
  for (SagaRecord& r : *sagas) {
    if (r.id == id) return std::optional<SagaRecord>(std::move(r));
  }
  return std::optional<SagaRecord>();
}

Result<bool> LogSagaJournal::Claim(const std::string& id, const std::string&,
                                   const std::string&) {
  return Status::FailedPrecondition(
      "saga " + id +
      ": a node's own decision log is not shared; no other node can take "
      "its sagas over");
}

}  // namespace xatm
