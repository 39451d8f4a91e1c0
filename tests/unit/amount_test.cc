// Exact money: what users may type, what databases print, and sums.
#include "cli/bank/amount.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace xatm {
namespace {

std::string Normalized(const std::string& text) {
  Result<Amount> a = Amount::ParsePositive(text);
  EXPECT_TRUE(a.ok()) << text << ": " << a.status().ToString();
  return a.ok() ? a->ToString() : "";
}

TEST(AmountTest, UserFormsParseAndPrintWithTwoDecimals) {
  EXPECT_EQ(Normalized("1"), "1.00");
  EXPECT_EQ(Normalized("1.5"), "1.50");
  EXPECT_EQ(Normalized("12.50"), "12.50");
  EXPECT_EQ(Normalized("0.01"), "0.01");
  EXPECT_EQ(Normalized("0.1"), "0.10");
  EXPECT_EQ(Normalized("007.5"), "7.50");
  EXPECT_EQ(Normalized("100000"), "100000.00");
}

TEST(AmountTest, PrintedFormParsesBackToTheSameValue) {
  for (const char* text : {"0.01", "0.99", "1.00", "25.50", "10.25",
                           "123456789012345678.90", "999999999999999999.99"}) {
    Result<Amount> a = Amount::ParsePositive(text);
    ASSERT_TRUE(a.ok()) << text;
    EXPECT_EQ(a->ToString(), text);
    Result<Amount> again = Amount::ParseStored(a->ToString());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *a);
  }
}

TEST(AmountTest, EighteenIntegerDigitsAreExact) {
  Result<Amount> max = Amount::ParsePositive("999999999999999999.99");
  ASSERT_TRUE(max.ok());
  Cents expected = 1;
  for (int i = 0; i < 20; ++i) expected *= 10;
  EXPECT_TRUE(max->cents() == expected - 1);  // 10^20 - 1: beyond int64
  Result<Amount> twice = max->Plus(*max);
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(twice->ToString(), "1999999999999999999.98");
  // One cent below the maximum differs from it: nothing was rounded.
  Result<Amount> below = Amount::ParsePositive("999999999999999999.98");
  ASSERT_TRUE(below.ok());
  EXPECT_TRUE(max->cents() - below->cents() == 1);
}

TEST(AmountTest, DecimalFractionsAddExactly) {
  // 0.1 + 0.2 is not 0.3 in binary floating point; here it is.
  Amount sum;
  for (int i = 0; i < 10; ++i) sum = *sum.Plus(*Amount::ParsePositive("0.1"));
  EXPECT_EQ(sum.ToString(), "1.00");
  EXPECT_EQ(Amount::ParsePositive("0.1")
                ->Plus(*Amount::ParsePositive("0.2"))
                ->ToString(),
            "0.30");
}

TEST(AmountTest, StoredValuesMayBeNegativeOrZero) {
  EXPECT_EQ(Amount::ParseStored("-25.50")->ToString(), "-25.50");
  EXPECT_EQ(Amount::ParseStored("-0.05")->ToString(), "-0.05");
  EXPECT_EQ(Amount::ParseStored("0.00")->ToString(), "0.00");
  EXPECT_TRUE(Amount::ParseStored("-1.00")->is_negative());
  EXPECT_EQ(Amount::ParseStored("-25.50")->Negated().ToString(), "25.50");
}

TEST(AmountTest, OpeningBalanceMayBeZeroButNotNegative) {
  EXPECT_EQ(Amount::ParseNonNegative("0")->ToString(), "0.00");
  EXPECT_EQ(Amount::ParseNonNegative("0.00")->ToString(), "0.00");
  Result<Amount> negative = Amount::ParseNonNegative("-1", "balance");
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.status().message(), "balance '-1' is negative");
}

struct BadAmount {
  const char* text;
  const char* why;  // part of the expected message
};

TEST(AmountTest, EveryBadFormIsRejectedWithAMessageNamingIt) {
  const std::vector<BadAmount> cases = {
      {"-5", "is negative"},
      {"-0.01", "is negative"},
      {"0", "must be greater than zero"},
      {"0.00", "must be greater than zero"},
      {"000", "must be greater than zero"},
      {"abc", "is not a number"},
      {"12abc", "is not a number"},
      {"1.001", "has more than 2 decimals"},
      {"1.000", "has more than 2 decimals"},
      {"1e5", "uses an exponent"},
      {"1E5", "uses an exponent"},
      {"2.5e-3", "uses an exponent"},
      {" 5", "contains spaces"},
      {"5 ", "contains spaces"},
      {"1 000", "contains spaces"},
      {"", "is empty"},
      {"1234567890123456789", "more than 18 digits"},
      {"1000000000000000000.00", "more than 18 digits"},
      {"+5", "is not a number"},
      {".5", "is not a number"},
      {"5.", "is not a number"},
      {"1.2.3", "is not a number"},
      {"1,000.00", "is not a number"},
      {"NaN", "is not a number"},
      {"inf", "is not a number"},
      {"0x10", "is not a number"},
      {"-", "is not a number"},
      {"-0", "must be greater than zero"},
  };
  for (const BadAmount& c : cases) {
    Result<Amount> a = Amount::ParsePositive(c.text);
    ASSERT_FALSE(a.ok()) << "accepted '" << c.text << "'";
    EXPECT_EQ(a.status().code(), StatusCode::kInvalidArgument);
    const std::string& m = a.status().message();
    EXPECT_NE(m.find(std::string("amount '") + c.text + "'"), std::string::npos)
        << m;
    EXPECT_NE(m.find(c.why), std::string::npos) << c.text << " -> " << m;
  }
}

TEST(AmountTest, LeadingZerosDoNotCountAsDigits) {
  EXPECT_EQ(Normalized("000000000000000000001.00"), "1.00");
}

TEST(AmountTest, MessageStaysOnOneLine) {
  Result<Amount> a = Amount::ParsePositive("1\n2");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().message().find('\n'), std::string::npos);
  EXPECT_NE(a.status().message().find("'1\\x0a2'"), std::string::npos);
}

TEST(AmountTest, NonAsciiDigitsAreNotNumbers) {
  Result<Amount> a = Amount::ParsePositive("\xef\xbc\x91");  // fullwidth 1
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("is not a number"), std::string::npos);
}

TEST(AmountTest, ComparesByValue) {
  Amount a = *Amount::ParsePositive("10");
  Amount b = *Amount::ParsePositive("10.00");
  Amount c = *Amount::ParsePositive("10.01");
  EXPECT_EQ(a, b);
  EXPECT_LT(b, c);
  EXPECT_GT(c, a);
  EXPECT_TRUE(Amount().is_zero());
  EXPECT_EQ(Amount().ToString(), "0.00");
}

}  // namespace
}  // namespace xatm
