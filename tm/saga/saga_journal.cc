#include "xatm/saga_journal.h"

#include "tm/saga/log_saga_journal.h"

namespace xatm {

Result<std::unique_ptr<SagaJournal>> SagaJournal::For(DecisionLog& log) {
  if (log.store_resource() != nullptr) {
    return Status::FailedPrecondition("sagas in a database store: not built");
  }
  return std::unique_ptr<SagaJournal>(new LogSagaJournal(log));
}

}  // namespace xatm
