// Checks the adapter tests share: a Status or Result as a gtest assertion,
// an account's committed balance, and whether an xid is listed prepared.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "xatm/resource.h"
#include "xatm/xid.h"

namespace xatm::testing {

inline ::testing::AssertionResult IsOk(const Status& s) {
  if (s.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << s.ToString();
}
template <typename T>
::testing::AssertionResult IsOk(const Result<T>& r) {
  return IsOk(r.ok() ? Status::Ok() : r.status());
}

// The committed balance of account `id`, read outside any branch;
// "<none>" when there is no such account.
inline std::string CommittedBalance(Resource& resource, const std::string& id) {
  auto rows = resource.QueryLocal(
      "SELECT balance FROM xatm_accounts WHERE id = ?", {id});
  EXPECT_TRUE(IsOk(rows));
  if (!rows.ok() || rows->size() != 1 || !(*rows)[0][0]) return "<none>";
  return *(*rows)[0][0];
}

// Whether `resource` lists its branch of `xid` as prepared.
inline bool ListedPrepared(Resource& resource, const Xid& xid) {
  auto prepared = resource.ListPrepared();
  EXPECT_TRUE(IsOk(prepared));
  if (!prepared.ok()) return false;
  for (const PreparedBranch& b : *prepared) {
    if (b.id.xid == xid && b.id.resource == resource.name()) return true;
  }
  return false;
}

}  // namespace xatm::testing
