// A manager over two scripted fake resources ("a", "b"), an in-memory
// decision log and a clock the test moves by hand.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "tests/unit/fake_resource.h"
#include "xatm/transaction_manager.h"

namespace xatm::testing {

class ManualClock : public Clock {
 public:
  int64_t NowMs() const override { return now_ms; }
  int64_t now_ms = 1'700'000'000'000;
};

class CoordinatorFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = std::make_shared<FakeResource>("a", &journal_);
    b_ = std::make_shared<FakeResource>("b", &journal_);
    auto log = std::make_unique<FakeDecisionLog>(&journal_);
    log_ = log.get();
    TransactionManagerOptions options;
    options.node_id = "n1";
    options.clock = &clock_;
    options.commit_attempts = 2;
    auto tm = TransactionManager::Create(options, {a_, b_}, std::move(log));
    ASSERT_TRUE(tm.ok()) << tm.status().ToString();
    tm_ = std::move(tm).value();
  }

  Journal journal_;
  ManualClock clock_;
  std::shared_ptr<FakeResource> a_, b_;
  FakeDecisionLog* log_ = nullptr;
  std::unique_ptr<TransactionManager> tm_;
};

}  // namespace xatm::testing
