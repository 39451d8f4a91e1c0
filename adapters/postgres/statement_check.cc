#include "adapters/postgres/statement_check.h"

#include <string>
#include <vector>

#include "adapters/postgres/placeholders.h"

namespace xatm {

Status CheckBranchStatement(std::string_view sql) {
  if (IsEmptyStatement(sql)) {
    // The server answers it with no command at all, which a pipelined
    // round trip would mistake for a failure that stopped the rest.
    return Status::InvalidArgument(
        "empty statement (only blanks, comments or ';')");
  }
  const std::vector<std::string> words = LeadingWords(sql, 2);
  if (words.empty()) return Status::Ok();
  const std::string& first = words[0];
  const std::string second = words.size() > 1 ? words[1] : "";
  const bool savepoint = first == "ROLLBACK" && second == "TO";
  if (!savepoint &&
      (first == "BEGIN" || first == "START" || first == "COMMIT" ||
       first == "END" || first == "ROLLBACK" || first == "ABORT" ||
       (first == "PREPARE" && second == "TRANSACTION"))) {
    // After it, later statements would run (and commit) outside the global
    // transaction.
    return Status::InvalidArgument(
        "transaction control (" + first +
        ") is not allowed inside a branch: the transaction manager ends "
        "the transaction");
  }
  if (first == "COPY") {
    return Status::InvalidArgument("COPY is not supported inside a branch");
  }
  return Status::Ok();
}

}  // namespace xatm
