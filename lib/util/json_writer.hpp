// A small streaming JSON writer: the one place dbsafe builds JSON text.
// Keys are written in the order given, so documents are deterministic.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbsafe::util {

class JsonWriter {
 public:
  JsonWriter &begin_object();
  JsonWriter &end_object();
  JsonWriter &begin_array();
  JsonWriter &end_array();
  JsonWriter &key(std::string_view name);

  JsonWriter &value(std::string_view text);
  JsonWriter &value(const char *text) { return value(std::string_view(text)); }
  JsonWriter &value(const std::string &text) { return value(std::string_view(text)); }
  JsonWriter &value(bool flag);
  JsonWriter &value(std::int64_t number);
  JsonWriter &value(std::uint64_t number);
  JsonWriter &value(int number) { return value(static_cast<std::int64_t>(number)); }
  JsonWriter &value(unsigned number) { return value(static_cast<std::uint64_t>(number)); }
  JsonWriter &value(const std::optional<std::string> &text);
  JsonWriter &null();
  // Inserts an already-serialised JSON value verbatim.
  JsonWriter &raw(std::string_view json);

  template <typename T>
  JsonWriter &field(std::string_view name, const T &v) {
    key(name);
    return value(v);
  }

  const std::string &str() const noexcept { return out_; }
  std::string take() { return std::move(out_); }
  // Forgets the text written so far but not where the writer is in the
  // document, so a long document can be written out in pieces: write
  // str(), then clear_text(), and carry on.
  void clear_text() noexcept { out_.clear(); }

 private:
  void before_value();
  std::string out_;
  // One entry per open container: whether it already holds an element.
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

// Appends `text` to `out` as a JSON string literal (with quotes). Invalid
// UTF-8 bytes are written as \ufffd so the output is always valid JSON.
void append_json_string(std::string &out, std::string_view text);

}  // namespace dbsafe::util
