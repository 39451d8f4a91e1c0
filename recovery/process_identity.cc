#include "recovery/process_identity.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace xatm {
namespace {

// FNV-1a, 64 bits: stable across builds, unlike std::hash.
uint64_t Fnv1a(const std::string& text) {
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

// 48 bits of the hash: the token must fit 32 characters.
constexpr uint64_t kSpaceMask = (uint64_t{1} << 48) - 1;

std::optional<uint64_t> ThisSpace() {
  std::ifstream boot("/proc/sys/kernel/random/boot_id");
  std::string boot_id;
  if (!(boot >> boot_id)) return std::nullopt;
  struct stat ns {};
  if (stat("/proc/self/ns/pid", &ns) != 0) return std::nullopt;
  return Fnv1a(boot_id + "/" + std::to_string(ns.st_dev) + "/" +
               std::to_string(ns.st_ino)) &
         kSpaceMask;
}

// The pid and start time in /proc/PATH/stat; nullopt with errno ENOENT when
// there is no such process.
std::optional<std::pair<int64_t, uint64_t>> ReadStat(const std::string& path) {
  std::ifstream file("/proc/" + path + "/stat");
  if (!file) return std::nullopt;
  std::string line;
  std::getline(file, line);
  // The command name is in parentheses and may hold anything: fields
  // after it are counted from the last ')'.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  int64_t pid = 0;
  if (std::sscanf(line.c_str(), "%" SCNd64, &pid) != 1) return std::nullopt;
  std::istringstream rest(line.substr(close + 1));
  std::string field;
  // Fields 3 (state) to 21, then 22: starttime.
  for (int i = 3; i <= 21; ++i) {
    if (!(rest >> field)) return std::nullopt;
  }
  uint64_t start = 0;
  if (!(rest >> start)) return std::nullopt;
  return std::make_pair(pid, start);
}

}  // namespace

std::optional<ProcessIdentity> ProcessIdentity::Self() {
  std::optional<uint64_t> space = ThisSpace();
  std::optional<std::pair<int64_t, uint64_t>> stat = ReadStat("self");
  // A /proc mounted for another pid namespace shows this process under
  // another pid: the pids it lists are not ours to judge.
  if (!space || !stat || stat->first != static_cast<int64_t>(getpid())) {
    return std::nullopt;
  }
  return ProcessIdentity{*space, stat->first, stat->second};
}

std::optional<ProcessIdentity> ProcessIdentity::OfPid(int64_t pid) {
  std::optional<ProcessIdentity> self = Self();
  if (!self || pid <= 0) return std::nullopt;
  std::optional<std::pair<int64_t, uint64_t>> stat =
      ReadStat(std::to_string(pid));
  if (!stat) return std::nullopt;
  return ProcessIdentity{self->space, pid, stat->second};
}

std::optional<ProcessIdentity> ProcessIdentity::FromToken(
    const std::string& token) {
  ProcessIdentity id;
  uint64_t pid = 0;
  int used = 0;
  if (std::sscanf(token.c_str(), "p%12" SCNx64 "-%" SCNx64 "-%" SCNx64 "%n",
                  &id.space, &pid, &id.start_ticks, &used) != 3 ||
      static_cast<size_t>(used) != token.size() || pid == 0) {
    return std::nullopt;
  }
  id.pid = static_cast<int64_t>(pid);
  return id;
}

std::string ProcessIdentity::ToToken() const {
  char text[64];
  std::snprintf(text, sizeof(text), "p%012" PRIx64 "-%" PRIx64 "-%" PRIx64,
                space, static_cast<uint64_t>(pid), start_ticks);
  return text;
}

bool ProvenGone(const std::string& token) {
  std::optional<ProcessIdentity> holder = ProcessIdentity::FromToken(token);
  std::optional<ProcessIdentity> self = ProcessIdentity::Self();
  if (!holder || !self || holder->space != self->space) return false;
  errno = 0;
  std::optional<ProcessIdentity> now = ProcessIdentity::OfPid(holder->pid);
  if (now) return now->start_ticks != holder->start_ticks;
  // No such pid in this namespace; any other failure proves nothing.
  struct stat st {};
  return stat(("/proc/" + std::to_string(holder->pid)).c_str(), &st) != 0 &&
         errno == ENOENT;
}

}  // namespace xatm
