// A database cut off by a black hole (every packet to and from its port on
// loopback dropped: no answer, no ACK, no reset) during the work, the
// prepare or the commit of a cross-database transfer. With
// request_timeout_ms = 2000 the transfer ends within 4 s of meeting it:
// work and prepare exit 1, commit exits 3. Once the rule is gone, recovery
// leaves it all or nothing as the exit code promised. Skipped where no
// firewall rule can be made (not root, no nftables or iptables).
#include <gtest/gtest.h>

#include "tests/crash/fault_scenario.h"
#include "tests/crash/scenario_tally.h"

namespace xatm::crash {
namespace {

class BlackHoleTest : public ServerFaultTest {
 protected:
  void SetUp() override {
    Status available = BlackHole::Available();
    if (!available.ok()) {
      GTEST_SKIP() << "no black hole possible here: " << available.ToString();
    }
    ServerFaultTest::SetUp();
  }

  static void Run(const std::string& victim, FaultPhase phase,
                  const std::string& name) {
    Scenario scenario(name);
    TransferThroughFault(&BlackHole::Open, victim, phase);
  }
};

TEST_F(BlackHoleTest, PostgresCutOffBeforeTheWorkAbortsWithinTheTimeout) {
  Run("pg", FaultPhase::kWork, "black hole pg before the work");
}

TEST_F(BlackHoleTest, MariadbCutOffBeforeTheWorkAbortsWithinTheTimeout) {
  Run("my", FaultPhase::kWork, "black hole my before the work");
}

TEST_F(BlackHoleTest, PostgresCutOffAtThePrepareAbortsWithinTheTimeout) {
  Run("pg", FaultPhase::kPrepare, "black hole pg at before-prepare");
}

TEST_F(BlackHoleTest, MariadbCutOffAtThePrepareAbortsWithinTheTimeout) {
  Run("my", FaultPhase::kPrepare, "black hole my at before-prepare");
}

TEST_F(BlackHoleTest, PostgresCutOffAtTheCommitIsInDoubtWithinTheTimeout) {
  Run("pg", FaultPhase::kCommit, "black hole pg at after-decision");
}

TEST_F(BlackHoleTest, MariadbCutOffAtTheCommitIsInDoubtWithinTheTimeout) {
  Run("my", FaultPhase::kCommit, "black hole my at after-decision");
}

}  // namespace
}  // namespace xatm::crash
