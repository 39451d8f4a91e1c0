#include "adapters/mysql/tls_options.h"

namespace xatm::mysql {

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
  if (!config.ssl_ca.empty()) o["sslCA"] = sql::SQLString(config.ssl_ca);
  if (!config.ssl_cert.empty()) o["sslCert"] = sql::SQLString(config.ssl_cert);
  if (!config.ssl_key.empty()) o["sslKey"] = sql::SQLString(config.ssl_key);
  if (config.ssl_mode == SslMode::kVerifyIdentity) o["sslVerify"] = true;
}

MyStatus CheckEncrypted(const ResourceConfig& config,
                        const std::vector<Row>& rows) {
  if (rows.size() == 1 && rows[0].size() == 2 && rows[0][1] &&
      !rows[0][1]->empty()) {
    return MyStatus::Ok();
  }
  return MyStatus(MyError{
      errc::kCrSslConnectionError, "08004",
      "ssl_mode " + std::string(SslModeName(config.ssl_mode)) +
          ": the server at " + config.host + ":" + std::to_string(config.port) +
          " did not encrypt the session (no TLS on the server?); refused"});
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

}  // namespace xatm::mysql
