#include "adapters/mysql/my_xid_literal.h"

namespace xatm {
namespace {

bool IsSafeXaChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == ':' || c == '-';
}

}  // namespace

bool IsSafeXaId(std::string_view id) {
  if (id.empty() || id.size() > kMaxXaIdLength) return false;
  for (char c : id) {
    if (!IsSafeXaChar(c)) return false;
  }
  return true;
}

Result<std::string> XidLiteral(std::string_view gtrid, std::string_view bqual,
                               int format_id) {
  // The refused value is not echoed: it may be anything, including quotes.
  if (!IsSafeXaId(gtrid)) {
    return Status::InvalidArgument(
        "XA gtrid must be 1 to 64 characters of [A-Za-z0-9_:-]");
  }
  if (!IsSafeXaId(bqual)) {
    return Status::InvalidArgument(
        "XA bqual must be 1 to 64 characters of [A-Za-z0-9_:-]");
  }
  std::string s;
  s.reserve(gtrid.size() + bqual.size() + 20);
  s += '\'';
  s += gtrid;
  s += "','";
  s += bqual;
  s += "',";
  s += std::to_string(format_id);
  return s;
}

}  // namespace xatm
