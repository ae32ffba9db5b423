// The parts of requests and responses that need no network: method names,
// header look-up and the error for an unsuccessful response.
#include <cctype>

#include "http/client.hpp"
#include "http/json.hpp"
#include "http/redact.hpp"
#include "http/url.hpp"
#include "util/json_writer.hpp"

namespace dbsafe::http {

std::string_view method_name(Method method) noexcept {
  switch (method) {
    case Method::Get:
      return "GET";
    case Method::Head:
      return "HEAD";
    case Method::Post:
      return "POST";
    case Method::Put:
      return "PUT";
    case Method::Patch:
      return "PATCH";
    case Method::Delete:
      return "DELETE";
    case Method::Options:
      return "OPTIONS";
  }
  return "GET";
}

bool is_idempotent(Method method) noexcept {
  return method != Method::Post && method != Method::Patch;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::optional<std::string_view> Response::header(std::string_view name) const {
  for (const Header &h : headers)
    if (iequals(h.name, name)) return std::string_view(h.value);
  return std::nullopt;
}

namespace {

// A Location value as one short printable line: it comes from the server.
std::string one_line_location(std::string_view value) {
  std::string out;
  for (char c : value.substr(0, 300)) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) out += c;
  }
  return out;
}

}  // namespace

Error status_error(const Request &request, const Response &response) {
  std::string url = redact_url(std::string_view(request.url));
  std::string message = std::string(method_name(request.method)) + " " + url + " returned " +
                        std::to_string(response.status) +
                        (response.reason.empty() ? "" : " " + response.reason);
  if (response.attempts > 1)
    message += " (after " + std::to_string(response.attempts) + " attempts)";
  std::string said = server_message(response.body);
  if (!said.empty()) message += ": " + said;
  if (response.status == 401 || response.status == 403)
    message += "; check the API key and its access to this resource";
  if (response.status >= 300 && response.status < 400) {
    // Following it would send the API key wherever the answer points
    // (possibly another host), so a redirect is reported instead.
    message += "; dbsafe does not follow redirects, so credentials reach only the configured host";
    if (auto location = response.header("Location"))
      message += " (this one points to " + redact_url(one_line_location(*location)) + ")";
    message += "; use the final URL in the configuration";
  }
  ErrorCode code =
      response.status == 401 || response.status == 403 ? ErrorCode::Auth : ErrorCode::Http;
  util::JsonWriter detail;
  detail.begin_object()
      .field("method", method_name(request.method))
      .field("url", url)
      .field("attempts", response.attempts)
      .end_object();
  Error error(code, secrets_of(request).scrub(message));
  error.with_http_status(response.status).with_detail_json(detail.take());
  return error;
}

}  // namespace dbsafe::http
