#include "tm/store/store_identity.h"

#include <cstdio>
#include <random>

namespace xatm {
namespace {

constexpr char kSelect[] = "SELECT store_id FROM xatm_store WHERE one_row = 1";

std::string RandomId() {
  std::random_device rd;
  char id[9];
  std::snprintf(id, sizeof(id), "%08x", static_cast<unsigned>(rd()));
  return id;
}

bool IsStoreId(const std::string& id) {
  if (id.size() != 8) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<std::string> ReadId(Resource& resource) {
  XATM_ASSIGN_OR_RETURN(std::vector<Row> rows,
                        resource.QueryLocal(kSelect, {}));
  if (rows.empty()) return Status::NotFound("xatm_store has no row");
  const Row& row = rows.front();
  if (row.empty() || !row[0] || !IsStoreId(*row[0])) {
    return Status::DataLoss("xatm_store holds a damaged store id");
  }
  return *row[0];
}

}  // namespace

Result<std::string> EnsureStoreId(Resource& resource) {
  Result<std::string> id = ReadId(resource);
  if (id.ok() || id.status().code() == StatusCode::kDataLoss ||
      id.status().code() == StatusCode::kUnavailable) {
    return id;
  }
  const bool postgres = resource.type() == "postgresql";
  Status created = resource.ExecuteLocal(
      std::string("CREATE TABLE IF NOT EXISTS xatm_store (one_row INT NOT "
                  "NULL PRIMARY KEY, store_id VARCHAR(8) NOT NULL)") +
          (postgres ? "" : " ENGINE=InnoDB"),
      {});
  if (!created.ok()) {
    // Two first openers racing: PostgreSQL's CREATE TABLE IF NOT EXISTS
    // can fail on the other's catalog row. The winner's id is as good.
    Result<std::string> theirs = ReadId(resource);
    return theirs.ok() ? theirs : Result<std::string>(created);
  }
  XATM_RETURN_IF_ERROR(resource.ExecuteLocal(
      postgres ? "INSERT INTO xatm_store (one_row, store_id) VALUES (1, ?) "
                 "ON CONFLICT DO NOTHING"
               : "INSERT IGNORE INTO xatm_store (one_row, store_id) VALUES "
                 "(1, ?)",
      {RandomId()}));
  return ReadId(resource);
}

}  // namespace xatm
