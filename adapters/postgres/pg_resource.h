// The PostgreSQL resource (libpq): branches are BEGIN ... PREPARE TRANSACTION
// sessions on pooled connections; recovery reads pg_prepared_xacts.
#pragma once

#include <memory>

#include "xatm/resource.h"
#include "xatm/resource_config.h"

namespace xatm {

// A Resource for `config` (type "postgresql"). Connects lazily: an
// unreachable server shows up as Unavailable from the first call that needs
// it. REQUIRES: config.name is a valid resource name (ValidateResourceName).
std::unique_ptr<Resource> MakePostgresResource(const ResourceConfig& config);

}  // namespace xatm
