#include "pg/tools.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace dbsafe::pg {

namespace fs = std::filesystem;

bool holds_programs(const std::string &dir, std::initializer_list<const char *> programs) {
  for (const char *p : programs)
    if (!fs::exists(fs::path(dir) / p)) return false;
  return true;
}

std::string newest_installed_bindir(std::initializer_list<const char *> programs) {
  int best = -1;
  std::string found;
  std::error_code ec;
  for (const auto &entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    int version = std::atoi(entry.path().filename().c_str());
    std::string bin = (entry.path() / "bin").string();
    if (version > best && holds_programs(bin, programs)) {
      best = version;
      found = bin;
    }
  }
  return found;
}

std::string log_tail(const std::string &path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.size() > 1500) text = text.substr(text.size() - 1500);
  return text;
}

}  // namespace dbsafe::pg
