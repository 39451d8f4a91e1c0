#include "cli/bank/accounts.h"

#include <algorithm>

namespace xatm {
namespace {

std::string Name(const Resource& resource, const std::string& id) {
  return resource.name() + ":" + id;
}

// Balances travel as text and are parsed exactly; a NULL or malformed value
// means the table is not ours.
Result<Amount> BalanceOf(const Row& row, size_t column,
                         const std::string& account) {
  if (row.size() <= column || !row[column].has_value()) {
    return Status::Internal("account " + account + ": balance is NULL");
  }
  return Amount::ParseStored(*row[column], "balance of " + account);
}

}  // namespace

Status CreateAccount(Resource& resource, const std::string& id,
                     const Amount& balance) {
  Status inserted = resource.ExecuteLocal(
      "INSERT INTO xatm_accounts (id, balance) "
      "VALUES (?, CAST(? AS DECIMAL(20,2)))",
      {id, balance.ToString()});
  if (inserted.ok()) return inserted;
  // Adapters report a duplicate key in their own words; asking whether the
  // row exists gives one clear answer for both databases.
  Result<Amount> existing = ReadBalance(resource, id);
  if (existing.ok()) {
    return Status::AlreadyExists("account " + Name(resource, id) +
                                 " already exists");
  }
  return inserted.WithContext("creating account " + Name(resource, id));
}

Result<Amount> ReadBalance(Resource& resource, const std::string& id) {
  Result<std::vector<Row>> rows = resource.QueryLocal(
      "SELECT balance FROM xatm_accounts WHERE id = ?", {id});
  if (!rows.ok()) {
    return rows.status().WithContext("reading account " + Name(resource, id));
  }
  if (rows->empty()) {
    return Status::NotFound("account " + Name(resource, id) +
                            " does not exist");
  }
  return BalanceOf(rows->front(), 0, Name(resource, id));
}

Result<std::vector<AccountBalance>> ListAccounts(Resource& resource) {
  Result<std::vector<Row>> rows =
      resource.QueryLocal("SELECT id, balance FROM xatm_accounts", {});
  if (!rows.ok()) {
    return rows.status().WithContext("listing the accounts of " +
                                     resource.name());
  }
  std::vector<AccountBalance> accounts;
  for (const Row& row : *rows) {
    if (row.empty() || !row[0].has_value()) {
      return Status::Internal("an account of " + resource.name() +
                              " has a NULL id");
    }
    std::string name = Name(resource, *row[0]);
    XATM_ASSIGN_OR_RETURN(Amount balance, BalanceOf(row, 1, name));
    accounts.push_back({AccountRef{resource.name(), *row[0]}, balance});
  }
  std::sort(accounts.begin(), accounts.end(),
            [](const AccountBalance& a, const AccountBalance& b) {
              return a.account < b.account;
            });
  return accounts;
}

Result<Amount> Total(const std::vector<AccountBalance>& balances) {
  Amount total;
  for (const AccountBalance& b : balances) {
    XATM_ASSIGN_OR_RETURN(total, total.Plus(b.balance));
  }
  return total;
}

}  // namespace xatm
