// UTF-8 decoding shared by the text checks and the JSON writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dbsafe::util {

// Length of the valid UTF-8 sequence starting at s[i] (1 to 4), or 0 when
// the bytes there are not valid UTF-8 (overlong forms, surrogates and code
// points above U+10FFFF are invalid).
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  std::size_t len;
  std::uint32_t min;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  std::uint32_t cp = c & (0x7F >> len);
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// Byte offset of the character numbered `chars` (0-based) in UTF-8 text;
// an invalid byte counts as one character. Clamped to the text's size.
inline std::size_t utf8_byte_offset(std::string_view s, std::size_t chars) {
  std::size_t i = 0;
  while (chars > 0 && i < s.size()) {
    std::size_t len = utf8_sequence_length(s, i);
    i += len == 0 ? 1 : len;
    --chars;
  }
  return i;
}

// Number of characters in UTF-8 text, as PostgreSQL counts them for error
// positions; an invalid byte counts as one.
inline std::size_t utf8_length(std::string_view s) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++chars) {
    std::size_t len = utf8_sequence_length(s, i);
    i += len == 0 ? 1 : len;
  }
  return chars;
}

}  // namespace dbsafe::util
