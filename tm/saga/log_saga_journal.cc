#include "tm/saga/log_saga_journal.h"

#include "tm/saga/json_writer.h"

namespace xatm {
namespace {

// A finished saga's SAGA-END carries how it ended, not its definition
// again: nothing reads it back but `xatm log dump` (the operator's reason
// among it, for audit).
std::string EncodeEnd(const SagaRecord& r) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Member("id", r.id);
  w.Member("node", r.node);
  w.Member("name", r.definition.name);
  w.Member("phase", SagaPhaseName(r.phase));
  w.Member("updated_ms", r.updated_ms);
  for (auto [key, text] : {std::pair{"reason", &r.reason},
                           std::pair{"operator_reason", &r.operator_reason}}) {
    if (text->empty()) continue;
    w.Key(key);
    w.String(IsValidUtf8(*text) ? *text : std::string("(not UTF-8)"));
  }
  w.EndObject();
  return out;
}

}  // namespace

Status LogSagaJournal::Save(const SagaRecord& record, bool forced) {
  const bool final = IsFinal(record.phase);
  return log_.LogSaga(record.id,
                      final ? EncodeEnd(record) : EncodeSagaRecord(record),
                      final, forced, record.updated_ms);
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
  XATM_ASSIGN_OR_RETURN(std::vector<SagaRecord> sagas, Unfinished());
  for (SagaRecord& r : sagas) {
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
