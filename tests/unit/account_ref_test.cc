// "RES:ID" account references.
#include "cli/bank/account_ref.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace xatm {
namespace {

TEST(AccountRefTest, ParsesResourceAndId) {
  Result<AccountRef> ref = AccountRef::Parse("pg:alice");
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  EXPECT_EQ(ref->resource, "pg");
  EXPECT_EQ(ref->id, "alice");
  EXPECT_EQ(ref->ToString(), "pg:alice");
}

TEST(AccountRefTest, IdMayHoldColonsAndPunctuation) {
  Result<AccountRef> ref = AccountRef::Parse("my:acct:42/eur-x_y.z");
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref->resource, "my");
  EXPECT_EQ(ref->id, "acct:42/eur-x_y.z");
}

TEST(AccountRefTest, IdOfSixtyFourCharactersIsTheLongest) {
  EXPECT_TRUE(AccountRef::Parse("pg:" + std::string(64, 'a')).ok());
  Result<AccountRef> ref = AccountRef::Parse("pg:" + std::string(65, 'a'));
  ASSERT_FALSE(ref.ok());
  EXPECT_NE(ref.status().message().find("longer than 64"), std::string::npos);
}

TEST(AccountRefTest, MalformedReferencesAreRejectedNamingTheText) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"alice", "is not RES:ID"},
      {"", "is not RES:ID"},
      {":alice", "no resource name"},
      {"pg:", "no account id"},
      {"pg:a b", "no spaces"},
      {"pg:a\tb", "no spaces"},
      {"pg:caf\xc3\xa9", "printable ASCII"},
      {"p g:alice", "resource name"},
      {"pg.x:alice", "resource name"},
      {std::string(33, 'r') + ":alice", "resource name"},
  };
  for (const auto& [text, why] : cases) {
    Result<AccountRef> ref = AccountRef::Parse(text);
    ASSERT_FALSE(ref.ok()) << "accepted '" << text << "'";
    EXPECT_EQ(ref.status().code(), StatusCode::kInvalidArgument);
    const std::string& m = ref.status().message();
    EXPECT_EQ(m.rfind("account '", 0), 0u) << m;
    EXPECT_NE(m.find(why), std::string::npos) << text << " -> " << m;
    EXPECT_EQ(m.find('\t'), std::string::npos) << m;
  }
}

TEST(AccountRefTest, CanonicalOrderIsResourceThenId) {
  std::vector<AccountRef> refs = {
      {"pg", "a"}, {"my", "z"}, {"my", "b"}, {"pg", "B"}};
  std::sort(refs.begin(), refs.end());
  std::vector<std::string> order;
  for (const auto& r : refs) order.push_back(r.ToString());
  EXPECT_EQ(order, (std::vector<std::string>{"my:b", "my:z", "pg:B", "pg:a"}));
}

TEST(AccountRefTest, EqualityNeedsBothParts) {
  EXPECT_EQ(*AccountRef::Parse("pg:a"), (AccountRef{"pg", "a"}));
  EXPECT_NE(*AccountRef::Parse("pg:a"), (AccountRef{"my", "a"}));
  EXPECT_NE(*AccountRef::Parse("pg:a"), (AccountRef{"pg", "b"}));
}

}  // namespace
}  // namespace xatm
