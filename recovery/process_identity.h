// Which process holds a node id, as a token that can prove it dead: the
// machine's boot, the pid namespace, the pid and the process's start time,
// read from /proc. Two containers with one host name (even both pid 1) have
// different tokens, and a token that is not of this boot and namespace
// proves nothing: only the heartbeat's age decides then.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace xatm {

struct ProcessIdentity {
  // A hash of the boot id and the pid namespace: equal only for processes
  // that see each other's pids in /proc.
  uint64_t space = 0;
  int64_t pid = 0;
  uint64_t start_ticks = 0;  // since boot (field 22 of /proc/PID/stat)

  // This process; nullopt when /proc cannot tell (not Linux, or a /proc of
  // another pid namespace).
  static std::optional<ProcessIdentity> Self();
  // Process `pid` as this process's /proc sees it, in this process's space;
  // nullopt when there is none (or /proc cannot tell).
  static std::optional<ProcessIdentity> OfPid(int64_t pid);
  // Reads a token written by ToToken(); nullopt for anything else (such as
  // a random instance written when /proc could not tell).
  static std::optional<ProcessIdentity> FromToken(const std::string& token);

  // At most 32 characters: the column xatm_nodes.instance.
  std::string ToToken() const;
  bool operator==(const ProcessIdentity& other) const {
    return space == other.space && pid == other.pid &&
           start_ticks == other.start_ticks;
  }
};

// Whether the process named by `token` is known to be gone: the token is of
// this boot and pid namespace, and its pid is free or now another process's
// (a different start time). False whenever that cannot be proven.
bool ProvenGone(const std::string& token);

}  // namespace xatm
