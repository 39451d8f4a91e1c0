// What an idempotency key and its fingerprint may be.
#include "xatm/idempotency_key.h"

#include <gtest/gtest.h>

#include <string>

namespace xatm {
namespace {

TEST(IdempotencyKeyTest, AcceptsOneToSixtyFourAllowedCharacters) {
  for (const std::string& key :
       {std::string("k"), std::string(64, 'z'), std::string("AZaz09._:-"),
        std::string("order-2026-11-28:17")}) {
    EXPECT_TRUE(ValidateKeyText(key).ok()) << key;
  }
}

TEST(IdempotencyKeyTest, RefusesAnythingElseNamingTheRule) {
  for (const std::string& key :
       {std::string(), std::string(65, 'z'), std::string("a b"),
        std::string("a/b"), std::string("a'b"), std::string("a\nb"),
        std::string("\xc3\xa9"), std::string("a\0b", 3)}) {
    Status s = ValidateKeyText(key);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << key;
    EXPECT_EQ(s.message(),
              "an idempotency key is 1-64 characters [A-Za-z0-9._:-]");
  }
}

TEST(IdempotencyKeyTest, FingerprintIsOneToAThousandBytes) {
  EXPECT_TRUE(ValidateIdempotencyKey({"k", "x"}).ok());
  EXPECT_TRUE(ValidateIdempotencyKey({"k", std::string(1000, 'x')}).ok());
  EXPECT_FALSE(ValidateIdempotencyKey({"k", ""}).ok());
  EXPECT_FALSE(ValidateIdempotencyKey({"k", std::string(1001, 'x')}).ok());
  EXPECT_FALSE(ValidateIdempotencyKey({"", "x"}).ok());
}

}  // namespace
}  // namespace xatm
