// Checks every migration file passes before dbsafe uses its text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dbsafe::source {

struct TextPosition {
  std::uint32_t line = 1;    // 1-based
  std::uint32_t column = 1;  // 1-based, counted in bytes
};

// Line and column of byte `offset` in `text`.
TextPosition position_of(std::string_view text, std::size_t offset);

// Throws dbsafe::Error(Invalid) naming `display_path` when `text` starts
// with a BOM, holds a NUL byte or is not valid UTF-8.
void check_migration_text(std::string_view text, const std::string &display_path);

}  // namespace dbsafe::source
