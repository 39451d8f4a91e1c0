// Statements a branch refuses before sending them: they would end or
// escape the global transaction, or answer in a way a pipelined round trip
// cannot tell from success or failure.
#pragma once

#include <string_view>

#include "xatm/status.h"

namespace xatm {

// InvalidArgument for an empty statement (blanks, comments, ';'),
// transaction control (BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK,
// ABORT, PREPARE TRANSACTION; savepoints stay allowed) and COPY; else OK.
Status CheckBranchStatement(std::string_view sql);

}  // namespace xatm
