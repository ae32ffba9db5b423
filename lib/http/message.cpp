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
