#include "cli/bench/bench_accounts.h"

#include <cstdio>
#include <set>

#include "cli/bank/accounts.h"
#include "cli/bank/schema.h"

namespace xatm {
namespace {

constexpr char kPrefix[] = "bench-";

// Every bench account of `resource` below `count`: id -> balance row.
Result<std::vector<Row>> BenchRows(Resource& resource) {
  Result<std::vector<Row>> rows = resource.QueryLocal(
      "SELECT id, balance FROM xatm_accounts WHERE id LIKE ?",
      {std::string(kPrefix) + "%"});
  if (!rows.ok()) {
    return rows.status().WithContext("reading the bench accounts of " +
                                     resource.name());
  }
  return rows;
}

// The index of a bench account id, or -1 for any other id.
int IndexOf(const std::string& id) {
  const std::string prefix = kPrefix;
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

std::string BenchAccountId(int index) {
  char id[16];
  std::snprintf(id, sizeof(id), "%s%06d", kPrefix, index);
  return id;
}

Status EnsureBenchAccounts(Resource& resource, int count,
                           const Amount& opening) {
  Status schema = InitSchema(resource);
  if (!schema.ok()) return schema;
  Result<std::vector<Row>> rows = BenchRows(resource);
  if (!rows.ok()) return rows.status();
  std::set<int> existing;
  for (const Row& row : *rows) {
    if (!row.empty() && row[0].has_value()) existing.insert(IndexOf(*row[0]));
  }
  for (int i = 0; i < count; ++i) {
    if (existing.count(i) != 0) continue;
    Status created = CreateAccount(resource, BenchAccountId(i), opening);
    // Another bench may have created it meanwhile: just as good.
    if (!created.ok() && created.code() != StatusCode::kAlreadyExists) {
      return created;
    }
  }
  return Status::Ok();
}

Result<Amount> SumBenchAccounts(Resource& resource, int count) {
  Result<std::vector<Row>> rows = BenchRows(resource);
  if (!rows.ok()) return rows.status();
  Amount total;
  for (const Row& row : *rows) {
    if (row.size() < 2 || !row[0].has_value() || !row[1].has_value()) {
      return Status::Internal("a bench account of " + resource.name() +
                              " has a NULL id or balance");
    }
    const int index = IndexOf(*row[0]);
    if (index < 0 || index >= count) continue;
    Result<Amount> balance = Amount::ParseStored(*row[1], *row[0]);
    if (!balance.ok()) return balance.status();
    Result<Amount> sum = total.Plus(*balance);
    if (!sum.ok()) return sum.status();
    total = *sum;
  }
  return total;
}

}  // namespace xatm
