// The saga journal of a database decision store: the table xatm_sagas
// (sql/sagas-*.sql) of the store's resource, one row per saga holding its
// latest record, shared by every node.
//
// The fence is the row's node column: a Save updates the row only where it
// still names record.node (in one local transaction that locks the row
// first), and Claim moves it from one node to another the same way.
#pragma once

#include <memory>

#include "xatm/resource.h"
#include "xatm/saga_journal.h"

namespace xatm {

class DatabaseSagaJournal : public SagaJournal {
 public:
  // `resource` is the decision store's (postgresql or mysql; another type
  // makes every call fail with InvalidArgument).
  explicit DatabaseSagaJournal(std::shared_ptr<Resource> resource);
  // Not owned: `resource` outlives the journal.
  explicit DatabaseSagaJournal(Resource* resource);

  // Creates the table in `resource` if it is missing (xatm init).
  static Status CreateTable(Resource& resource);

  Status Save(const SagaRecord& record, bool forced) override;
  Result<std::vector<SagaRecord>> Unfinished() const override;
  Result<std::optional<SagaRecord>> Find(const std::string& id) const override;
  Result<bool> Claim(const std::string& id, const std::string& from_node,
                     const std::string& to_node) override;
  Status Prune(int64_t retention_s) override;
  bool shared() const override { return true; }

 private:
  // Save in one statement sent with the COMMIT: OK; Aborted (rolled back:
  // the row was not as expected, or the statement failed) for SaveOnce to
  // find out; other: the commit's answer.
  Status SaveFast(const SagaRecord& record, const std::string& text,
                  bool forced);
  // One attempt of Save; `raced` is set when a concurrent first insert of
  // the same node won (a second attempt then updates its row).
  Status SaveOnce(const SagaRecord& record, const std::string& text,
                  bool forced, bool* raced);
  // The node column of the saga's committed row; "" when there is none.
  Result<std::string> CurrentNode(const std::string& id) const;
  Status CheckType() const;
  bool postgres() const { return resource_->type() == "postgresql"; }

  const std::shared_ptr<Resource> owned_;
  Resource* const resource_;
};

}  // namespace xatm
