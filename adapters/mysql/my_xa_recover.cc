#include "adapters/mysql/my_xa_recover.h"

#include "xatm/logging.h"

namespace xatm {
namespace {

bool ParseInt(const std::optional<std::string>& field, int64_t* out) {
  if (!field || field->empty() || field->size() > 18) return false;
  int64_t v = 0;
  size_t i = 0;
  bool negative = (*field)[0] == '-';
  if (negative) i = 1;
  if (i == field->size()) return false;
  for (; i < field->size(); ++i) {
    char c = (*field)[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = negative ? -v : v;
  return true;
}

std::string IdText(const std::string& id) {
  bool plain = true;
  for (unsigned char c : id) {
    if (c < 0x20 || c > 0x7e || c == '\'' || c == '\\') plain = false;
  }
  if (plain) return "'" + id + "'";
  static const char kHex[] = "0123456789abcdef";
  std::string s = "X'";
  for (unsigned char c : id) {
    s += kHex[c >> 4];
    s += kHex[c & 0xf];
  }
  return s + "'";
}

}  // namespace

bool ParseXaRecoverRow(const Row& row, MyRecoveredXid* out) {
  if (row.size() < 4 || !row[3]) return false;
  int64_t format_id, gtrid_length, bqual_length;
  if (!ParseInt(row[0], &format_id) || !ParseInt(row[1], &gtrid_length) ||
      !ParseInt(row[2], &bqual_length)) {
    return false;
  }
  const std::string& data = *row[3];
  if (gtrid_length < 0 || bqual_length < 0 ||
      static_cast<uint64_t>(gtrid_length) +
              static_cast<uint64_t>(bqual_length) !=
          data.size()) {
    return false;
  }
  out->format_id = format_id;
  out->gtrid = data.substr(0, static_cast<size_t>(gtrid_length));
  out->bqual = data.substr(static_cast<size_t>(gtrid_length));
  return true;
}

std::string XidText(const MyRecoveredXid& xid) {
  return IdText(xid.gtrid) + "," + IdText(xid.bqual) + "," +
         std::to_string(xid.format_id);
}

MyStatus XaRecover(MyConnection* conn, std::vector<MyRecoveredXid>* out) {
  std::vector<Row> rows;
  MyStatus s = conn->RunQuery("XA RECOVER", &rows);
  if (!s.ok()) return s;
  out->clear();
  for (const Row& row : rows) {
    MyRecoveredXid xid;
    if (ParseXaRecoverRow(row, &xid)) {
      out->push_back(std::move(xid));
    } else {
      Logger()->debug(
          "mysql: XA RECOVER row with inconsistent lengths skipped");
    }
  }
  return MyStatus::Ok();
}

bool ContainsXid(const std::vector<MyRecoveredXid>& list,
                 std::string_view gtrid, std::string_view bqual) {
  for (const MyRecoveredXid& x : list) {
    if (x.gtrid == gtrid && x.bqual == bqual) return true;
  }
  return false;
}

}  // namespace xatm
