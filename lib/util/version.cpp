#include "dbsafe/version.hpp"

#include "dbsafe/dbsafe.h"

#define DBSAFE_STR2(x) #x
#define DBSAFE_STR(x) DBSAFE_STR2(x)

namespace dbsafe {
inline namespace v1 {

std::string_view version() noexcept {
  return DBSAFE_STR(DBSAFE_VERSION_MAJOR) "." DBSAFE_STR(DBSAFE_VERSION_MINOR) "." DBSAFE_STR(
      DBSAFE_VERSION_PATCH);
}

}  // namespace v1
}  // namespace dbsafe
