#include "cli/bank/schema.h"

#include <chrono>
#include <functional>
#include <thread>

#include "cli/bank/schema_sql.h"
#include "xatm/key_table.h"

namespace xatm {
namespace {

bool IsBlank(const std::string& s) {
  return s.find_first_not_of(" \t\r\n") == std::string::npos;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

}  // namespace

Result<std::string> SchemaScript(std::string_view type) {
  if (type == "postgresql") return std::string(internal::kPostgresqlSchemaSql);
  if (type == "mysql") return std::string(internal::kMysqlSchemaSql);
  return Status::InvalidArgument("no schema for resource type '" +
                                 std::string(type) + "'");
}

std::vector<std::string> SplitSqlStatements(std::string_view script) {
  std::vector<std::string> statements;
  std::string current;
  size_t i = 0;
  auto flush = [&] {
    if (!IsBlank(current)) statements.push_back(Trim(current));
    current.clear();
  };
  while (i < script.size()) {
    char c = script[i];
    if (c == '-' && i + 1 < script.size() && script[i + 1] == '-') {
      size_t eol = script.find('\n', i);
      i = eol == std::string_view::npos ? script.size() : eol;
      continue;
    }
    if (c == '/' && i + 1 < script.size() && script[i + 1] == '*') {
      size_t end = script.find("*/", i + 2);
      i = end == std::string_view::npos ? script.size() : end + 2;
      current += ' ';
      continue;
    }
    if (c == '\'' || c == '"' || c == '`') {
      // A quoted string or identifier, doubled quotes included, verbatim.
      size_t end = i + 1;
      while (end < script.size()) {
        if (script[end] == c) {
          if (end + 1 < script.size() && script[end + 1] == c) {
            end += 2;
            continue;
          }
          break;
        }
        ++end;
      }
      size_t stop = end < script.size() ? end + 1 : script.size();
      current.append(script.substr(i, stop - i));
      i = stop;
      continue;
    }
    if (c == ';') {
      flush();
      ++i;
      continue;
    }
    current += c;
    ++i;
  }
  flush();
  return statements;
}

Status InitSchema(Resource& resource) {
  Result<std::string> script = SchemaScript(resource.type());
  if (!script.ok()) {
    return script.status().WithContext("resource '" + resource.name() + "'");
  }
  // Two processes running CREATE TABLE IF NOT EXISTS at once can make
  // PostgreSQL fail one of them (duplicate pg_type row); a second try sees
  // the table.
  auto twice = [](const std::function<Status()>& create) {
    Status s = create();
    if (!s.ok() && s.code() != StatusCode::kUnavailable) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      s = create();
    }
    return s.ok() ? s : s.WithContext("creating the schema");
  };
  for (const std::string& statement : SplitSqlStatements(*script)) {
    XATM_RETURN_IF_ERROR(
        twice([&] { return resource.ExecuteLocal(statement, {}); }));
  }
  // The idempotency keys of `transfer --key` (and of applications).
  return twice([&] { return CreateKeyTable(resource); });
}

}  // namespace xatm
