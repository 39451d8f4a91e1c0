/// @file
/// Making a Resource from its configuration.
#pragma once

#include <memory>

#include "xatm/resource.h"
#include "xatm/resource_config.h"

namespace xatm {

/// A Resource for `config`; InvalidArgument for an unknown type. Does not
/// connect: connection errors surface on first use.
Result<std::shared_ptr<Resource>> MakeResource(const ResourceConfig& config);

}  // namespace xatm
