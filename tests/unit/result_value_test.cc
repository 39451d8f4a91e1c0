// Result<T>::value() on an error stops the program with the status's
// message in every build type: a missed check must never read garbage.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "xatm/status.h"

namespace xatm {
namespace {

Result<std::unique_ptr<std::string>> Lookup(const std::string& name) {
  if (name != "pg") return Status::NotFound("unknown resource '" + name + "'");
  return std::make_unique<std::string>(name);
}

TEST(ResultValueDeathTest, ValueOfAnErrorDiesWithTheStatusMessage) {
  EXPECT_DEATH((void)Lookup("pgg").value(),
               "NOT_FOUND: unknown resource 'pgg'");
}

TEST(ResultValueDeathTest, EveryAccessorOfAnErrorDies) {
  Result<std::string> failed = Status::Unavailable("server gone");
  const Result<std::string>& read_only = failed;
  EXPECT_DEATH((void)failed.value(), "UNAVAILABLE: server gone");
  EXPECT_DEATH((void)read_only.value(), "UNAVAILABLE: server gone");
  EXPECT_DEATH((void)failed->size(), "UNAVAILABLE: server gone");
  EXPECT_DEATH((void)read_only->size(), "UNAVAILABLE: server gone");
  EXPECT_DEATH((void)*failed, "UNAVAILABLE: server gone");
  EXPECT_DEATH((void)*read_only, "UNAVAILABLE: server gone");
  EXPECT_DEATH((void)std::move(failed).value(), "UNAVAILABLE: server gone");
}

TEST(ResultValueDeathTest, ValueOfASuccessIsTheValue) {
  Result<std::unique_ptr<std::string>> found = Lookup("pg");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found.value(), "pg");
  EXPECT_EQ(**found, "pg");
  EXPECT_EQ(found->get()->size(), 2u);
  std::unique_ptr<std::string> taken = std::move(found).value();
  EXPECT_EQ(*taken, "pg");
}

}  // namespace
}  // namespace xatm
