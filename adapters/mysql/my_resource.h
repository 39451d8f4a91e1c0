// MariaDB / MySQL as a resource of global transactions, through MySQL
// Connector/C++ 1.1 and XA statements. Other folders only need
// MakeMysqlResource; the class is visible for the adapter's tests and tools.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "xatm/resource.h"
#include "xatm/resource_config.h"

namespace xatm {

// A Resource for `config` (type "mysql"). Does not connect: connection
// errors surface on first use.
std::unique_ptr<Resource> MakeMysqlResource(const ResourceConfig& config);

class MyConnectionPool;

// Branch ids: gtrid = Xid::Gtrid(), bqual = resource name, formatID =
// kMysqlFormatId. MariaDB ignores formatID when matching, so ownership is
// read from the gtrid alone.
class MyResource final : public Resource {
 public:
  explicit MyResource(const ResourceConfig& config);
  ~MyResource() override;

  const std::string& name() const override { return name_; }
  const std::string& type() const override { return type_; }

  Result<std::unique_ptr<Branch>> Begin(const Xid& xid) override;
  // START TRANSACTION on a pooled session (see MyBranch).
  Result<std::unique_ptr<Branch>> BeginLocal() override;
  // XA RECOVER entries whose gtrid parses as ours and whose bqual is this
  // resource's name; all others are skipped (debug log).
  Result<std::vector<PreparedBranch>> ListPrepared() override;
  // From a pooled session; see my_xa_resolve.h for the 1397 / 1402 answers.
  Status CommitPrepared(const Xid& xid) override;
  Status RollbackPrepared(const Xid& xid) override;
  // SELECT 1 FROM xatm_ledger WHERE gtrid = ? AND branch = <this name>;
  // kUnknown without the table.
  Result<BranchOutcome> LookupOutcome(const Xid& xid) override;
  Result<std::vector<Row>> QueryLocal(
      const std::string& sql, const std::vector<std::string>& params) override;
  // Without parameters `sql` may hold several statements (a schema script):
  // they run in one round trip, stopping at the first error.
  Status ExecuteLocal(const std::string& sql,
                      const std::vector<std::string>& params) override;

  void AttachMetrics(const std::shared_ptr<Metrics>& metrics) override;

  MyConnectionPool* pool() const { return pool_.get(); }

 private:
  // XA START `literal` (or START TRANSACTION when empty) on a pooled
  // connection, retried once on a fresh one if the pooled one was dead.
  Result<std::unique_ptr<Branch>> StartBranch(const std::string& label,
                                              std::string literal);

  // Shared with the branches, which may outlive the resource.
  std::shared_ptr<MyConnectionPool> pool_;
  const std::string name_;
  const std::string type_ = "mysql";
  const std::string ctx_;  // "mysql resource 'NAME'"
};

}  // namespace xatm
