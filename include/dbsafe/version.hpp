#pragma once

#include <string_view>

#include "dbsafe/export.hpp"

namespace dbsafe {
inline namespace v1 {

// "MAJOR.MINOR.PATCH" of the library actually loaded.
DBSAFE_CXX_API std::string_view version() noexcept;

}  // namespace v1
}  // namespace dbsafe
