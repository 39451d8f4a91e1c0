#include "adapters/postgres/pg_statement_check.h"

#include <string>

#include "adapters/postgres/pg_placeholders.h"

namespace xatm {
namespace {

// SQL keywords are case-insensitive; `upper` is written in capitals.
bool IsKeyword(std::string_view word, std::string_view upper) {
  if (word.size() != upper.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    const char c = word[i];
    if ((c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c) !=
        upper[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

Status CheckBranchStatement(std::string_view sql) {
  if (IsEmptyStatement(sql)) {
    // The server answers it with no command at all, which a pipelined
    // round trip would mistake for a failure that stopped the rest.
    return Status::InvalidArgument(
        "empty statement (only blanks, comments or ';')");
  }
  const auto [first, second] = LeadingWords(sql);
  const bool savepoint =
      IsKeyword(first, "ROLLBACK") && IsKeyword(second, "TO");
  if (!savepoint) {
    for (std::string_view control :
         {"BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT"}) {
      if (IsKeyword(first, control)) {
        // After it, later statements would run (and commit) outside the
        // global transaction.
        return Status::InvalidArgument(
            "transaction control (" + std::string(control) +
            ") is not allowed inside a branch: the transaction manager ends "
            "the transaction");
      }
    }
  }
  if (IsKeyword(first, "PREPARE") && IsKeyword(second, "TRANSACTION")) {
    return Status::InvalidArgument(
        "transaction control (PREPARE) is not allowed inside a branch: the "
        "transaction manager ends the transaction");
  }
  if (IsKeyword(first, "COPY")) {
    return Status::InvalidArgument("COPY is not supported inside a branch");
  }
  return Status::Ok();
}

}  // namespace xatm
