#include "adapters/mysql/my_tls_guard.h"

#include <mysql.h>
#include <mysql/plugin_auth.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace xatm {

struct TlsGuardAccess {
  static const std::string& password(const MyTlsGuardScope& scope) {
    return scope.password_;
  }
  static void set_cipher(MyTlsGuardScope* scope, const char* cipher) {
    scope->cipher_ = cipher;
  }
};

namespace {

// The connect in progress on this thread, if it is a TLS one.
thread_local MyTlsGuardScope* current_scope = nullptr;

// The 0xFE first byte of the server's request to switch plugins.
constexpr unsigned char kAuthSwitch = 254;

std::string Peer(const MYSQL* mysql) {
  return std::string(mysql->host != nullptr ? mysql->host : "?") + ":" +
         std::to_string(mysql->port);
}

// CR_ERROR with the error recorded in `mysql`, as the plugin API asks.
int Refuse(MYSQL* mysql, const std::string& why) {
  mysql->net.last_errno = my_errc::kCrSslConnectionError;
  std::snprintf(mysql->net.last_error, sizeof(mysql->net.last_error), "%s",
                why.c_str());
  std::snprintf(mysql->net.sqlstate, sizeof(mysql->net.sqlstate), "%s",
                "08004");
  return CR_ERROR;
}

int Authenticate(MYSQL_PLUGIN_VIO* vio, MYSQL* mysql) {
  MyTlsGuardScope* scope = current_scope;
  if (scope == nullptr) {
    return Refuse(mysql, std::string(kTlsGuardPlugin) +
                             ": no TLS connect expected on this thread");
  }
  // The greeting is all that came so far: nothing was sent.
  if ((mysql->server_capabilities & CLIENT_SSL) == 0) {
    return Refuse(mysql, "the server at " + Peer(mysql) +
                             " offers no TLS; refused before logging in");
  }
  // The library starts TLS (and checks the certificate as configured),
  // then sends the handshake response, without auth data, over it. The
  // server asks to switch to the user's plugin: a failed read here, which
  // the library then runs.
  unsigned char* packet = nullptr;
  const int length = vio->read_packet(vio, &packet);
  if (mysql->net.last_errno != 0) return CR_ERROR;  // the library's error
  const char* cipher = mysql_get_ssl_cipher(mysql);
  if (cipher == nullptr || *cipher == '\0') {
    return Refuse(
        mysql, "the session to " + Peer(mysql) + " is not encrypted; refused");
  }
  TlsGuardAccess::set_cipher(scope, cipher);
  char* password = strdup(TlsGuardAccess::password(*scope).c_str());
  if (password == nullptr) return Refuse(mysql, "out of memory");
  std::free(mysql->passwd);  // the library's strdup of the empty password
  mysql->passwd = password;
  if (length < 0 && mysql->net.read_pos[0] == kAuthSwitch) return CR_ERROR;
  if (length >= 0 && mysql->net.read_pos[0] == 0) {
    return CR_OK_HANDSHAKE_COMPLETE;  // an OK: the user needs no password
  }
  return Refuse(mysql, "the server at " + Peer(mysql) +
                           " answered the login unexpectedly; refused");
}

// An authentication plugin: the common plugin header, then its entry point.
// Declared here: Debian 12's <mysql/client_plugin.h> includes a header its
// package does not ship (ma_compress.h).
struct AuthPlugin : st_mysql_client_plugin {
  int (*authenticate_user)(MYSQL_PLUGIN_VIO* vio, MYSQL* mysql);
};
static_assert(sizeof(AuthPlugin) ==
              sizeof(st_mysql_client_plugin) + sizeof(void*));
constexpr int kAuthenticationPlugin = 2;  // MYSQL_CLIENT_AUTHENTICATION_PLUGIN
constexpr unsigned int kAuthenticationInterface = 0x0100;

AuthPlugin guard_plugin = {
    {kAuthenticationPlugin,
     kAuthenticationInterface,
     kTlsGuardPlugin,
     "xatm",
     "Refuses a server without TLS before logging in",
     {1, 0, 0},
     "see xatm",
     nullptr,
     nullptr,
     nullptr,
     nullptr},
    Authenticate,
};

MyStatus Register() {
  // Any handle serves: the registry is the library's, process-wide.
  MYSQL* handle = mysql_init(nullptr);
  if (handle == nullptr) {
    return MyStatus(
        MyError{0, "HY000", "TLS guard: the client library is unusable"});
  }
  MyStatus s;
  if (mysql_client_register_plugin(handle, &guard_plugin) == nullptr) {
    s = MyStatus(
        MyError{0, "HY000",
                std::string("TLS guard: registering the client plugin: ") +
                    mysql_error(handle)});
  }
  mysql_close(handle);
  return s;
}

}  // namespace

MyStatus RegisterTlsGuard() {
  // Once, thread-safe; never destroyed (connects may run during exit).
  static const MyStatus* const result = new MyStatus(Register());
  return *result;
}

MyTlsGuardScope::MyTlsGuardScope(const std::string& password)
    : password_(password), outer_(current_scope) {
  current_scope = this;
}

MyTlsGuardScope::~MyTlsGuardScope() { current_scope = outer_; }

}  // namespace xatm
