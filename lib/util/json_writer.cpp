#include "util/json_writer.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "util/utf8.hpp"

namespace dbsafe::util {

namespace {

// Whether none of eight bytes needs escaping: no control character, quote,
// backslash or non-ASCII byte. The classic "has a byte less than n" and "has a
// zero byte" tests; a borrow can only make them report a byte that is fine,
// never miss one, and such a word is then taken byte by byte.
bool clean_word(const char *p) {
  std::uint64_t w;
  std::memcpy(&w, p, sizeof w);
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  auto has_zero = [&](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  std::uint64_t below_space = (w - kOnes * 0x20) & ~w & kHigh;
  std::uint64_t quote = has_zero(w ^ (kOnes * '"'));
  std::uint64_t backslash = has_zero(w ^ (kOnes * '\\'));
  return ((below_space | quote | backslash | w) & kHigh) == 0;
}

bool plain_byte(char c) {
  auto u = static_cast<unsigned char>(c);
  return u >= 0x20 && u < 0x80 && c != '"' && c != '\\';
}

}  // namespace

void append_json_string(std::string &out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  // What each ASCII byte becomes after a backslash: 0 none (written as is),
  // 'u' the \u00XX form; bytes from 0x80 are UTF-8, checked sequence by
  // sequence.
  static constexpr auto kEscape = [] {
    std::array<char, 128> t{};
    for (int c = 0; c < 0x20; ++c) t[c] = 'u';
    t['"'] = '"';
    t['\\'] = '\\';
    t['\n'] = 'n';
    t['\r'] = 'r';
    t['\t'] = 't';
    return t;
  }();
  // The leading part that needs no escaping, often the whole string (keys,
  // rule ids, names, most messages), is appended as it is: a finding's
  // twenty keys went through the buffer below one by one.
  std::size_t clean = 0;
  while (clean + 8 <= text.size() && clean_word(text.data() + clean)) clean += 8;
  while (clean < text.size() && plain_byte(text[clean])) ++clean;
  out.push_back('"');
  out.append(text.data(), clean);
  if (clean == text.size()) {
    out.push_back('"');
    return;
  }
  // The rest is written into a buffer on the stack and appended a block at
  // a time: statements are dense with quoted identifiers and line breaks,
  // and an escape appended to the string on its own cost more than the byte.
  char buf[1024];
  std::size_t n = 0;
  // Room for the longest write below (8 bytes) and the closing quote.
  constexpr std::size_t kRoom = sizeof buf - 9;
  for (std::size_t i = clean; i < text.size();) {
    if (n > kRoom) {
      out.append(buf, n);
      n = 0;
    }
    // Eight bytes at a time while they need no escaping.
    if (i + 8 <= text.size() && clean_word(text.data() + i)) {
      std::memcpy(buf + n, text.data() + i, 8);
      n += 8;
      i += 8;
      continue;
    }
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      std::size_t len = utf8_sequence_length(text, i);
      if (len == 0) {
        std::memcpy(buf + n, "\\ufffd", 6);
        n += 6;
        ++i;
      } else {
        std::memcpy(buf + n, text.data() + i, len);
        n += len;
        i += len;
      }
      continue;
    }
    const char escape = kEscape[c];
    if (escape == 0) {
      buf[n++] = static_cast<char>(c);
    } else if (escape == 'u') {
      std::memcpy(buf + n, "\\u00", 4);
      buf[n + 4] = kHex[c >> 4];
      buf[n + 5] = kHex[c & 0xF];
      n += 6;
    } else {
      buf[n++] = '\\';
      buf[n++] = escape;
    }
    ++i;
  }
  buf[n++] = '"';
  out.append(buf, n);
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!has_element_.empty()) {
    if (has_element_.back()) out_.push_back(',');
    has_element_.back() = true;
  }
}

JsonWriter &JsonWriter::begin_object() {
  before_value();
  out_.push_back('{');
  has_element_.push_back(false);
  return *this;
}

JsonWriter &JsonWriter::end_object() {
  out_.push_back('}');
  has_element_.pop_back();
  return *this;
}

JsonWriter &JsonWriter::begin_array() {
  before_value();
  out_.push_back('[');
  has_element_.push_back(false);
  return *this;
}

JsonWriter &JsonWriter::end_array() {
  out_.push_back(']');
  has_element_.pop_back();
  return *this;
}

JsonWriter &JsonWriter::key(std::string_view name) {
  before_value();
  append_json_string(out_, name);
  out_.push_back(':');
  after_key_ = true;
  return *this;
}

JsonWriter &JsonWriter::value(std::string_view text) {
  before_value();
  append_json_string(out_, text);
  return *this;
}

JsonWriter &JsonWriter::value(bool flag) {
  before_value();
  out_ += flag ? "true" : "false";
  return *this;
}

JsonWriter &JsonWriter::value(std::int64_t number) {
  before_value();
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, number);
  out_.append(buf, res.ptr);
  return *this;
}

JsonWriter &JsonWriter::value(std::uint64_t number) {
  before_value();
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, number);
  out_.append(buf, res.ptr);
  return *this;
}

JsonWriter &JsonWriter::value(const std::optional<std::string> &text) {
  return text ? value(std::string_view(*text)) : null();
}

JsonWriter &JsonWriter::null() {
  before_value();
  out_ += "null";
  return *this;
}

JsonWriter &JsonWriter::raw(std::string_view json) {
  before_value();
  out_.append(json);
  return *this;
}

}  // namespace dbsafe::util
