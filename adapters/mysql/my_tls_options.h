// TLS for MariaDB / MySQL connections (ResourceConfig::ssl_mode).
//
// Connector/C++ 1.1.12 over libmariadb (Connector/C 3.3), measured against
// MariaDB 10.11 with and without TLS:
//  - OPT_SSL_MODE is accepted and ignored: "required" connected in
//    plaintext to a server with TLS on.
//  - sslEnforce starts TLS when the server offers it, but connects in
//    plaintext to a server without TLS.
//  - sslCA makes the library check the certificate chain (a wrong CA is
//    refused, error 2026) but not the host name, and it too connects in
//    plaintext to a server without TLS.
//  - sslVerify checks the chain (against sslCA, else the default CAs) and
//    the host name, and refuses a server without TLS.
// So in required and verify_ca the library logs in over plaintext to a
// peer that offers no TLS, and a relay that speaks TLS to the real server
// passes any check that asks the server (Ssl_cipher). Every TLS mode
// therefore logs in through the adapter's client authentication plugin
// (my_tls_guard.h): a greeting without TLS is refused before anything is
// sent, the library gets the password only once the client's own TLS layer
// holds a session, and after the connect the adapter checks that the
// plugin saw one (CheckEncrypted). A CA given with "required" makes the
// library check the chain, as in verify_ca.
#pragma once

#include <cppconn/connection.h>

#include <string>

#include "adapters/mysql/my_error.h"
#include "xatm/resource.h"
#include "xatm/resource_config.h"

namespace xatm {

// "disabled", "required", "verify_ca", "verify_identity".
const char* SslModeName(SslMode mode);

// The connect options of config's TLS settings (none when disabled).
void AddTlsOptions(const ResourceConfig& config,
                   sql::ConnectOptionsMap* options);

// OK when the session is encrypted: `cipher`, as the client's own TLS layer
// saw it at login (MyTlsGuardScope::cipher()), is not empty. Otherwise an
// error naming the server and the ssl_mode. Never the server's word: a
// relay can speak TLS to the server and plaintext to us.
MyStatus CheckEncrypted(const ResourceConfig& config,
                        const std::string& cipher);

// A connect error text with the TLS settings that may explain it ("No such
// file or directory" does not say which file). Paths only, never contents.
std::string WithTlsContext(const ResourceConfig& config, std::string text);

}  // namespace xatm
