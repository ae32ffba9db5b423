#include "util/failpoint.hpp"

#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace dbsafe::util {

namespace {
const std::vector<std::string> &armed_points() {
  static const std::vector<std::string> points = [] {
    std::vector<std::string> names;
    const char *env = std::getenv("DBSAFE_FAILPOINTS");
    if (env == nullptr) return names;
    std::string_view rest(env);
    while (!rest.empty()) {
      auto comma = rest.find(',');
      auto name = rest.substr(0, comma);
      if (!name.empty()) names.emplace_back(name);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    return names;
  }();
  return points;
}
}  // namespace

void failpoint(std::string_view name) {
  const auto &points = armed_points();
  if (points.empty()) return;
  for (const auto &point : points) {
    if (point == name) throw std::runtime_error("failpoint " + point + " triggered");
    // "name:kill" ends the process on the spot, as a crash or `kill -9` would.
    if (point.size() == name.size() + 5 && point.starts_with(name) && point.ends_with(":kill"))
      std::raise(SIGKILL);
  }
}

}  // namespace dbsafe::util
