// Finds the file descriptor of one of this process's TCP connections by its
// ports. Connector/C++ 1.1 does not expose the socket of a connection; the
// server tells the client port (information_schema.PROCESSLIST.HOST), and
// the descriptor is the one socket with that local port and the server's
// port as its peer's (Linux: /proc/self/fd).
#pragma once

namespace xatm {

// The descriptor, or -1 when there is not exactly one such socket (say the
// connection runs through a proxy, so the server saw another port).
int FindTcpSocket(int local_port, int peer_port);

// TCP keepalive on `fd` (probes after `idle_s` of silence), so a dead peer
// is noticed on an idle connection too. Best effort.
void EnableKeepalive(int fd, int idle_s);

}  // namespace xatm
