// A man in the middle that downgrades TLS, for tests: it tells the client
// the server has no TLS and speaks TLS to the real server itself, so the
// server sees an encrypted session while the client's travels in
// plaintext. A client passes only if it refuses before sending anything
// that logs in.
//
// MariaDB: the relay clears CLIENT_SSL (and, if asked, CLIENT_PLUGIN_AUTH)
// in the server's greeting; a handshake response from the client is
// counted, then carried to the server over TLS (an SSLRequest first, the
// auth phase's sequence ids shifted by one) and the rest pumped both ways;
// or, if asked, answered by the relay itself.
// PostgreSQL: the relay answers 'N' to the SSLRequest, as a server without
// TLS does, and counts any startup packet that follows.
//
// Clients are served one at a time on the relay's own thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace xatm::testing {

class TlsStripRelay {
 public:
  enum class Protocol { kMysql, kPostgres };
  struct Options {
    Protocol protocol = Protocol::kMysql;
    int server_port = 0;  // the real server on 127.0.0.1
    // MariaDB: also hide plugin authentication (the client then answers
    // the greeting with its handshake response right away).
    bool strip_plugin_auth = false;
    // MariaDB: answer the handshake response with an OK of the relay's own
    // instead of logging in to the server, and every later command too.
    bool forge_login = false;
  };

  explicit TlsStripRelay(Options options);
  ~TlsStripRelay();
  TlsStripRelay(const TlsStripRelay&) = delete;
  TlsStripRelay& operator=(const TlsStripRelay&) = delete;

  // What reached the relay from clients.
  struct Seen {
    // MariaDB handshake responses, PostgreSQL startup packets.
    std::atomic<int> logins{0};
    // The auth data length of the last MariaDB handshake response (-1:
    // none).
    std::atomic<int> auth_data_length{-1};
    // MariaDB commands after a forged login, COM_QUIT aside.
    std::atomic<int> commands{0};
  };

  // 127.0.0.1:port() reaches the relay.
  int port() const { return port_; }
  const Seen& seen() const { return seen_; }
  // Waits until `n` clients were served to the end; false after `timeout`.
  bool WaitForClients(int n, std::chrono::milliseconds timeout) const;
  // The last failure on the relay's side, for diagnostics.
  std::string last_error() const;

 private:
  void Serve();
  void ServeMysql(int client);
  void ServePostgres(int client);
  void Fail(const std::string& what);

  Options options_;
  int listen_fd_ = -1;
  int port_ = 0;
  Seen seen_;
  std::atomic<bool> stopping_{false};
  // The sockets of the client being served, shut down by the destructor.
  std::atomic<int> client_fd_{-1};
  std::atomic<int> server_fd_{-1};
  mutable std::mutex mu_;
  mutable std::condition_variable served_;
  int clients_ = 0;    // guarded by mu_
  std::string error_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace xatm::testing
