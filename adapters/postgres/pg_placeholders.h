// Placeholder conversion. Statements reach every adapter with '?'
// placeholders; PostgreSQL numbers its parameters $1..$n.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "xatm/status.h"

namespace xatm {

struct PgSql {
  std::string text;  // with $1..$n in place of the placeholders
  size_t parameter_count = 0;
};

// Replaces each placeholder '?' with $1, $2, ... from left to right. A '?'
// inside a string literal ('...', E'...' with backslash escapes,
// $tag$...$tag$), a quoted identifier ("...") or a comment (-- and /* */) is
// text, not a placeholder. Malformed SQL (an unterminated quote) is passed
// through for the server to reject. PostgreSQL's jsonb operators ?, ?| and ?&
// cannot be written outside a literal: use the jsonb_exists* functions.
PgSql ConvertPlaceholders(std::string_view sql);

// ConvertPlaceholders(sql).text, or InvalidArgument when the statement does
// not have exactly `parameter_count` placeholders. Checked on the client: a
// mismatch reaching the server is a protocol error (08P01) that costs the
// connection.
Result<std::string> ConvertForParameters(std::string_view sql,
                                         size_t parameter_count);

// Only whitespace, comments and ';': the server answers it with no command.
bool IsEmptyStatement(std::string_view sql);

// The first two words of the statement as written (empty where there is
// none), skipping whitespace, comments and ';' as the server does; a word
// is missing when something else (a parenthesis, a quote) comes first.
// Views into `sql`: checked on every statement, so nothing is copied.
std::array<std::string_view, 2> LeadingWords(std::string_view sql);

}  // namespace xatm
