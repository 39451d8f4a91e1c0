// The text of a MySQL XA xid in an XA statement. XA statements take no bind
// parameters, so the ids are pasted into the SQL: this is the one place that
// does it, and it accepts only characters that need no quoting at all.
#pragma once

#include <string>
#include <string_view>

#include "xatm/status.h"
#include "xatm/xid.h"

namespace xatm {

// MariaDB: gtrid and bqual are at most 64 bytes each.
inline constexpr size_t kMaxXaIdLength = 64;

// True when `id` is 1..64 bytes of [A-Za-z0-9_:-].
bool IsSafeXaId(std::string_view id);

// "'gtrid','bqual',formatID". InvalidArgument when either id is not safe:
// nothing is escaped, anything unusual is refused.
Result<std::string> XidLiteral(std::string_view gtrid, std::string_view bqual,
                               int format_id = kMysqlFormatId);

}  // namespace xatm
