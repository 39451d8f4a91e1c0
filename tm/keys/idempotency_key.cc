#include "xatm/idempotency_key.h"

namespace xatm {
namespace {

bool AllowedInKey(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' || c == '-';
}

}  // namespace

Status ValidateKeyText(const std::string& key) {
  bool valid = !key.empty() && key.size() <= 64;
  for (char c : key) valid = valid && AllowedInKey(c);
  if (valid) return Status::Ok();
  return Status::InvalidArgument(std::string("an idempotency key is ") +
                                 kIdempotencyKeyRule);
}

Status ValidateIdempotencyKey(const IdempotencyKey& key) {
  XATM_RETURN_IF_ERROR(ValidateKeyText(key.key));
  if (key.fingerprint.empty() ||
      key.fingerprint.size() > kMaxFingerprintBytes) {
    return Status::InvalidArgument(
        "the fingerprint of key " + key.key + " must be 1-" +
        std::to_string(kMaxFingerprintBytes) + " bytes");
  }
  return Status::Ok();
}

}  // namespace xatm
