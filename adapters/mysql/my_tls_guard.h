// Refuses a MariaDB / MySQL server that offers no TLS before anything that
// logs in is sent, judged on the client's own side of the connection.
//
// libmariadb refuses such a server by itself only when the host name is
// verified (my_tls_options.h); otherwise it sends the handshake response (the
// user name and the password's hash) in plaintext. So in every TLS mode
// the adapter makes its own client authentication plugin the default one
// (connect option "defaultAuth"). libmariadb runs the default plugin
// before it writes the handshake response, with the greeting's capability
// flags at hand:
//  - no CLIENT_SSL in the greeting: the plugin refuses, nothing is sent;
//  - else it lets the library start TLS and send the handshake response
//    over it (no auth data: the server then switches to the user's own
//    plugin, mysql_native_password, one round trip more), and checks the
//    client's own TLS state.
// The driver is given no password in TLS modes: the plugin hands it to the
// library once the session is encrypted. A greeting without plugin
// authentication makes libmariadb skip the default plugin: its response
// then carries the user name and nothing of the password, Connector/C++
// sends its own set-up statements on a session so opened, and the adapter
// refuses the connect before any statement of its own (the plugin saw no
// TLS).
//
// The client library's plugin registry is process-wide (Connector/C++ and
// this adapter share libmariadb.so.3); the state of a connect is
// per-thread, as connects run on the calling thread.
#pragma once

#include <string>

#include "adapters/mysql/my_error.h"

namespace xatm {

// The plugin's name (the connect option "defaultAuth").
inline constexpr char kTlsGuardPlugin[] = "xatm_tls_guard";

// Registers the plugin with the client library, once per process; later
// calls return the first answer.
MyStatus RegisterTlsGuard();

// While alive, connects on this thread go through the guard, which hands
// `password` to the client library once the session is encrypted. Nests.
class MyTlsGuardScope {
 public:
  explicit MyTlsGuardScope(const std::string& password);
  ~MyTlsGuardScope();
  MyTlsGuardScope(const MyTlsGuardScope&) = delete;
  MyTlsGuardScope& operator=(const MyTlsGuardScope&) = delete;

  // The cipher of the connect's TLS session as the client's own TLS layer
  // reports it; empty when the guard did not see an encrypted session.
  const std::string& cipher() const { return cipher_; }

 private:
  friend struct TlsGuardAccess;
  const std::string& password_;
  std::string cipher_;
  MyTlsGuardScope* outer_;
};

}  // namespace xatm
