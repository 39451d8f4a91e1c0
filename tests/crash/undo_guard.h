// A process that undoes a fault when the test ends it, or when the test
// program dies before it could (a failed run killed by the test runner, a
// crash): it sends SIGCONT to given pids and runs given commands once the
// pipe from the test closes, which happens at Undo() or at the test
// program's death. It detaches from the test's process tree (double fork,
// its own session), so a runner that kills the tree on a timeout spares it.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "xatm/status.h"

namespace xatm::crash {

class UndoGuard {
 public:
  // `commands`: argv vectors, argv[0] an absolute path, run in order.
  static Result<std::unique_ptr<UndoGuard>> Start(
      const std::vector<pid_t>& pids_to_continue,
      const std::vector<std::vector<std::string>>& commands);

  // Undoes now and waits (20 s at most) until it is done; idempotent.
  void Undo();
  ~UndoGuard() { Undo(); }
  UndoGuard(const UndoGuard&) = delete;
  UndoGuard& operator=(const UndoGuard&) = delete;

 private:
  UndoGuard(int trigger_fd, int done_fd)
      : trigger_fd_(trigger_fd), done_fd_(done_fd) {}

  int trigger_fd_;  // closing it starts the undo
  int done_fd_;     // readable (end of file) once the undo is done
};

}  // namespace xatm::crash
