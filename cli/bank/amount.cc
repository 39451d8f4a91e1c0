#include "cli/bank/amount.h"

#include <algorithm>

#include "tm/text_format.h"

namespace xatm {
namespace {

enum class Sign { kPositive, kNonNegative, kAny };

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

// "1e5", "2.5E-3": digits around an exponent marker. Named separately from
// "not a number" because it is a plausible thing to type and a wrong one:
// the exact digits are wanted.
bool LooksLikeExponent(std::string_view s) {
  size_t e = s.find_first_of("eE");
  if (e == std::string_view::npos || e == 0) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == e) continue;
    if (!IsDigit(c) && c != '.' && c != '-' && c != '+') return false;
  }
  return true;
}

Result<Amount> Parse(std::string_view text, std::string_view what, Sign sign) {
  const std::string name = std::string(what) + " " + Quoted(text);
  auto bad = [&](const std::string& why) -> Result<Amount> {
    return Status::InvalidArgument(name + " " + why);
  };
  if (text.empty()) return bad("is empty");
  if (std::any_of(text.begin(), text.end(), IsSpace)) {
    return bad("contains spaces");
  }
  std::string_view s = text;
  // The sign is judged once the rest is known to be a number, so "-abc"
  // is "not a number" rather than "negative".
  const bool negative = s.front() == '-';
  if (negative) s.remove_prefix(1);
  if (LooksLikeExponent(s)) {
    return bad("uses an exponent: write the digits out, e.g. 100000.00");
  }
  const std::string expected =
      "is not a number (expected digits with at most 2 decimals, e.g. 12.50)";
  size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  if (whole.empty() || (dot != std::string_view::npos && fraction.empty())) {
    return bad(expected);
  }
  if (!std::all_of(whole.begin(), whole.end(), IsDigit) ||
      !std::all_of(fraction.begin(), fraction.end(), IsDigit)) {
    return bad(expected);
  }
  if (fraction.size() > static_cast<size_t>(Amount::kDecimals)) {
    return bad("has more than 2 decimals");
  }
  // Leading zeros carry no value and do not count against the 18 digits.
  size_t first = whole.find_first_not_of('0');
  std::string_view significant = first == std::string_view::npos
                                     ? std::string_view()
                                     : whole.substr(first);
  if (significant.size() > static_cast<size_t>(Amount::kMaxIntegerDigits)) {
    return bad(
        "has more than 18 digits before the decimal point (at most "
        "999999999999999999.99)");
  }
  // At most 20 digits: far inside the 128-bit range, no overflow possible.
  Cents cents = 0;
  for (char c : significant) cents = cents * 10 + (c - '0');
  for (int i = 0; i < Amount::kDecimals; ++i) {
    int digit = i < static_cast<int>(fraction.size()) ? fraction[i] - '0' : 0;
    cents = cents * 10 + digit;
  }
  if (negative && cents != 0 && sign != Sign::kAny) {
    return bad(sign == Sign::kPositive
                   ? "is negative: it must be greater than zero"
                   : "is negative");
  }
  if (sign == Sign::kPositive && cents == 0) {
    return bad("must be greater than zero");
  }
  return Amount::FromCents(negative ? -cents : cents);
}

}  // namespace

Result<Amount> Amount::ParsePositive(std::string_view text,
                                     std::string_view what) {
  return Parse(text, what, Sign::kPositive);
}

Result<Amount> Amount::ParseNonNegative(std::string_view text,
                                        std::string_view what) {
  return Parse(text, what, Sign::kNonNegative);
}

Result<Amount> Amount::ParseStored(std::string_view text,
                                   std::string_view what) {
  return Parse(text, what, Sign::kAny);
}

std::string Amount::ToString() const {
  // Work on the magnitude as unsigned so that no value overflows.
  __extension__ typedef unsigned __int128 Unsigned;
  Unsigned magnitude = cents_ < 0 ? Unsigned(0) - static_cast<Unsigned>(cents_)
                                  : static_cast<Unsigned>(cents_);
  std::string digits;
  do {
    digits.push_back(static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  } while (magnitude != 0);
  while (digits.size() < 3) digits.push_back('0');  // at least "0.0x"
  std::reverse(digits.begin(), digits.end());
  digits.insert(digits.size() - kDecimals, ".");
  return cents_ < 0 ? "-" + digits : digits;
}

Result<Amount> Amount::Plus(const Amount& other) const {
  Cents sum;
  if (__builtin_add_overflow(cents_, other.cents_, &sum)) {
    return Status::InvalidArgument("sum of " + ToString() + " and " +
                                   other.ToString() + " overflows");
  }
  return Amount(sum);
}

}  // namespace xatm
