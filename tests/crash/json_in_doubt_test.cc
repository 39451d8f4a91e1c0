// `transfer --json` of a transfer that ends in doubt: MariaDB frozen with
// SIGSTOP after the COMMIT decision, request_timeout_ms = 2000. The
// transfer exits 3 and stdout is one JSON document naming the gtrid, the
// outcome in_doubt, the reason and the exit code; recovery then commits it
// all, as that document promised.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "tests/crash/bank_view.h"
#include "tests/crash/checks.h"
#include "tests/crash/fault_scenario.h"
#include "tests/crash/test_node.h"

namespace xatm::crash {
namespace {

constexpr int kPauseMs = 500;
constexpr int kKillAfterMs = 30000;

class JsonInDoubtTest : public ServerFaultTest {};

TEST_F(JsonInDoubtTest, InDoubtTransferPrintsItsGtridAndExitsThree) {
  TestNode node(NewNodeId("jd"), NodeSettings{/*grace_period_s=*/10,
                                              "request_timeout_ms = 2000\n"});
  std::optional<TransferCase> tc;
  {
    // Its pooled connections must not meet the freeze.
    BankView bank;
    Result<TransferCase> made =
        NewTransferCase(bank, node.id(), "j", "pg", "my");
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    tc = *made;
  }
  std::vector<std::string> args = tc->CliArgs();
  args.push_back("--json");
  std::unique_ptr<Child> transfer = Child::Start(
      node.XatmCommand(args),
      {{"XATM_PAUSE_AT", "after-decision:" + std::to_string(kPauseMs)}});
  ASSERT_TRUE(transfer->WaitForStderr("xatm: paused at after-decision", 30000))
      << transfer->Wait(1000).Describe();
  ChildExit run;
  {
    Result<std::unique_ptr<ServerFault>> frozen = FrozenServer::Freeze("my");
    ASSERT_TRUE(frozen.ok()) << frozen.status().ToString();
    run = transfer->Wait(kKillAfterMs);
  }  // thawed
  ASSERT_TRUE(run.ExitedWith(3)) << run.Describe();

  ASSERT_EQ(run.out.find('\n'), run.out.size() - 1) << run.Describe();
  nlohmann::json doc = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << run.Describe();
  const std::string gtrid = doc.value("gtrid", "");
  EXPECT_TRUE(std::regex_match(
      gtrid, std::regex("xatm:" + node.id() +
                        ":[0-9]+:[0-9a-f]{16}(?::[a-z0-9]{1,9})?")))
      << run.out;
  EXPECT_EQ(doc["outcome"], "in_doubt") << run.out;
  EXPECT_EQ(doc["from"], tc->from.ToString());
  EXPECT_EQ(doc["to"], tc->to.ToString());
  EXPECT_EQ(doc["amount"], tc->amount.ToString());
  EXPECT_TRUE(doc["error"].is_string()) << run.out;
  EXPECT_EQ(doc["exit_code"], 3);

  BankView bank;
  WaitForServersToSettle(bank, node.id());
  RecoveryRuns recovery = RecoverUntilSettled(node, "1", 60000);
  EXPECT_TRUE(recovery.last.ExitedWith(0)) << recovery.last.Describe();
  ExpectOutcome(bank, *tc, gtrid, /*committed=*/true);
  ExpectNothingPrepared(bank, node.id());
}

}  // namespace
}  // namespace xatm::crash
