#include "adapters/postgres/pg_result.h"

#include <cstdlib>
#include <string>
#include <utility>

#include "adapters/postgres/pg_error.h"

namespace xatm {

PgResult::PgResult(PGresult* result, bool connection_lost,
                   std::string libpq_error)
    : result_(result),
      connection_lost_(connection_lost),
      libpq_error_(std::move(libpq_error)) {}

PgResult PgResult::ClientError(StatusCode code, std::string message) {
  PgResult result(nullptr, false, std::move(message));
  result.client_error_code_ = code;
  return result;
}

PgResult PgResult::TimedOut(int64_t budget_ms) {
  PgResult result(nullptr, /*connection_lost=*/true,
                  "timed out after " + std::to_string(budget_ms) + " ms");
  result.timed_out_ = true;
  return result;
}

bool PgResult::ok() const {
  if (result_ == nullptr) return false;
  ExecStatusType status = PQresultStatus(result_.get());
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

bool PgResult::server_error() const {
  return result_ != nullptr &&
         PQresultStatus(result_.get()) == PGRES_FATAL_ERROR;
}

std::string PgResult::sqlstate() const {
  if (result_ == nullptr) return "";
  const char* field = PQresultErrorField(result_.get(), PG_DIAG_SQLSTATE);
  return field == nullptr ? "" : field;
}

std::string PgResult::error_message() const {
  if (result_ != nullptr) {
    const char* primary =
        PQresultErrorField(result_.get(), PG_DIAG_MESSAGE_PRIMARY);
    if (primary != nullptr && *primary != '\0') return OneLine(primary);
    std::string whole = OneLine(PQresultErrorMessage(result_.get()));
    if (!whole.empty()) return whole;
  }
  if (!libpq_error_.empty()) return OneLine(libpq_error_);
  if (result_ != nullptr) {
    return std::string("unexpected result status ") +
           PQresStatus(PQresultStatus(result_.get()));
  }
  return "no result from libpq";
}

std::string PgResult::command_tag() const {
  if (result_ == nullptr) return "";
  return PQcmdStatus(result_.get());
}

int64_t PgResult::affected_rows() const {
  if (result_ == nullptr) return 0;
  const char* count = PQcmdTuples(result_.get());
  if (count == nullptr || *count == '\0') return 0;
  return std::strtoll(count, nullptr, 10);
}

std::vector<Row> PgResult::rows() const {
  std::vector<Row> out;
  if (result_ == nullptr) return out;
  const int row_count = PQntuples(result_.get());
  const int column_count = PQnfields(result_.get());
  out.reserve(static_cast<size_t>(row_count));
  for (int r = 0; r < row_count; ++r) {
    Row row;
    row.reserve(static_cast<size_t>(column_count));
    for (int c = 0; c < column_count; ++c) {
      if (PQgetisnull(result_.get(), r, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(result_.get(), r, c),
                                     PQgetlength(result_.get(), r, c)));
      }
    }
    out.push_back(std::move(row));
  }
  return out;
}

Status PgResult::ToStatus(std::string_view context,
                          PgStatementKind kind) const {
  if (timed_out_) {
    return Status::Unavailable(std::string(context) + ": " + libpq_error_ +
                               " (connection closed)");
  }
  const std::string state = sqlstate();
  if (connection_lost_) {
    return PgConnectionLostStatus(context, state, error_message());
  }
  if (!state.empty()) {
    return PgErrorStatus(context, state, error_message(), kind);
  }
  if (client_error_code_ != StatusCode::kOk) {
    return Status(client_error_code_,
                  std::string(context) + ": " + libpq_error_);
  }
  if (result_ != nullptr &&
      PQresultStatus(result_.get()) == PGRES_EMPTY_QUERY) {
    return Status::InvalidArgument(std::string(context) + ": empty statement");
  }
  return Status::Internal(std::string(context) + ": " + error_message());
}

}  // namespace xatm
