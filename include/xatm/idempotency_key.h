/// @file
/// An idempotency key: the caller's name for one request, so that a retry
/// of the request (after a crash, a timeout, a lost answer) is recognised
/// and never runs twice.
#pragma once

#include <string>

#include "xatm/status.h"

namespace xatm {

/// What a key may be, as error messages state it.
inline constexpr char kIdempotencyKeyRule[] = "1-64 characters [A-Za-z0-9._:-]";
/// The longest fingerprint, in bytes (the tables' VARCHAR(1000)).
inline constexpr size_t kMaxFingerprintBytes = 1000;

/// A request's idempotency key and what the request was (see RunKeyed).
struct IdempotencyKey {
  /// The caller's name for the request: 1-64 characters [A-Za-z0-9._:-]
  /// (kIdempotencyKeyRule).
  std::string key;
  /// What the request was, in a canonical form: the same request always
  /// gives the same text, another request another text. A key seen again
  /// with another fingerprint is refused.
  std::string fingerprint;
};

/// InvalidArgument naming the rule when `key` is not 1-64 characters of
/// [A-Za-z0-9._:-] (the key itself is not repeated: it may hold anything).
Status ValidateKeyText(const std::string& key);
/// ValidateKeyText of the key, and InvalidArgument unless the fingerprint
/// is 1..kMaxFingerprintBytes bytes.
Status ValidateIdempotencyKey(const IdempotencyKey& key);

}  // namespace xatm
