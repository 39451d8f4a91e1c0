// One cross-database transfer that meets a server fault (a freeze, a black
// hole) during its work, its prepare or its commit, with every round trip
// bounded by request_timeout_ms = 2000. It must end within that bound plus
// 2 s of meeting the fault, with the exit code of the phase (work, prepare:
// 1, nothing changed; commit: 3, decided), and once the fault is over,
// recovery must leave it all or nothing, as the exit code and the decision
// log say.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "tests/crash/server_fault.h"
#include "xatm/status.h"

namespace xatm::crash {

enum class FaultPhase {
  kWork,     // the fault is in force before the transfer starts
  kPrepare,  // put in place while the transfer waits at before-prepare
  kCommit,   // put in place while the transfer waits at after-decision
  // A transfer within the victim's database (one branch, no prepare): put
  // in place at before-one-phase-commit. Its COMMIT may still be applied
  // when the server resumes, and the ledger cannot be read meanwhile: the
  // outcome is unknown (exit 5), bounded by two request timeouts (the
  // commit, then the ledger lookup that tries to settle it).
  kOnePhaseCommit,
};

// Puts a fault on server "pg" or "my".
using FaultStarter =
    std::function<Result<std::unique_ptr<ServerFault>>(const std::string&)>;

// The scenario on `victim`; its failures are gtest failures. A transfer
// that hangs is killed by the test after a bound: a failure, never a hang.
// `exit_code` overrides the phase's own when >= 0.
void TransferThroughFault(const FaultStarter& start_fault,
                          const std::string& victim, FaultPhase phase,
                          int exit_code = -1);

// Both servers continued and stale black holes of dead test processes
// removed before each test; both servers continued after it.
class ServerFaultTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  void SetUp() override;
  void TearDown() override;
};

}  // namespace xatm::crash
