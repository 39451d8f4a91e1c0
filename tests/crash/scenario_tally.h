// Counts the scenarios a crash-test program runs and the violations (failed
// checks) they find, and prints one summary line when the program ends:
//   crash suite sweep_race_test: 2 scenarios, 0 violations, 11.3 s
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
