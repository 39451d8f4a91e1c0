#include "tests/integration/tls_strip_relay.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace xatm::testing {
namespace {

// Capability flags of the MariaDB protocol.
constexpr uint32_t kClientSsl = 0x00000800;
constexpr uint32_t kClientSecureConnection = 0x00008000;
constexpr uint32_t kClientPluginAuth = 0x00080000;
constexpr uint32_t kClientLenencAuthData = 0x00200000;
constexpr char kComQuit = 0x01;
// The fixed head of a handshake response: what an SSLRequest carries.
constexpr size_t kResponseHead = 32;

// PostgreSQL request codes that come before a startup packet.
constexpr uint32_t kPgSslRequest = 80877103;
constexpr uint32_t kPgGssEncRequest = 80877104;

// A socket, or the TLS session on it.
struct Stream {
  int fd = -1;
  SSL* ssl = nullptr;

  bool Read(void* buf, size_t n) {
    auto* p = static_cast<char*>(buf);
    while (n > 0) {
      ssize_t r =
          ssl ? SSL_read(ssl, p, static_cast<int>(n)) : ::recv(fd, p, n, 0);
      if (r < 0 && !ssl && errno == EINTR) continue;
      if (r <= 0) return false;
      p += r;
      n -= static_cast<size_t>(r);
    }
    return true;
  }

  bool Write(const void* buf, size_t n) {
    const auto* p = static_cast<const char*>(buf);
    while (n > 0) {
      ssize_t r = ssl ? SSL_write(ssl, p, static_cast<int>(n))
                      : ::send(fd, p, n, MSG_NOSIGNAL);
      if (r < 0 && !ssl && errno == EINTR) continue;
      if (r <= 0) return false;
      p += r;
      n -= static_cast<size_t>(r);
    }
    return true;
  }
};

// One MariaDB packet: 3-byte length, sequence id, payload.
bool ReadPacket(Stream* s, uint8_t* seq, std::string* payload) {
  unsigned char head[4];
  if (!s->Read(head, 4)) return false;
  const size_t n = head[0] | (head[1] << 8) | (head[2] << 16);
  *seq = head[3];
  payload->resize(n);
  return n == 0 || s->Read(payload->data(), n);
}

bool WritePacket(Stream* s, uint8_t seq, const std::string& payload) {
  const size_t n = payload.size();
  std::string packet = {
      static_cast<char>(n & 0xff), static_cast<char>((n >> 8) & 0xff),
      static_cast<char>((n >> 16) & 0xff), static_cast<char>(seq)};
  packet += payload;
  return s->Write(packet.data(), packet.size());
}

uint32_t Le32(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) {
    v |= static_cast<uint32_t>(static_cast<unsigned char>(s[at + i]))
         << (8 * i);
  }
  return v;
}

uint32_t Be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | p[3];
}

// The auth data length in a handshake response; -1 when unreadable.
int AuthDataLength(const std::string& response) {
  if (response.size() < kResponseHead) return -1;
  const uint32_t caps = Le32(response, 0);
  size_t at = response.find('\0', kResponseHead);  // after the user name
  if (at == std::string::npos || ++at >= response.size()) return -1;
  const auto first = static_cast<unsigned char>(response[at]);
  if (caps & (kClientLenencAuthData | kClientSecureConnection)) {
    return first < 0xfb ? first : -1;  // auth data is short
  }
  size_t end = response.find('\0', at);
  return end == std::string::npos ? -1 : static_cast<int>(end - at);
}

int ConnectLoopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 &&
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Relays one MariaDB session as the header says, noting what the client
// sent in `seen`. Empty when the session ran to its end (or the client left
// early), else what went wrong.
std::string RelayMysql(Stream* c, Stream* s, SSL* ssl,
                       const TlsStripRelay::Options& options,
                       TlsStripRelay::Seen* seen) {
  // The greeting, with TLS (and plugin authentication) hidden.
  uint8_t seq = 0;
  std::string packet;
  if (!ReadPacket(s, &seq, &packet)) return "no greeting";
  size_t caps_at = packet.find('\0', 1);  // after the server version
  if (caps_at == std::string::npos || caps_at + 19 > packet.size()) {
    return "short greeting";
  }
  caps_at += 1 + 4 + 8 + 1;  // thread id, scramble head, filler
  packet[caps_at + 1] &= static_cast<char>(~(kClientSsl >> 8));
  if (options.strip_plugin_auth) {
    // As an old server: no flag, and no plugin name after the scramble
    // (flags 2, charset 1, status 2, flags 2, length 1, reserved 10, then
    // the scramble's second part, 12 bytes and a NUL).
    packet[caps_at + 5] &= static_cast<char>(~(kClientPluginAuth >> 16));
    if (packet.size() < caps_at + 31) return "short greeting";
    packet.resize(caps_at + 31);
  }
  if (!WritePacket(c, seq, packet)) return "";

  // A client that refuses sends nothing more.
  std::string response;
  if (!ReadPacket(c, &seq, &response)) return "";
  seen->auth_data_length = AuthDataLength(response);
  ++seen->logins;
  if (options.forge_login) {
    // An OK (no rows, autocommit) to the login and to every command.
    const std::string ok("\x00\x00\x00\x02\x00\x00\x00", 7);
    if (!WritePacket(c, static_cast<uint8_t>(seq + 1), ok)) return "";
    for (;;) {
      if (!ReadPacket(c, &seq, &packet)) return "";
      if (!packet.empty() && packet[0] == kComQuit) return "";
      ++seen->commands;
      if (!WritePacket(c, static_cast<uint8_t>(seq + 1), ok)) return "";
    }
  }
  if (response.size() < kResponseHead) return "short handshake response";
  response[1] |= static_cast<char>(kClientSsl >> 8);

  // The relay's own TLS session to the server.
  if (!WritePacket(s, 1, response.substr(0, kResponseHead))) return "";
  if (SSL_connect(ssl) != 1) return "SSL_connect to the server failed";
  s->ssl = ssl;
  if (!WritePacket(s, 2, response)) return "";

  // The auth phase: the server's sequence ids run one ahead of the
  // client's until its OK or ERR.
  for (;;) {
    if (!ReadPacket(s, &seq, &packet)) return "";
    if (!WritePacket(c, static_cast<uint8_t>(seq - 1), packet)) return "";
    if (!packet.empty() && (packet[0] == '\x00' || packet[0] == '\xff')) break;
    if (!ReadPacket(c, &seq, &packet)) return "";
    if (!WritePacket(s, static_cast<uint8_t>(seq + 1), packet)) return "";
  }

  // Then bytes both ways until either side leaves.
  char buf[16384];
  for (;;) {
    pollfd fds[2] = {{c->fd, POLLIN, 0}, {s->fd, POLLIN, 0}};
    if (SSL_pending(ssl) == 0 && ::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return std::string("poll: ") + std::strerror(errno);
    }
    if (SSL_pending(ssl) > 0 || fds[1].revents != 0) {
      int n = SSL_read(ssl, buf, sizeof(buf));
      if (n <= 0 || !c->Write(buf, static_cast<size_t>(n))) return "";
    }
    if (fds[0].revents != 0) {
      ssize_t n = ::recv(c->fd, buf, sizeof(buf), 0);
      if (n <= 0 || !s->Write(buf, static_cast<size_t>(n))) return "";
    }
  }
}

}  // namespace

TlsStripRelay::TlsStripRelay(Options options) : options_(options) {
  // SSL_write to a peer that left must fail, not kill the test.
  ::signal(SIGPIPE, SIG_IGN);
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (listen_fd_ < 0 ||
      ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) !=
          0 ||
      ::listen(listen_fd_, 8) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) !=
          0) {
    throw std::runtime_error(std::string("relay: listen: ") +
                             std::strerror(errno));
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

TlsStripRelay::~TlsStripRelay() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  for (std::atomic<int>* fd : {&client_fd_, &server_fd_}) {
    int v = fd->load();
    if (v >= 0) ::shutdown(v, SHUT_RDWR);
  }
  thread_.join();
  ::close(listen_fd_);
}

bool TlsStripRelay::WaitForClients(int n,
                                   std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return served_.wait_for(lock, timeout, [&] { return clients_ >= n; });
}

std::string TlsStripRelay::last_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

void TlsStripRelay::Fail(const std::string& what) {
  std::lock_guard<std::mutex> lock(mu_);
  error_ = what;
}

void TlsStripRelay::Serve() {
  while (!stopping_) {
    int client = ::accept(listen_fd_, nullptr, nullptr);
    if (client < 0) {
      if (errno == EINTR) continue;
      return;  // shut down
    }
    client_fd_ = client;
    if (options_.protocol == Protocol::kMysql) {
      ServeMysql(client);
    } else {
      ServePostgres(client);
    }
    client_fd_ = -1;
    ::close(client);
    std::lock_guard<std::mutex> lock(mu_);
    ++clients_;
    served_.notify_all();
  }
}

void TlsStripRelay::ServePostgres(int client) {
  Stream c{client};
  for (;;) {
    unsigned char head[8];
    if (!c.Read(head, 8)) return;  // the client left
    const uint32_t length = Be32(head);
    const uint32_t code = Be32(head + 4);
    if (length == 8 && (code == kPgSslRequest || code == kPgGssEncRequest)) {
      if (!c.Write("N", 1)) return;  // "no TLS here"
      continue;
    }
    ++seen_.logins;  // a startup packet: user and database in plaintext
    return;
  }
}

void TlsStripRelay::ServeMysql(int client) {
  int server_fd = ConnectLoopback(options_.server_port);
  if (server_fd < 0) return Fail("cannot reach the server");
  server_fd_ = server_fd;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(
      SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
  SSL_set_fd(ssl.get(), server_fd);
  Stream c{client};
  Stream s{server_fd};
  std::string error = RelayMysql(&c, &s, ssl.get(), options_, &seen_);
  if (!error.empty()) Fail(error);
  if (s.ssl != nullptr) SSL_shutdown(ssl.get());
  server_fd_ = -1;
  ::close(server_fd);
}

}  // namespace xatm::testing
