#include "adapters/mysql/my_sql_script.h"

namespace xatm {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

}  // namespace

MyScriptShape AnalyzeScript(std::string_view s) {
  MyScriptShape shape;
  size_t semicolons = 0;
  char last = '\0';  // last significant character
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    char c = s[i];
    if (IsSpace(c)) {
      ++i;
      continue;
    }
    // "-- " needs whitespace (or the end) after the dashes in MariaDB.
    bool dash_comment = c == '-' && i + 1 < n && s[i + 1] == '-' &&
                        (i + 2 == n || IsSpace(s[i + 2]));
    if (c == '#' || dash_comment) {
      while (i < n && s[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '*') {
      bool executable =
          i + 2 < n && (s[i + 2] == '!' ||
                        (s[i + 2] == 'M' && i + 3 < n && s[i + 3] == '!'));
      size_t end = s.find("*/", i + 2);
      i = end == std::string_view::npos ? n : end + 2;
      if (executable) {
        shape.has_statements = true;
        last = '/';
      }
      continue;
    }
    if (c == '\'' || c == '"' || c == '`') {
      const char quote = c;
      ++i;
      while (i < n) {
        if (s[i] == '\\' && quote != '`' && i + 1 < n) {
          i += 2;
        } else if (s[i] == quote) {
          // A doubled quote stands for itself and stays inside.
          if (i + 1 < n && s[i + 1] == quote) {
            i += 2;
          } else {
            ++i;
            break;
          }
        } else {
          ++i;
        }
      }
      shape.has_statements = true;
      last = quote;
      continue;
    }
    if (c == ';') ++semicolons;
    if (c != ';') shape.has_statements = true;
    last = c;
    ++i;
  }
  shape.ends_with_semicolon = last == ';';
  shape.max_statements = semicolons + 1;
  return shape;
}

std::string WithSentinel(std::string_view script, const MyScriptShape& shape) {
  std::string text(script);
  // The newline ends a trailing "-- comment" before the sentinel.
  text += shape.ends_with_semicolon ? "\n" : "\n;";
  text += "SELECT '";
  text += kScriptSentinel;
  text += "'";
  return text;
}

}  // namespace xatm
