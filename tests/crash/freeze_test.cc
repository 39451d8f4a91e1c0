// A database frozen with SIGSTOP (the server keeps its TCP connections:
// the kernel still ACKs, nothing answers) during the work, the prepare or
// the commit of a cross-database transfer. With request_timeout_ms = 2000
// the transfer ends within 4 s of meeting the freeze: work and prepare
// exit 1 (a timeout before the decision is a no vote), commit exits 3 (the
// decision is durable; recovery finishes the frozen branch). After SIGCONT,
// recovery leaves it all or nothing as the exit code promised.
#include <gtest/gtest.h>

#include "tests/crash/fault_scenario.h"
#include "tests/crash/scenario_tally.h"

namespace xatm::crash {
namespace {

class FreezeTest : public ServerFaultTest {
 protected:
  static void Run(const std::string& victim, FaultPhase phase,
                  const std::string& name, int exit_code = -1) {
    Scenario scenario(name);
    TransferThroughFault(&FrozenServer::Freeze, victim, phase, exit_code);
  }
};

TEST_F(FreezeTest, PostgresFrozenBeforeTheWorkAbortsWithinTheTimeout) {
  Run("pg", FaultPhase::kWork, "freeze pg before the work");
}

TEST_F(FreezeTest, MariadbFrozenBeforeTheWorkAbortsWithinTheTimeout) {
  Run("my", FaultPhase::kWork, "freeze my before the work");
}

TEST_F(FreezeTest, PostgresFrozenAtThePrepareAbortsWithinTheTimeout) {
  Run("pg", FaultPhase::kPrepare, "freeze pg at before-prepare");
}

TEST_F(FreezeTest, MariadbFrozenAtThePrepareAbortsWithinTheTimeout) {
  Run("my", FaultPhase::kPrepare, "freeze my at before-prepare");
}

TEST_F(FreezeTest, PostgresFrozenAtTheCommitIsInDoubtWithinTheTimeout) {
  Run("pg", FaultPhase::kCommit, "freeze pg at after-decision");
}

TEST_F(FreezeTest, MariadbFrozenAtTheCommitIsInDoubtWithinTheTimeout) {
  Run("my", FaultPhase::kCommit, "freeze my at after-decision");
}

TEST_F(FreezeTest, PostgresFrozenAtAOnePhaseCommitIsAnUnknownOutcome) {
  Run("pg", FaultPhase::kOnePhaseCommit, "freeze pg at a one-phase commit");
}

// MariaDB ends the branch with XA END in a round trip of its own before
// XA COMMIT ... ONE PHASE: that is the one to meet the freeze, nothing was
// committed, and the server rolls back the branch of the closed session.
// The truth is "aborted" (exit 1), not "unknown".
TEST_F(FreezeTest, MariadbFrozenAtAOnePhaseCommitAbortsBeforeItsCommit) {
  Run("my", FaultPhase::kOnePhaseCommit, "freeze my at a one-phase commit",
      /*exit_code=*/1);
}

}  // namespace
}  // namespace xatm::crash
