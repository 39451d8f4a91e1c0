#include "xatm/xid.h"

#include <cinttypes>
#include <cstdio>
#include <random>

namespace xatm {
namespace {

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-';
}

Status ValidateId(std::string_view what, std::string_view id, size_t max_len) {
  if (id.empty() || id.size() > max_len) {
    return Status::InvalidArgument(std::string(what) + " '" + std::string(id) +
                                   "' must be 1 to " + std::to_string(max_len) +
                                   " characters");
  }
  for (char c : id) {
    if (!IsIdChar(c)) {
      return Status::InvalidArgument(std::string(what) + " '" +
                                     std::string(id) +
                                     "' may only hold letters, digits, '_' "
                                     "and '-'");
    }
  }
  return Status::Ok();
}

bool ParseDecimal(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 15) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

bool ParseHex16(std::string_view s, uint64_t* out) {
  if (s.size() != 16) return false;
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else
      return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

}  // namespace

Status ValidateNodeId(std::string_view node) {
  return ValidateId("node id", node, kMaxNodeIdLength);
}

Status ValidateResourceName(std::string_view name) {
  return ValidateId("resource name", name, kMaxResourceNameLength);
}

Status ValidateHome(std::string_view home) {
  bool valid = !home.empty() && home.size() <= kMaxHomeLength;
  for (char c : home) {
    valid = valid && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
  }
  if (valid) return Status::Ok();
  return Status::InvalidArgument(
      "decision home '" + std::string(home) + "' must be 1 to " +
      std::to_string(kMaxHomeLength) + " lower-case letters or digits");
}

std::string Xid::Gtrid() const {
  char tail[64];
  std::snprintf(tail, sizeof(tail), ":%" PRId64 ":%016" PRIx64, begin_ms,
                unique);
  std::string gtrid = std::string(kXidPrefix) + node + tail;
  if (!home.empty()) gtrid += ":" + home;
  return gtrid;
}

std::string Xid::PostgresGid(std::string_view resource) const {
  return Gtrid() + ":" + std::string(resource);
}

Result<Xid> Xid::ParseGtrid(std::string_view s) {
  auto bad = [&](const char* why) {
    return Status::InvalidArgument("not an xatm gtrid '" + std::string(s) +
                                   "': " + why);
  };
  if (s.size() > 64) return bad("longer than 64 bytes");
  if (s.substr(0, kXidPrefix.size()) != kXidPrefix) return bad("wrong prefix");
  std::string_view rest = s.substr(kXidPrefix.size());
  size_t c1 = rest.find(':');
  if (c1 == std::string_view::npos) return bad("missing begin time");
  size_t c2 = rest.find(':', c1 + 1);
  if (c2 == std::string_view::npos) return bad("missing unique part");
  Xid xid;
  xid.node = std::string(rest.substr(0, c1));
  if (!ValidateNodeId(xid.node).ok()) return bad("bad node id");
  if (!ParseDecimal(rest.substr(c1 + 1, c2 - c1 - 1), &xid.begin_ms)) {
    return bad("bad begin time");
  }
  std::string_view unique = rest.substr(c2 + 1);
  size_t c3 = unique.find(':');
  if (c3 != std::string_view::npos) {
    xid.home = std::string(unique.substr(c3 + 1));
    if (!ValidateHome(xid.home).ok()) return bad("bad decision home");
    unique = unique.substr(0, c3);
  }
  if (!ParseHex16(unique, &xid.unique)) return bad("bad unique part");
  return xid;
}

Result<BranchId> ParsePostgresGid(std::string_view gid) {
  size_t last = gid.rfind(':');
  if (last == std::string_view::npos) {
    return Status::InvalidArgument("not an xatm gid '" + std::string(gid) +
                                   "'");
  }
  XATM_ASSIGN_OR_RETURN(Xid xid, Xid::ParseGtrid(gid.substr(0, last)));
  BranchId id{std::move(xid), std::string(gid.substr(last + 1))};
  Status valid = ValidateResourceName(id.resource);
  if (!valid.ok()) return valid.WithContext("gid '" + std::string(gid) + "'");
  return id;
}

XidGenerator::XidGenerator(std::string node, std::string home)
    : node_(std::move(node)), home_(std::move(home)), counter_(0) {
  std::random_device rd;
  process_random_ = static_cast<uint32_t>(rd());
}

Xid XidGenerator::Next(int64_t now_ms) {
  uint32_t n = counter_.fetch_add(1, std::memory_order_relaxed) + 1;
  Xid xid;
  xid.node = node_;
  xid.begin_ms = now_ms;
  xid.unique = (static_cast<uint64_t>(process_random_) << 32) | n;
  xid.home = home_;
  return xid;
}

}  // namespace xatm
