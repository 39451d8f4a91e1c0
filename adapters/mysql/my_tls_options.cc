#include "adapters/mysql/my_tls_options.h"

#include "adapters/mysql/my_tls_guard.h"

namespace xatm {

const char* SslModeName(SslMode mode) {
  switch (mode) {
    case SslMode::kDisabled:
      return "disabled";
    case SslMode::kRequired:
      return "required";
    case SslMode::kVerifyCa:
      return "verify_ca";
    case SslMode::kVerifyIdentity:
      return "verify_identity";
  }
  return "unknown";
}

void AddTlsOptions(const ResourceConfig& config,
                   sql::ConnectOptionsMap* options) {
  if (config.ssl_mode == SslMode::kDisabled) return;
  sql::ConnectOptionsMap& o = *options;
  o["sslEnforce"] = true;
  // The guard refuses a server without TLS before the handshake response,
  // and hands the library the password once the session is encrypted.
  o["defaultAuth"] = sql::SQLString(kTlsGuardPlugin);
  o["password"] = sql::SQLString("");
  if (!config.ssl_ca.empty()) o["sslCA"] = sql::SQLString(config.ssl_ca);
  if (!config.ssl_cert.empty()) o["sslCert"] = sql::SQLString(config.ssl_cert);
  if (!config.ssl_key.empty()) o["sslKey"] = sql::SQLString(config.ssl_key);
  if (config.ssl_mode == SslMode::kVerifyIdentity) o["sslVerify"] = true;
}

MyStatus CheckEncrypted(const ResourceConfig& config,
                        const std::string& cipher) {
  if (!cipher.empty()) return MyStatus::Ok();
  return MyStatus(MyError{
      my_errc::kCrSslConnectionError, "08004",
      "ssl_mode " + std::string(SslModeName(config.ssl_mode)) +
          ": the session to " + config.host + ":" +
          std::to_string(config.port) +
          " is not encrypted on this side (the server offered no TLS with "
          "plugin authentication); refused"});
}

std::string WithTlsContext(const ResourceConfig& config, std::string text) {
  if (config.ssl_mode == SslMode::kDisabled) return text;
  text += std::string(" (ssl_mode ") + SslModeName(config.ssl_mode);
  for (auto [key, path] : {std::pair{"ssl_ca", &config.ssl_ca},
                           std::pair{"ssl_cert", &config.ssl_cert},
                           std::pair{"ssl_key", &config.ssl_key}}) {
    if (!path->empty()) text += std::string(", ") + key + " " + *path;
  }
  return text + ")";
}

}  // namespace xatm
