#include "source/flyway_name.hpp"

namespace dbsafe::source {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool in_version(char c) {
  return is_digit(c) || c == '.' || c == '_';
}

}  // namespace

bool is_flyway_file_name(std::string_view name) {
  constexpr std::string_view kSuffix = ".sql";
  if (!name.ends_with(kSuffix) || name.find_first_of("\r\n") != std::string_view::npos)
    return false;
  // Where the "__" before the description starts.
  std::size_t separator;
  if (name.starts_with("R")) {
    separator = 1;
  } else if ((name.starts_with("V") || name.starts_with("U")) && name.size() > 1 &&
             is_digit(name[1])) {
    // The version runs over [0-9._]; "__" is made of such bytes, so it lies
    // inside that run. The earliest one leaves the longest description,
    // which matches whenever a later split would.
    separator = std::string_view::npos;
    for (std::size_t i = 2; i + 1 < name.size() && in_version(name[i]); ++i)
      if (name[i] == '_' && name[i + 1] == '_') {
        separator = i;
        break;
      }
    if (separator == std::string_view::npos) return false;
  } else {
    return false;
  }
  if (name.substr(separator, 2) != "__") return false;
  // The description: at least one byte before the suffix.
  return name.size() - (separator + 2) > kSuffix.size();
}

}  // namespace dbsafe::source
