#include "cli/bench/bench_accounts.h"

#include <cstdio>
#include <set>

#include "cli/bank/accounts.h"
#include "cli/bank/schema.h"

namespace xatm {
namespace {

// Every bench account of `resource` below `count`: id -> balance row.
Result<std::vector<Row>> BenchRows(Resource& resource,
                                   const std::string& prefix) {
  Result<std::vector<Row>> rows = resource.QueryLocal(
      "SELECT id, balance FROM xatm_accounts WHERE id LIKE ?", {prefix + "%"});
  if (!rows.ok()) {
    return rows.status().WithContext("reading the bench accounts of " +
                                     resource.name());
  }
  return rows;
}

// The index of a bench account id, or -1 for any other id.
int IndexOf(const std::string& prefix, const std::string& id) {
  if (id.size() != prefix.size() + 6 ||
      id.compare(0, prefix.size(), prefix) != 0) {
    return -1;
  }
  int index = 0;
  for (size_t i = prefix.size(); i < id.size(); ++i) {
    if (id[i] < '0' || id[i] > '9') return -1;
    index = index * 10 + (id[i] - '0');
  }
  return index;
}

}  // namespace

bool ValidBenchPrefix(const std::string& prefix) {
  if (prefix.empty() || prefix.size() > 16) return false;
  for (char c : prefix) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return false;
    }
  }
  return true;
}

std::string BenchAccountId(const std::string& prefix, int index) {
  char digits[16];
  std::snprintf(digits, sizeof(digits), "%06d", index);
  return prefix + digits;
}

Status EnsureBenchAccounts(Resource& resource, const std::string& prefix,
                           int count, const Amount& opening) {
  XATM_RETURN_IF_ERROR(InitSchema(resource));
  XATM_ASSIGN_OR_RETURN(std::vector<Row> rows, BenchRows(resource, prefix));
  std::set<int> existing;
  for (const Row& row : rows) {
    if (!row.empty() && row[0].has_value()) {
      existing.insert(IndexOf(prefix, *row[0]));
    }
  }
  for (int i = 0; i < count; ++i) {
    if (existing.count(i) != 0) continue;
    Status created =
        CreateAccount(resource, BenchAccountId(prefix, i), opening);
    // Another bench may have created it meanwhile: just as good.
    if (!created.ok() && created.code() != StatusCode::kAlreadyExists) {
      return created;
    }
  }
  return Status::Ok();
}

Result<Amount> SumBenchAccounts(Resource& resource, const std::string& prefix,
                                int count) {
  XATM_ASSIGN_OR_RETURN(std::vector<Row> rows, BenchRows(resource, prefix));
  Amount total;
  for (const Row& row : rows) {
    if (row.size() < 2 || !row[0].has_value() || !row[1].has_value()) {
      return Status::Internal("a bench account of " + resource.name() +
                              " has a NULL id or balance");
    }
    const int index = IndexOf(prefix, *row[0]);
    if (index < 0 || index >= count) continue;
    XATM_ASSIGN_OR_RETURN(Amount balance,
                          Amount::ParseStored(*row[1], *row[0]));
    XATM_ASSIGN_OR_RETURN(total, total.Plus(balance));
  }
  return total;
}

}  // namespace xatm
