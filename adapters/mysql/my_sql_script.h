// Just enough lexing of an SQL script to run it as one multi-statement round
// trip through Connector/C++ 1.1 and know where its results end.
//
// Why: in Connector/C++ 1.1 Statement::getMoreResults() returns false both
// when the next result is an update count and when there are no results left,
// and getUpdateCount() does not tell them apart either. Leaving results unread
// puts the connection out of sync (error 2014). So the runner appends a final
// SELECT of a sentinel and reads results until it sees it; this file tells how
// to append it and bounds how many non-result-set answers may come first.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace xatm {

struct MyScriptShape {
  // Anything besides whitespace and comments.
  bool has_statements = false;
  // The last thing outside comments is ';' (a second ';' would make an
  // empty statement, which the server rejects).
  bool ends_with_semicolon = false;
  // ';' outside strings, identifiers and comments, plus one: at least the
  // number of statements (a procedure body only makes it larger).
  size_t max_statements = 0;
};

// Understands '...', "...", `...` (with \ escapes and doubled quotes),
// -- and # line comments, /* */ comments. /*! and /*M! comments are executable
// in MariaDB and count as statement text.
MyScriptShape AnalyzeScript(std::string_view script);

// The value of the sentinel SELECT.
inline constexpr std::string_view kScriptSentinel = "xatm-end-of-script";

// `script` followed by the sentinel statement.
// REQUIRES: AnalyzeScript(script).has_statements.
std::string WithSentinel(std::string_view script, const MyScriptShape& shape);

}  // namespace xatm
