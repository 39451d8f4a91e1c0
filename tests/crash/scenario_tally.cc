#include "tests/crash/scenario_tally.h"

#include <atomic>
#include <chrono>
#include <cstdio>

namespace xatm::crash {
namespace {

std::atomic<int> scenarios{0};
std::atomic<int> violations{0};

// Every failed assertion is a violation.
class ViolationCounter : public ::testing::EmptyTestEventListener {
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (result.failed()) ++violations;
  }
};

class SummaryEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    start_ = std::chrono::steady_clock::now();
    // The listeners list owns the counter.
    ::testing::UnitTest::GetInstance()->listeners().Append(
        new ViolationCounter);
  }

  void TearDown() override {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_)
            .count();
    std::printf("crash suite: %d scenarios, %d violations, %.1f s\n",
                scenarios.load(), violations.load(), seconds);
    std::fflush(stdout);
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// Registered when this file is linked, i.e. by every crash test program.
[[maybe_unused]] ::testing::Environment* const kSummary =
    ::testing::AddGlobalTestEnvironment(new SummaryEnvironment);

}  // namespace

Scenario::Scenario(const std::string& name)
    : trace_(__FILE__, __LINE__, "scenario: " + name) {
  ++scenarios;
}

}  // namespace xatm::crash
