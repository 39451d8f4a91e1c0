// Counts the scenarios a crash-test program runs and the violations (failed
// checks) they find, and prints one summary line when the program ends:
//   crash suite: 2 scenarios, 0 violations, 11.3 s
// It also turns the library's in-process logging down to warnings.
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace xatm::crash {

// One scenario: counted, and named in every failure message raised while it
// lives.
class Scenario {
 public:
  explicit Scenario(const std::string& name);

 private:
  ::testing::ScopedTrace trace_;
};

}  // namespace xatm::crash
