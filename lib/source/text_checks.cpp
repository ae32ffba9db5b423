#include "source/text_checks.hpp"

#include <simdjson.h>

#include <cstring>

#include "dbsafe/error.hpp"
#include "util/utf8.hpp"

namespace dbsafe::source {

TextPosition position_of(std::string_view text, std::size_t offset) {
  TextPosition pos;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++pos.line;
      line_start = i + 1;
    }
  }
  pos.column = static_cast<std::uint32_t>(offset - line_start + 1);
  return pos;
}

namespace {

// Offset of the first byte that does not start a valid UTF-8 sequence. Only
// called after the fast SIMD validator said the text is invalid.
std::size_t first_invalid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto len = util::utf8_sequence_length(s, i);
    if (len == 0) return i;
    i += len;
  }
  return s.size();
}

[[noreturn]] void fail_at(std::string_view text, const std::string &path, std::size_t offset,
                          const std::string &what) {
  auto pos = position_of(text, offset);
  throw Error(ErrorCode::Invalid, path + ": " + what)
      .with_file(path, pos.line, pos.column)
      .with_detail_json("{\"offset\":" + std::to_string(offset) + "}");
}

}  // namespace

void check_migration_text(std::string_view text, const std::string &display_path) {
  if (text.size() >= 3 && std::memcmp(text.data(), "\xEF\xBB\xBF", 3) == 0) {
    fail_at(text, display_path, 0,
            "starts with a UTF-8 byte order mark (BOM) at byte 0; PostgreSQL rejects it, save the "
            "file as UTF-8 without BOM");
  }
  if (const void *nul = std::memchr(text.data(), '\0', text.size())) {
    auto offset = static_cast<std::size_t>(static_cast<const char *>(nul) - text.data());
    auto pos = position_of(text, offset);
    fail_at(text, display_path, offset,
            "contains a NUL byte at byte " + std::to_string(offset) + " (line " +
                std::to_string(pos.line) + ", column " + std::to_string(pos.column) +
                "); PostgreSQL cannot execute it, remove it");
  }
  if (!simdjson::validate_utf8(text.data(), text.size())) {
    auto offset = first_invalid_utf8(text);
    auto pos = position_of(text, offset);
    fail_at(text, display_path, offset,
            "invalid UTF-8 at byte " + std::to_string(offset) + " (line " +
                std::to_string(pos.line) + ", column " + std::to_string(pos.column) +
                "); save the file as UTF-8");
  }
}

}  // namespace dbsafe::source
