#include "http/json.hpp"

#include "dbsafe/error.hpp"
#include "http/url.hpp"
#include "util/utf8.hpp"

namespace dbsafe::http {

JsonDocument JsonDocument::parse(std::string_view text, std::string_view what) {
  JsonDocument doc;
  doc.parser_ = std::make_unique<simdjson::dom::parser>();
  auto error = doc.parser_->parse(text.data(), text.size()).get(doc.root_);
  if (error)
    throw Error(ErrorCode::Http,
                std::string(what) + " is not valid JSON (" + simdjson::error_message(error) + ")");
  return doc;
}

JsonDocument parse_json(const Request &request, const Response &response) {
  std::string what = "the answer to " + std::string(method_name(request.method)) + " " +
                     redact_url(std::string_view(request.url));
  try {
    return JsonDocument::parse(response.body, what);
  } catch (Error &e) {
    e.with_http_status(response.status);
    throw;
  }
}

namespace {

std::string one_line(std::string_view text, std::size_t limit) {
  std::string out;
  for (char c : text) {
    if (out.size() >= limit) {
      // Cut at a character boundary, never inside a UTF-8 sequence.
      std::size_t lead = out.size();
      while (lead > 0 && (static_cast<unsigned char>(out[lead - 1]) & 0xC0) == 0x80) --lead;
      if (lead > 0 && util::utf8_sequence_length(out, lead - 1) == 0) out.resize(lead - 1);
      out += "…";
      break;
    }
    unsigned char u = static_cast<unsigned char>(c);
    if (u == '\n' || u == '\r' || u == '\t') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else if (u >= 0x20 && u != 0x7f) {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string_view string_field(simdjson::dom::element object, const char *name) {
  std::string_view value;
  if (object[name].get(value) == simdjson::SUCCESS) return value;
  return {};
}

}  // namespace

std::string server_message(std::string_view body) {
  constexpr std::size_t kLimit = 300;
  std::size_t start = body.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return {};
  if (body[start] == '{') {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(body.data(), body.size()).get(root) == simdjson::SUCCESS) {
      for (const char *name : {"message", "error", "detail", "error_description"}) {
        std::string_view text = string_field(root, name);
        if (!text.empty()) return one_line(text, kLimit);
      }
      simdjson::dom::element error;
      if (root["error"].get(error) == simdjson::SUCCESS) {
        std::string_view text = string_field(error, "message");
        if (!text.empty()) return one_line(text, kLimit);
      }
      return {};
    }
  }
  // Not JSON: an HTML error page says little that helps; other text may.
  if (body.substr(start, 1) == "<") return {};
  return one_line(body.substr(start), kLimit);
}

}  // namespace dbsafe::http
