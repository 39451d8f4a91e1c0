// "RES:ID": an account `ID` in the resource (database) named `RES`.
#pragma once

#include <string>
#include <string_view>
#include <tuple>

#include "xatm/status.h"

namespace xatm {

// xatm_accounts.id is VARCHAR(64).
inline constexpr size_t kMaxAccountIdLength = 64;

struct AccountRef {
  std::string resource;  // a valid resource name (ValidateResourceName)
  std::string id;        // 1..64 printable ASCII characters, no whitespace

  // Splits at the first ':' (an id may itself hold ':'). InvalidArgument
  // naming the text when either part is missing or invalid.
  static Result<AccountRef> Parse(std::string_view text);

  std::string ToString() const { return resource + ":" + id; }

  // (resource, id) ascending: the canonical order in which a transfer
  // touches its accounts, so that two transfers never wait on each other in
  // opposite orders across databases.
  bool operator<(const AccountRef& o) const {
    return std::tie(resource, id) < std::tie(o.resource, o.id);
  }
  bool operator==(const AccountRef& o) const {
    return resource == o.resource && id == o.id;
  }
  bool operator!=(const AccountRef& o) const { return !(*this == o); }
};

// Validates an account id alone (the part after ':').
Status ValidateAccountId(std::string_view id);

}  // namespace xatm
