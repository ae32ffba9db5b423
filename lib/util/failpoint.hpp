// Named failure points for fault-injection tests. DBSAFE_FAILPOINTS holds a
// comma-separated list of names; a listed point throws when reached, and a
// point listed as "name:kill" kills the process with SIGKILL. Read
// once per process; costs one branch when the variable is unset.
#pragma once

#include <string_view>

namespace dbsafe::util {

// Throws std::runtime_error (deliberately not dbsafe::Error, so tests prove
// the C ABI's catch-all wall) when `name` is armed.
void failpoint(std::string_view name);

}  // namespace dbsafe::util
