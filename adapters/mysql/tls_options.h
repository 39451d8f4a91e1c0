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
// So the driver enforces verify_identity on its own, and "required" and
// "verify_ca" only against a server that offers TLS: after every connect in
// those modes the adapter asks the session for its cipher (Ssl_cipher) and
// refuses a plaintext session itself (CheckEncrypted). By then the library
// has logged in over plaintext (mysql_native_password sends a hash of the
// password salted with the server's challenge, never the password itself);
// only verify_identity refuses before logging in. A CA given with
// "required" makes the library check the chain, as in verify_ca.
#pragma once

#include <cppconn/connection.h>

#include <string>
#include <vector>

#include "adapters/mysql/my_error.h"
#include "xatm/resource_config.h"
#include "xatm/resource.h"

namespace xatm::mysql {

// "disabled", "required", "verify_ca", "verify_identity".
const char* SslModeName(SslMode mode);

// The connect options of config's TLS settings (none when disabled).
void AddTlsOptions(const ResourceConfig& config,
                   sql::ConnectOptionsMap* options);

// The session's cipher: one row ('Ssl_cipher', NAME), NAME empty without
// TLS.
inline constexpr char kSslCipherSql[] = "SHOW SESSION STATUS LIKE 'Ssl_cipher'";

// OK when the session is encrypted (a cipher in `rows`, the answer to
// kSslCipherSql); an error naming the resource and its ssl_mode otherwise.
MyStatus CheckEncrypted(const ResourceConfig& config,
                        const std::vector<Row>& rows);

// A connect error text with the TLS settings that may explain it ("No such
// file or directory" does not say which file). Paths only, never contents.
std::string WithTlsContext(const ResourceConfig& config, std::string text);

}  // namespace xatm::mysql
