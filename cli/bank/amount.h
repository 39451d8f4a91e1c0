// Exact decimal money. An Amount is a signed whole number of cents held in a
// 128-bit integer: NUMERIC(20,2) allows 18 digits before the point, which is
// more than int64 cents can hold. No floating point anywhere, and the text
// forms parsed here and printed by ToString() are what the SQL casts take.
#pragma once

#include <string>
#include <string_view>

#include "xatm/status.h"

namespace xatm {

// GCC and Clang's 128-bit integer (__extension__ keeps -Wpedantic quiet).
__extension__ typedef __int128 Cents;

class Amount {
 public:
  // DECIMAL(20,2) / NUMERIC(20,2).
  static constexpr int kMaxIntegerDigits = 18;
  static constexpr int kDecimals = 2;

  Amount() = default;  // 0.00

  // A transfer amount as typed by a user: digits with an optional '.' and
  // one or two decimals ("12", "12.5", "12.50"), greater than zero. The
  // InvalidArgument message names `what` and the value: negative, zero, not
  // a number, exponent, spaces, more than 2 decimals, too many digits.
  static Result<Amount> ParsePositive(std::string_view text,
                                      std::string_view what = "amount");
  // The same, zero allowed (an opening balance).
  static Result<Amount> ParseNonNegative(std::string_view text,
                                         std::string_view what = "amount");
  // A DECIMAL(20,2) value as a database prints it: an optional '-' first.
  static Result<Amount> ParseStored(std::string_view text,
                                    std::string_view what = "value");

  // Any whole number of cents, e.g. a sum or a generated test amount.
  static Amount FromCents(Cents cents) { return Amount(cents); }

  Cents cents() const { return cents_; }
  bool is_zero() const { return cents_ == 0; }
  bool is_negative() const { return cents_ < 0; }

  // "-12.50", "0.00", "999999999999999999.99": always two decimals.
  std::string ToString() const;

  // The sum; InvalidArgument if it leaves the 128-bit range.
  Result<Amount> Plus(const Amount& other) const;
  // REQUIRES: not the most negative Cents value (no parsed amount or sum
  // of them comes near it).
  Amount Negated() const { return Amount(-cents_); }

  bool operator==(const Amount& o) const { return cents_ == o.cents_; }
  bool operator!=(const Amount& o) const { return cents_ != o.cents_; }
  bool operator<(const Amount& o) const { return cents_ < o.cents_; }
  bool operator<=(const Amount& o) const { return cents_ <= o.cents_; }
  bool operator>(const Amount& o) const { return cents_ > o.cents_; }
  bool operator>=(const Amount& o) const { return cents_ >= o.cents_; }

 private:
  explicit Amount(Cents cents) : cents_(cents) {}

  Cents cents_ = 0;
};

}  // namespace xatm
