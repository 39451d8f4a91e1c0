// XATM_ASSIGN_OR_RETURN: the error returns early, unchanged; the value is
// moved into a new or an existing variable; the expression runs once.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "xatm/status.h"

namespace xatm {
namespace {

Result<std::unique_ptr<std::string>> Lookup(const std::string& name,
                                            int* calls) {
  ++*calls;
  if (name != "pg") return Status::NotFound("unknown resource '" + name + "'");
  return std::make_unique<std::string>(name);
}

// Returns a Result of another type: the status converts.
Result<size_t> NameLength(const std::string& name, int* calls) {
  XATM_ASSIGN_OR_RETURN(auto found, Lookup(name, calls));
  return found->size();
}

// Returns a Status and assigns to an existing variable.
Status CopyName(const std::string& name, std::string* out, int* calls) {
  std::unique_ptr<std::string> found;
  XATM_ASSIGN_OR_RETURN(found, Lookup(name, calls));
  *out = *found;
  return Status::Ok();
}

TEST(AssignOrReturnTest, AnErrorReturnsEarlyWithItsStatus) {
  int calls = 0;
  Result<size_t> length = NameLength("pgg", &calls);
  ASSERT_FALSE(length.ok());
  EXPECT_EQ(length.status().ToString(), "NOT_FOUND: unknown resource 'pgg'");
  EXPECT_EQ(calls, 1);

  std::string out = "untouched";
  Status copied = CopyName("pgg", &out, &calls);
  EXPECT_EQ(copied.ToString(), "NOT_FOUND: unknown resource 'pgg'");
  EXPECT_EQ(out, "untouched");
  EXPECT_EQ(calls, 2);
}

TEST(AssignOrReturnTest, AValueIsMovedIntoTheVariable) {
  int calls = 0;
  Result<size_t> length = NameLength("pg", &calls);
  ASSERT_TRUE(length.ok());
  EXPECT_EQ(*length, 2u);
  EXPECT_EQ(calls, 1);

  std::string out;
  ASSERT_TRUE(CopyName("pg", &out, &calls).ok());
  EXPECT_EQ(out, "pg");
  EXPECT_EQ(calls, 2);
}

// Two uses in one function (different lines) do not clash.
Result<std::string> BothNames(int* calls) {
  XATM_ASSIGN_OR_RETURN(auto first, Lookup("pg", calls));
  XATM_ASSIGN_OR_RETURN(auto second, Lookup("pg", calls));
  return *first + "+" + *second;
}

TEST(AssignOrReturnTest, SeveralUsesInOneFunction) {
  int calls = 0;
  Result<std::string> both = BothNames(&calls);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(*both, "pg+pg");
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace xatm
