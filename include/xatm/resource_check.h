/// @file
/// A start-up check that every resource can be used: one connection each
/// (from the pool), one trivial query. A wrong password, an unknown user or
/// database, or a server nobody answers on shows now, named, instead of at
/// the first transaction or as a skipped resource in every sweep.
#pragma once

#include <memory>
#include <vector>

#include "xatm/resource.h"
#include "xatm/status.h"

namespace xatm {

/// OK, or the first failure's code with every failing resource in the
/// message (the adapters' messages name the resource, host, port and user,
/// never the password).
Status CheckResources(const std::vector<std::shared_ptr<Resource>>& resources);

/// Whether `resource` can take part in two-phase commit: OK, or
/// FailedPrecondition naming the resource and the setting that stops it (a
/// PostgreSQL with max_prepared_transactions = 0); Unavailable when it
/// cannot be asked. A MariaDB always can (its XA needs no setting).
Status CheckCanPrepare(Resource& resource);

}  // namespace xatm
