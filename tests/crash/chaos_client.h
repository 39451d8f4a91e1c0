// One client of the bank chaos run: a node of its own that runs `xatm
// transfer` processes one after another (random accounts in both
// databases, random direction, small amounts; half of them as sagas,
// `--protocol saga`), with an `xatm recover` now
// and then as a deployment's sweeper would, and records how each ended.
// Another thread may have its running transfer killed (SIGKILL) at any
// moment.
#pragma once

#include <atomic>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "cli/bank/account_ref.h"
#include "cli/bank/amount.h"
#include "tests/crash/test_node.h"

namespace xatm::crash {

struct ChaosAccounts {
  std::vector<AccountRef> pg;
  std::vector<AccountRef> my;
};

// How one process ended.
enum class ProcessEnd {
  kExited,  // see code
  kKilled,  // SIGKILL asked for by the chaos
  kHung,    // still running at the limit: killed by the client (a failure)
  kSignal,  // any other death (a failure)
};

struct TransferRecord {
  std::string gtrid;  // "" when it printed none (a saga's id for a saga)
  bool saga = false;  // run with --protocol saga
  AccountRef from;
  AccountRef to;
  Amount amount;
  ProcessEnd end = ProcessEnd::kExited;
  int code = -1;
  int64_t ms = 0;
  std::string output;  // stdout and stderr, for failure messages
};

struct RecoverRecord {
  ProcessEnd end = ProcessEnd::kExited;
  int code = -1;
  int64_t ms = 0;
  std::string output;
};

class ChaosClient {
 public:
  // A process still running after this is killed and counted as hung.
  static constexpr int kProcessLimitMs = 30000;
  // Every this-many-th process of a client is `xatm recover`.
  static constexpr int kRecoverEvery = 8;

  ChaosClient(unsigned seed, const ChaosAccounts& accounts,
              const NodeSettings& settings);

  // Until `stop`; on a thread of its own.
  void Run(const std::atomic<bool>& stop);

  // From another thread: SIGKILL the running transfer, if there is one.
  // True when one was running (it may still end by itself first).
  bool RequestKill();

  const TestNode& node() const { return node_; }
  // Read after Run() returned.
  const std::vector<TransferRecord>& transfers() const { return transfers_; }
  const std::vector<RecoverRecord>& recoveries() const { return recoveries_; }

 private:
  struct ProcessRun {
    ProcessEnd end;
    int code;
    int64_t ms;
    std::string out;
    std::string err;
  };
  ProcessRun RunProcess(const std::vector<std::string>& args, bool killable);
  TransferRecord RunTransfer();

  TestNode node_;
  const ChaosAccounts& accounts_;
  std::mt19937 rng_;
  std::atomic<bool> killable_running_{false};
  std::atomic<bool> kill_requested_{false};
  std::vector<TransferRecord> transfers_;
  std::vector<RecoverRecord> recoveries_;
};

}  // namespace xatm::crash
