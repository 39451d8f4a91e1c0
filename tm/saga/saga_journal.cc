#include "xatm/saga_journal.h"

#include "tm/saga/database_saga_journal.h"
#include "tm/saga/log_saga_journal.h"

namespace xatm {

Result<std::unique_ptr<SagaJournal>> SagaJournal::For(DecisionLog& log) {
  if (Resource* store = log.store_resource(); store != nullptr) {
    return std::unique_ptr<SagaJournal>(new DatabaseSagaJournal(store));
  }
  return std::unique_ptr<SagaJournal>(new LogSagaJournal(log));
}

}  // namespace xatm
