#include "cli/bank/account_ref.h"

#include "tm/text_format.h"
#include "xatm/xid.h"

namespace xatm {

Status ValidateAccountId(std::string_view id) {
  if (id.empty()) return Status::InvalidArgument("account id is empty");
  if (id.size() > kMaxAccountIdLength) {
    return Status::InvalidArgument("account id " + Quoted(id) +
                                   " is longer than 64 characters");
  }
  for (char c : id) {
    unsigned char u = static_cast<unsigned char>(c);
    // Printable ASCII only: both databases then count characters and bytes
    // alike, and ids survive shells and logs unchanged.
    if (u <= 0x20 || u >= 0x7f) {
      return Status::InvalidArgument(
          "account id " + Quoted(id) +
          " may only hold printable ASCII characters, no spaces");
    }
  }
  return Status::Ok();
}

Result<AccountRef> AccountRef::Parse(std::string_view text) {
  const std::string name = "account " + Quoted(text);
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return Status::InvalidArgument(name + " is not RES:ID (e.g. pg:alice)");
  }
  std::string_view resource = text.substr(0, colon);
  std::string_view id = text.substr(colon + 1);
  if (resource.empty()) {
    return Status::InvalidArgument(name + " has no resource name before ':'");
  }
  if (id.empty()) {
    return Status::InvalidArgument(name + " has no account id after ':'");
  }
  // Our own words, not ValidateResourceName's: its message would repeat the
  // raw name, which may hold anything a user pasted.
  if (!ValidateResourceName(resource).ok()) {
    return Status::InvalidArgument(
        name + ": a resource name is 1 to 32 letters, digits, '_' or '-'");
  }
  Status valid = ValidateAccountId(id);
  if (!valid.ok())
    return Status::InvalidArgument(name + ": " + valid.message());
  return AccountRef{std::string(resource), std::string(id)};
}

}  // namespace xatm
