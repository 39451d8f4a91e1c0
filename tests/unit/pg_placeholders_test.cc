#include "adapters/postgres/pg_placeholders.h"

#include <gtest/gtest.h>

namespace xatm {
namespace {

std::string Convert(std::string_view sql) {
  return ConvertPlaceholders(sql).text;
}

TEST(PgPlaceholdersTest, PlaceholdersAreNumberedFromLeftToRight) {
  PgSql sql = ConvertPlaceholders(
      "UPDATE t SET balance = balance + ? WHERE id = ? AND x IN (?,?)");
  EXPECT_EQ(sql.text,
            "UPDATE t SET balance = balance + $1 WHERE id = $2 AND x IN "
            "($3,$4)");
  EXPECT_EQ(sql.parameter_count, 4u);
}

TEST(PgPlaceholdersTest, StatementWithoutPlaceholdersIsUnchanged) {
  PgSql sql = ConvertPlaceholders("SELECT 1");
  EXPECT_EQ(sql.text, "SELECT 1");
  EXPECT_EQ(sql.parameter_count, 0u);
}

TEST(PgPlaceholdersTest, QuestionMarkInStringLiteralIsText) {
  EXPECT_EQ(Convert("SELECT '?', ? FROM t WHERE a = 'x?y'"),
            "SELECT '?', $1 FROM t WHERE a = 'x?y'");
}

TEST(PgPlaceholdersTest, DoubledQuoteDoesNotEndLiteral) {
  EXPECT_EQ(Convert("SELECT 'it''s ?', ?"), "SELECT 'it''s ?', $1");
}

TEST(PgPlaceholdersTest, BackslashQuoteDoesNotEndEscapeStringLiteral) {
  EXPECT_EQ(Convert(R"(SELECT E'a\'?', ?)"), R"(SELECT E'a\'?', $1)");
}

TEST(PgPlaceholdersTest, BackslashInStandardLiteralIsOrdinary) {
  // standard_conforming_strings: '\' is a one-character literal.
  EXPECT_EQ(Convert(R"(SELECT '\', ?)"), R"(SELECT '\', $1)");
}

TEST(PgPlaceholdersTest, IdentifierEndingInEIsNoEscapeStringPrefix) {
  // "name'..." is not E'...': the backslash does not escape the quote.
  EXPECT_EQ(Convert(R"(SELECT 1 FROM t WHERE name='\' AND x = ?)"),
            R"(SELECT 1 FROM t WHERE name='\' AND x = $1)");
}

TEST(PgPlaceholdersTest, QuestionMarkInQuotedIdentifierIsText) {
  EXPECT_EQ(Convert(R"(SELECT "what?" FROM "t""?" WHERE id = ?)"),
            R"(SELECT "what?" FROM "t""?" WHERE id = $1)");
}

TEST(PgPlaceholdersTest, QuestionMarkInCommentsIsText) {
  EXPECT_EQ(Convert("SELECT ? -- why?\n, ? /* a /* nested? */ b? */ , ?"),
            "SELECT $1 -- why?\n, $2 /* a /* nested? */ b? */ , $3");
}

TEST(PgPlaceholdersTest, QuestionMarkInDollarQuotedStringIsText) {
  EXPECT_EQ(Convert("SELECT $$a?b$$, $tag$ $$ ? $tag$, ?"),
            "SELECT $$a?b$$, $tag$ $$ ? $tag$, $1");
}

TEST(PgPlaceholdersTest, NumberedParameterDoesNotOpenADollarQuote) {
  // Were "$1, $" read as a dollar quote, the '?' would stay text.
  EXPECT_EQ(Convert("SELECT $1, $x, ?"), "SELECT $1, $x, $1");
}

TEST(PgPlaceholdersTest, DollarInsideIdentifierDoesNotOpenADollarQuote) {
  EXPECT_EQ(Convert("SELECT a$b$ FROM t WHERE c = ? AND d$e$ = 1"),
            "SELECT a$b$ FROM t WHERE c = $1 AND d$e$ = 1");
}

TEST(PgPlaceholdersTest, UnterminatedLiteralIsPassedThrough) {
  PgSql sql = ConvertPlaceholders("SELECT ?, 'open ?");
  EXPECT_EQ(sql.text, "SELECT $1, 'open ?");
  EXPECT_EQ(sql.parameter_count, 1u);
}

TEST(PgPlaceholdersTest, TenOrMorePlaceholdersGetTwoDigitNumbers) {
  PgSql sql = ConvertPlaceholders("?,?,?,?,?,?,?,?,?,?,?");
  EXPECT_EQ(sql.text, "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11");
}

TEST(PgPlaceholdersTest, ParameterCountMismatchIsInvalidArgument) {
  Result<std::string> converted = ConvertForParameters("SELECT ?, ?", 1);
  ASSERT_FALSE(converted.ok());
  EXPECT_EQ(converted.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(converted.status().message().find("2 placeholders"),
            std::string::npos);
}

TEST(PgPlaceholdersTest, MatchingParameterCountGivesConvertedText) {
  Result<std::string> converted = ConvertForParameters("SELECT ?", 1);
  ASSERT_TRUE(converted.ok()) << converted.status().ToString();
  EXPECT_EQ(*converted, "SELECT $1");
}

}  // namespace
}  // namespace xatm
