// XA RECOVER: the prepared XA branches a MariaDB / MySQL server holds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/mysql/my_connection.h"
#include "xatm/resource.h"

namespace xatm {

struct MyRecoveredXid {
  int64_t format_id = 0;
  std::string gtrid;  // raw bytes
  std::string bqual;  // raw bytes
};

// Splits one XA RECOVER row (formatID, gtrid_length, bqual_length, data:
// the gtrid bytes followed by the bqual bytes). False when the lengths do
// not fit the data.
bool ParseXaRecoverRow(const Row& row, MyRecoveredXid* out);

// The xid as XA RECOVER FORMAT='SQL' would print it: 'g','b',fmt, with
// X'hex' for an id holding anything but printable ASCII or a quote.
std::string XidText(const MyRecoveredXid& xid);

// Runs XA RECOVER; rows that cannot be split are left out (debug log).
MyStatus XaRecover(MyConnection* conn, std::vector<MyRecoveredXid>* out);

// Whether `list` holds (gtrid, bqual); formatID is ignored, as MariaDB
// ignores it when matching xids.
bool ContainsXid(const std::vector<MyRecoveredXid>& list,
                 std::string_view gtrid, std::string_view bqual);

}  // namespace xatm
