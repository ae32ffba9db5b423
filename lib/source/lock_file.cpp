#include "source/lock_file.hpp"

namespace dbsafe::source {
namespace {

bool blank(char c) {
  return c == ' ' || c == '\t';
}

// A control character TOML allows in no comment or basic string (tab aside).
bool control(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\t') || u == 0x7f;
}

// Whether `rest` is blanks, then nothing or a comment.
bool ends_line(std::string_view rest) {
  std::size_t i = 0;
  while (i < rest.size() && blank(rest[i])) ++i;
  if (i == rest.size()) return true;
  if (rest[i] != '#') return false;
  for (++i; i < rest.size(); ++i)
    if (control(rest[i])) return false;
  return true;
}

}  // namespace

std::optional<std::string> plain_lock_file_provider(std::string_view text) {
  std::optional<std::string> provider;
  for (std::size_t start = 0; start < text.size();) {
    auto nl = text.find('\n', start);
    auto line =
        text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    start = nl == std::string_view::npos ? text.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::size_t i = 0;
    while (i < line.size() && blank(line[i])) ++i;
    line.remove_prefix(i);
    if (line.empty() || line.front() == '#') {
      if (!ends_line(line)) return std::nullopt;
      continue;
    }
    constexpr std::string_view kKey = "provider";
    if (provider || line.substr(0, kKey.size()) != kKey) return std::nullopt;
    i = kKey.size();
    while (i < line.size() && blank(line[i])) ++i;
    if (i == line.size() || line[i] != '=') return std::nullopt;
    ++i;
    while (i < line.size() && blank(line[i])) ++i;
    if (i == line.size() || line[i] != '"') return std::nullopt;
    const std::size_t value = ++i;
    while (i < line.size() && line[i] != '"') {
      if (line[i] == '\\' || control(line[i])) return std::nullopt;
      ++i;
    }
    if (i == line.size() || !ends_line(line.substr(i + 1))) return std::nullopt;
    provider = std::string(line.substr(value, i - value));
  }
  return provider;
}

}  // namespace dbsafe::source
