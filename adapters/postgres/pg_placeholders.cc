#include "adapters/postgres/pg_placeholders.h"

#include <algorithm>
#include <utility>

namespace xatm {
namespace {

bool IsIdentifierStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool IsIdentifierChar(char c) {
  return IsIdentifierStart(c) || (c >= '0' && c <= '9') || c == '$';
}

// Length of the dollar-quote delimiter ($$ or $tag$) starting at sql[pos], 0
// when there is none there ($1 is a parameter, a$b an identifier).
size_t DollarQuoteDelimiterLength(std::string_view sql, size_t pos) {
  if (pos > 0 && IsIdentifierChar(sql[pos - 1])) return 0;
  size_t i = pos + 1;
  if (i < sql.size() && sql[i] == '$') return 2;
  if (i >= sql.size() || !IsIdentifierStart(sql[i])) return 0;
  while (i < sql.size() && IsIdentifierChar(sql[i]) && sql[i] != '$') ++i;
  if (i < sql.size() && sql[i] == '$') return i - pos + 1;
  return 0;
}

// End (one past the closing quote) of the string literal opening at `pos`.
size_t StringLiteralEnd(std::string_view sql, size_t pos) {
  // E'...' honours backslash escapes, so \' does not close it.
  bool backslash_escapes = pos > 0 &&
                           (sql[pos - 1] == 'E' || sql[pos - 1] == 'e') &&
                           (pos < 2 || !IsIdentifierChar(sql[pos - 2]));
  size_t i = pos + 1;
  while (i < sql.size()) {
    if (backslash_escapes && sql[i] == '\\') {
      i += 2;
      continue;
    }
    if (sql[i] == '\'') {
      if (i + 1 < sql.size() && sql[i + 1] == '\'') {  // '' is a quote
        i += 2;
        continue;
      }
      return i + 1;
    }
    ++i;
  }
  return sql.size();
}

size_t QuotedIdentifierEnd(std::string_view sql, size_t pos) {
  // "" inside an identifier closes and reopens: same end either way.
  size_t close = sql.find('"', pos + 1);
  return close == std::string_view::npos ? sql.size() : close + 1;
}

size_t LineCommentEnd(std::string_view sql, size_t pos) {
  size_t newline = sql.find('\n', pos);
  return newline == std::string_view::npos ? sql.size() : newline + 1;
}

// Block comments nest in PostgreSQL.
size_t BlockCommentEnd(std::string_view sql, size_t pos) {
  int depth = 1;
  size_t i = pos + 2;
  while (i < sql.size() && depth > 0) {
    if (sql.compare(i, 2, "/*") == 0) {
      ++depth;
      i += 2;
    } else if (sql.compare(i, 2, "*/") == 0) {
      --depth;
      i += 2;
    } else {
      ++i;
    }
  }
  return std::min(i, sql.size());
}

size_t DollarQuotedEnd(std::string_view sql, size_t pos, size_t delimiter) {
  std::string_view tag = sql.substr(pos, delimiter);
  size_t close = sql.find(tag, pos + delimiter);
  return close == std::string_view::npos ? sql.size() : close + delimiter;
}

bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v' || c == ';';
}

// Past the whitespace, comments and ';' from `pos` on.
size_t SkipBlanks(std::string_view sql, size_t pos) {
  while (pos < sql.size()) {
    if (IsBlank(sql[pos])) {
      ++pos;
    } else if (sql.compare(pos, 2, "--") == 0) {
      pos = LineCommentEnd(sql, pos);
    } else if (sql.compare(pos, 2, "/*") == 0) {
      pos = BlockCommentEnd(sql, pos);
    } else {
      break;
    }
  }
  return pos;
}

}  // namespace

std::array<std::string_view, 2> LeadingWords(std::string_view sql) {
  std::array<std::string_view, 2> words;
  size_t pos = SkipBlanks(sql, 0);
  for (std::string_view& word : words) {
    if (pos >= sql.size() || !IsIdentifierStart(sql[pos])) break;
    const size_t start = pos;
    while (pos < sql.size() && IsIdentifierChar(sql[pos])) ++pos;
    word = sql.substr(start, pos - start);
    pos = SkipBlanks(sql, pos);
  }
  return words;
}

bool IsEmptyStatement(std::string_view sql) {
  return SkipBlanks(sql, 0) == sql.size();
}

PgSql ConvertPlaceholders(std::string_view sql) {
  PgSql out;
  out.text.reserve(sql.size() + 16);
  size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    size_t skip_to = 0;  // end of a span copied verbatim, 0 if none
    if (c == '?') {
      out.text += '$';
      out.text += std::to_string(++out.parameter_count);
      ++i;
      continue;
    }
    if (c == '\'') {
      skip_to = StringLiteralEnd(sql, i);
    } else if (c == '"') {
      skip_to = QuotedIdentifierEnd(sql, i);
    } else if (c == '-' && sql.compare(i, 2, "--") == 0) {
      skip_to = LineCommentEnd(sql, i);
    } else if (c == '/' && sql.compare(i, 2, "/*") == 0) {
      skip_to = BlockCommentEnd(sql, i);
    } else if (c == '$') {
      size_t delimiter = DollarQuoteDelimiterLength(sql, i);
      if (delimiter > 0) skip_to = DollarQuotedEnd(sql, i, delimiter);
    }
    if (skip_to > i) {
      out.text.append(sql.substr(i, skip_to - i));
      i = skip_to;
    } else {
      out.text += c;
      ++i;
    }
  }
  return out;
}

Result<std::string> ConvertForParameters(std::string_view sql,
                                         size_t parameter_count) {
  PgSql converted = ConvertPlaceholders(sql);
  if (converted.parameter_count != parameter_count) {
    return Status::InvalidArgument(
        "the statement has " + std::to_string(converted.parameter_count) +
        " placeholders but " + std::to_string(parameter_count) +
        " parameters were given");
  }
  return std::move(converted.text);
}

}  // namespace xatm
