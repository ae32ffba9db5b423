#include "util/json_writer.hpp"

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

}  // namespace

void append_json_string(std::string &out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  out.reserve(out.size() + text.size() + 2);
  for (size_t i = 0; i < text.size();) {
    // Fast path: a run of printable ASCII that needs no escaping, eight
    // bytes at a time (reports repeat each statement's text in every finding,
    // so this loop writes most of a large report).
    size_t run = i;
    while (run + 8 <= text.size() && clean_word(text.data() + run)) run += 8;
    while (run < text.size()) {
      auto r = static_cast<unsigned char>(text[run]);
      if (r < 0x20 || r >= 0x80 || r == '"' || r == '\\') break;
      ++run;
    }
    if (run > i) {
      out.append(text.data() + i, run - i);
      i = run;
      continue;
    }
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      size_t len = utf8_sequence_length(text, i);
      if (len == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(text.substr(i, len));
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
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
