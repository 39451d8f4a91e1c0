#include "adapters/mysql/my_socket_lookup.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdlib>

namespace xatm {
namespace {

// The port of an IPv4 / IPv6 address; -1 for anything else.
int PortOf(const sockaddr_storage& addr) {
  if (addr.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in&>(addr).sin_port);
  }
  if (addr.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6&>(addr).sin6_port);
  }
  return -1;
}

bool Matches(int fd, int local_port, int peer_port) {
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return false;
  sockaddr_storage local{};
  sockaddr_storage peer{};
  socklen_t len = sizeof(local);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) {
    return false;
  }
  len = sizeof(peer);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) {
    return false;
  }
  return PortOf(local) == local_port && PortOf(peer) == peer_port;
}

}  // namespace

int FindTcpSocket(int local_port, int peer_port) {
  if (local_port <= 0 || peer_port <= 0) return -1;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  const int own = ::dirfd(dir);
  int found = -1;
  int matches = 0;
  while (dirent* entry = ::readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == own) continue;
    if (Matches(static_cast<int>(fd), local_port, peer_port)) {
      found = static_cast<int>(fd);
      ++matches;
    }
  }
  ::closedir(dir);
  return matches == 1 ? found : -1;
}

void EnableKeepalive(int fd, int idle_s) {
  if (fd < 0) return;
  int on = 1;
  int idle = idle_s > 0 ? idle_s : 60;
  int interval = 10;
  int count = 3;
  (void)::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval,
                     sizeof(interval));
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
}

}  // namespace xatm
