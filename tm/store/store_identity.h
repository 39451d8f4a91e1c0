// The identity of a database decision store: a random id kept in the
// one-row table xatm_store next to xatm_decisions. Every gtrid whose
// decision is kept there names it (Xid::home = "d" + id), so a node reading
// another store, or a file log, never presumes such a transaction aborted.
// The id lives in the database, not in any node's configuration: nodes that
// name the store's resource differently agree on it, and a promoted
// synchronous standby keeps it.
#pragma once

#include <string>

#include "xatm/resource.h"
#include "xatm/status.h"

namespace xatm {

// The store's id (8 hex digits). Creates the table and the id the first
// time (by `xatm init`, or at open for a store made before ids existed);
// concurrent first callers agree on one id.
Result<std::string> EnsureStoreId(Resource& resource);

}  // namespace xatm
