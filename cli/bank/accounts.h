// Accounts of the transfer application: create one, read balances. Each call
// is one local transaction (Resource::QueryLocal / ExecuteLocal); transfers
// go through transfer.h.
#pragma once

#include <string>
#include <vector>

#include "cli/bank/account_ref.h"
#include "cli/bank/amount.h"
#include "xatm/resource.h"
#include "xatm/status.h"

namespace xatm {

struct AccountBalance {
  AccountRef account;
  Amount balance;
};

// Inserts account `id` with `balance` into `resource`. AlreadyExists
// ("account pg:alice already exists") when the id is taken.
// REQUIRES: ValidateAccountId(id) is OK and balance is not negative.
Status CreateAccount(Resource& resource, const std::string& id,
                     const Amount& balance);

// The balance of account `id`; NotFound ("account pg:alice does not exist").
Result<Amount> ReadBalance(Resource& resource, const std::string& id);

// Every account of `resource`, by id (byte order, whatever the collation).
Result<std::vector<AccountBalance>> ListAccounts(Resource& resource);

// The exact sum of `balances`.
Result<Amount> Total(const std::vector<AccountBalance>& balances);

}  // namespace xatm
