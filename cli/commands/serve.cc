// xatm serve
#include "cli/command_line.h"
#include "cli/commands/commands.h"
#include "cli/serve/recovery_service.h"
#include "cli/serve/stop_signal.h"

namespace xatm {
namespace {

int Run(const Invocation& invocation) {
  CommandSpec spec(
      "serve",
      "Runs recovery as a service: a sweep at start-up, then one every\n"
      "sweep_interval (as `xatm recover` does, with the config's\n"
      "grace_period), until SIGTERM or SIGINT; the sweep under way is\n"
      "finished first, a second signal stops at once (safe: every step of a\n"
      "sweep is crash-safe). With decision_store = file the log directory is\n"
      "held only during a sweep, so the node's transfer, recover, in-doubt\n"
      "and resolve run next to the service (they wait up to log_lock_wait\n"
      "for a sweep to end). With a database decision_store the node keeps\n"
      "its row in xatm_nodes fresh every heartbeat_interval, refuses to\n"
      "start while another live process holds its node id, and takes over\n"
      "(resolves the transactions of) nodes silent for takeover_after.\n"
      "Logs on stderr, at info level unless\n"
      "--log-level says otherwise: a line per sweep that found something.\n"
      "Exit 0 after a stop, 1 when it cannot start (no log, another node's\n"
      "log, the decision store unreachable, the node id in use) or when\n"
      "another process took its node id while it was silent (it stops\n"
      "sweeping at once), 2 for bad usage.");
  spec.default_log_level = "info";
  return RunCommand(invocation, spec, [](CommandContext& ctx) {
    // Before any thread starts: every thread then leaves the signals to it.
    StopSignal stop;
    Result<std::unique_ptr<RecoveryService>> service =
        RecoveryService::Open(ctx.config());
    if (!service.ok()) {
      return ctx.Fail(kExitFailed,
                      "cannot start: " + service.status().ToString());
    }
    Status ran = (*service)->Run(stop);
    if (!ran.ok()) {
      return ctx.Fail(kExitFailed,
                      ((*service)->started() ? "stopped: " : "cannot start: ") +
                          ran.ToString());
    }
    return static_cast<int>(kExitOk);
  });
}

}  // namespace

Command ServeCommand() {
  return {"serve", "Run recovery as a service: a sweep every sweep_interval",
          &Run};
}

}  // namespace xatm
