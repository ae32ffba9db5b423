// JSON response bodies, parsed with simdjson's DOM parser.
#pragma once

#include <simdjson.h>

#include <memory>
#include <string>
#include <string_view>

#include "http/client.hpp"

namespace dbsafe::http {

// A parsed JSON document that owns its parser, so its elements stay valid for
// the document's lifetime. Movable, not copyable.
class JsonDocument {
 public:
  // Throws Error(Http) naming `what` (e.g. "the answer to GET https://…")
  // when `text` is not JSON.
  static JsonDocument parse(std::string_view text, std::string_view what);

  simdjson::dom::element root() const noexcept { return root_; }

 private:
  JsonDocument() = default;
  std::unique_ptr<simdjson::dom::parser> parser_;
  simdjson::dom::element root_;
};

// The response body as JSON; errors name the request (method and redacted
// URL) and carry the HTTP status.
JsonDocument parse_json(const Request &request, const Response &response);

// The server's own explanation in an error body: a JSON "message", "error"
// (string, or object with "message") or "detail" field, else the start of a
// text body; at most 300 characters, on one line. Empty when there is none.
std::string server_message(std::string_view body);

}  // namespace dbsafe::http
