#include "xatm/resource_factory.h"

#include "adapters/mysql/my_resource.h"
#include "adapters/postgres/pg_resource.h"

namespace xatm {

Result<std::shared_ptr<Resource>> MakeResource(const ResourceConfig& config) {
  XATM_RETURN_IF_ERROR(ValidateResourceName(config.name));
  if (config.type == "postgresql") {
    return std::shared_ptr<Resource>(MakePostgresResource(config));
  }
  if (config.type == "mysql") {
    return std::shared_ptr<Resource>(MakeMysqlResource(config));
  }
  return Status::InvalidArgument("resource '" + config.name +
                                 "': unknown type '" + config.type +
                                 "' (expected postgresql or mysql)");
}

}  // namespace xatm
