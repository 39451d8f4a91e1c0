// Removing a test's rows from the transfer tables without waiting on other
// tests: a range DELETE (gtrid LIKE ...) takes next-key locks in InnoDB and
// waits behind any prepared branch that inserted the next ledger row, so
// rows are found with a plain (non-locking) SELECT and deleted one by one
// by primary key.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "xatm/resource.h"

namespace xatm::testing {

// Deletes the ledger rows of every transaction of `node` in `resource`.
inline void DeleteLedgerRows(Resource& resource, const std::string& node) {
  auto rows = resource.QueryLocal(
      "SELECT gtrid, account FROM xatm_ledger WHERE gtrid LIKE ?",
      {"xatm:" + node + ":%"});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  for (const Row& row : *rows) {
    Status s = resource.ExecuteLocal(
        "DELETE FROM xatm_ledger WHERE gtrid = ? AND account = ?",
        {row[0].value_or(""), row[1].value_or("")});
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
}

// Deletes account `id` of `resource` (nothing if it does not exist).
inline void DeleteAccount(Resource& resource, const std::string& id) {
  Status s =
      resource.ExecuteLocal("DELETE FROM xatm_accounts WHERE id = ?", {id});
  EXPECT_TRUE(s.ok()) << s.ToString();
}

}  // namespace xatm::testing
