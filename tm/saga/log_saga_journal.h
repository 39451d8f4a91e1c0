// The saga journal of a node's own log (file or memory): SAGA records in
// the log beside its decisions. One node writes it, so the fence is the
// log's lock on its directory; there is nothing to claim.
#pragma once

#include "xatm/decision_log.h"
#include "xatm/saga_journal.h"

namespace xatm {

class LogSagaJournal final : public SagaJournal {
 public:
  explicit LogSagaJournal(DecisionLog& log) : log_(log) {}

  Status Save(const SagaRecord& record, bool forced) override;
  bool defers_durability() const override { return true; }
  Status Flush() override { return log_.Flush(); }
  Result<std::vector<SagaRecord>> Unfinished() const override;
  // A finished saga is forgotten at once (its SAGA-END closes it).
  Result<std::optional<SagaRecord>> Find(const std::string& id) const override;
  Result<bool> Claim(const std::string& id, const std::string& from_node,
                     const std::string& to_node) override;

 private:
  DecisionLog& log_;
};

}  // namespace xatm
