#include "adapters/db_error_class.h"

namespace xatm {

StatusCode StatusCodeForClass(DbErrorClass error_class) {
  switch (error_class) {
    case DbErrorClass::kConnectionLost:
    case DbErrorClass::kServerBusy:
    case DbErrorClass::kOther:
      return StatusCode::kUnavailable;
    case DbErrorClass::kTransactionRolledBack:
      return StatusCode::kAborted;
    case DbErrorClass::kDuplicate:
      return StatusCode::kAlreadyExists;
    case DbErrorClass::kConstraintViolated:
    case DbErrorClass::kNotPermitted:
    case DbErrorClass::kWrongState:
      return StatusCode::kFailedPrecondition;
    case DbErrorClass::kBadStatement:
    case DbErrorClass::kBadValue:
      return StatusCode::kInvalidArgument;
    case DbErrorClass::kUnknownTransaction:
      return StatusCode::kNotFound;
    case DbErrorClass::kClientMisuse:
    case DbErrorClass::kServerInternal:
      return StatusCode::kInternal;
  }
  return StatusCode::kInternal;
}

}  // namespace xatm
