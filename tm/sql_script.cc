#include "tm/sql_script.h"

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

Status RunSqlScript(Resource& resource, std::string_view script) {
  const std::vector<std::string> statements = SplitSqlStatements(script);
  if (statements.empty()) return Status::Internal("empty schema script");
  for (const std::string& statement : statements) {
    XATM_RETURN_IF_ERROR(resource.ExecuteLocal(statement, {}));
  }
  return Status::Ok();
}

}  // namespace xatm
