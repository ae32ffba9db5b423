// Small readers over libpg_query's JSON parse tree (simdjson DOM). Absent
// fields read as empty/false/0, matching libpg_query's omission of defaults.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dbsafe::analyze::tree {

using Node = simdjson::dom::element;

inline bool get(Node n, const char *key, Node &out) {
  return n.is_object() && n[key].get(out) == simdjson::SUCCESS;
}
inline std::string_view str(Node n, const char *key) {
  std::string_view v;
  Node c;
  if (get(n, key, c) && c.get_string().get(v) == simdjson::SUCCESS) return v;
  return {};
}
inline bool flag(Node n, const char *key) {
  Node c;
  bool v = false;
  return get(n, key, c) && c.get_bool().get(v) == simdjson::SUCCESS && v;
}
inline std::int64_t integer(Node n, const char *key, std::int64_t fallback = 0) {
  Node c;
  std::int64_t v;
  return get(n, key, c) && c.get_int64().get(v) == simdjson::SUCCESS ? v : fallback;
}
// The elements of an array field (empty when absent).
inline std::vector<Node> items(Node n, const char *key) {
  std::vector<Node> out;
  Node c;
  simdjson::dom::array a;
  if (get(n, key, c) && c.get_array().get(a) == simdjson::SUCCESS)
    for (Node e : a) out.push_back(e);
  return out;
}
// {"Type": {...}} -> ("Type", {...}).
inline std::pair<std::string_view, Node> unwrap(Node n) {
  simdjson::dom::object o;
  if (n.get_object().get(o) == simdjson::SUCCESS)
    for (auto field : o) return {field.key, field.value};
  return {{}, n};
}
// A list of {"String":{"sval":...}} nodes, e.g. a qualified name.
inline std::vector<std::string> strings(const std::vector<Node> &list) {
  std::vector<std::string> out;
  for (Node e : list) {
    auto [type, body] = unwrap(e);
    if (type == "String") out.emplace_back(str(body, "sval"));
  }
  return out;
}
inline std::vector<std::string> strings(Node n, const char *key) {
  return strings(items(n, key));
}

// Calls f(type, body) for every node below `n` (depth first).
template <typename F>
void walk(Node n, F &&f) {
  if (n.is_array()) {
    for (Node e : simdjson::dom::array(n)) walk(e, f);
  } else if (n.is_object()) {
    for (auto field : simdjson::dom::object(n)) {
      if (field.value.is_object() && !field.key.empty() && std::isupper(field.key[0]))
        f(field.key, field.value);
      walk(field.value, f);
    }
  }
}

}  // namespace dbsafe::analyze::tree
