#include "adapters/postgres/pg_prepared_transactions.h"

namespace xatm {
namespace {

// PostgreSQL refuses gids of 200 bytes or more.
constexpr size_t kMaxGidLength = 199;

bool IsGidChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-' || c == ':';
}

Status ValidateGid(std::string_view gid) {
  if (gid.empty() || gid.size() > kMaxGidLength) {
    return Status::InvalidArgument("gid must be 1 to " +
                                   std::to_string(kMaxGidLength) + " bytes");
  }
  for (char c : gid) {
    if (!IsGidChar(c)) {
      return Status::InvalidArgument("gid '" + std::string(gid) +
                                     "' holds characters outside "
                                     "[A-Za-z0-9_:-]");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> BranchGid(const Xid& xid, std::string_view resource) {
  XATM_RETURN_IF_ERROR(ValidateNodeId(xid.node));
  XATM_RETURN_IF_ERROR(ValidateResourceName(resource));
  std::string gid = xid.PostgresGid(resource);
  XATM_RETURN_IF_ERROR(ValidateGid(gid));
  return gid;
}

Result<std::string> TwoPhaseStatement(PgConnection& conn, std::string_view verb,
                                      std::string_view gid) {
  XATM_RETURN_IF_ERROR(ValidateGid(gid));
  XATM_ASSIGN_OR_RETURN(std::string quoted, conn.QuoteLiteral(gid));
  return std::string(verb) + " " + quoted;
}

Status FinishPreparedTransaction(PgConnection& conn, PgPreparedAction action,
                                 std::string_view gid, std::string_view context,
                                 const PgDeadline& deadline) {
  const char* verb = action == PgPreparedAction::kCommit ? "COMMIT PREPARED"
                                                         : "ROLLBACK PREPARED";
  const std::string where = std::string(context) + ": " + verb;
  Result<std::string> statement = TwoPhaseStatement(conn, verb, gid);
  if (!statement.ok()) return statement.status().WithContext(where);
  return FinishedPreparedStatus(conn.Exec(*statement, deadline), action,
                                context);
}

Status FinishedPreparedStatus(const PgResult& result, PgPreparedAction action,
                              std::string_view context) {
  if (result.ok()) return Status::Ok();
  const char* verb = action == PgPreparedAction::kCommit ? "COMMIT PREPARED"
                                                         : "ROLLBACK PREPARED";
  // 42704 maps to NotFound; a lost connection, a timeout and a busy gid to
  // Unavailable.
  return result.ToStatus(std::string(context) + ": " + verb,
                         PgStatementKind::kFinishPrepared);
}

}  // namespace xatm
