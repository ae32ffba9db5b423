#include "http/redact.hpp"

#include <algorithm>
#include <cctype>

#include "http/client.hpp"
#include "http/url.hpp"

namespace dbsafe::http {

bool is_secret_header(std::string_view name) {
  std::string n(name);
  for (char &c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return n == "authorization" || n == "proxy-authorization" || n == "cookie" || n == "set-cookie" ||
         n.find("key") != std::string::npos || n.find("token") != std::string::npos ||
         n.find("secret") != std::string::npos;
}

void Secrets::add(std::string_view value) {
  auto push = [&](std::string_view v) {
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    if (v.size() < 4) return;
    if (std::find(values_.begin(), values_.end(), v) == values_.end()) values_.emplace_back(v);
  };
  push(value);
  // "Bearer <token>", "Basic <credentials>": the credential alone too.
  std::size_t space = value.find(' ');
  if (space != std::string_view::npos) push(value.substr(space + 1));
  // Longest first, so a secret that contains another is masked whole.
  std::sort(values_.begin(), values_.end(),
            [](const std::string &a, const std::string &b) { return a.size() > b.size(); });
}

std::string Secrets::scrub(std::string_view text) const {
  std::string out(text);
  for (const std::string &secret : values_) {
    std::size_t pos = 0;
    while ((pos = out.find(secret, pos)) != std::string::npos) {
      out.replace(pos, secret.size(), "***");
      pos += 3;
    }
  }
  return out;
}

Secrets secrets_of(const Request &request) {
  Secrets secrets;
  secrets.add(request.bearer_token);
  for (const Header &h : request.headers)
    if (is_secret_header(h.name)) secrets.add(h.value);
  // user:password@ in the URL (it is refused, but its message must not leak it).
  std::size_t scheme = request.url.find("://");
  std::size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  std::size_t at = request.url.find('@', start);
  std::size_t end = request.url.find_first_of("/?#", start);
  if (at != std::string::npos && (end == std::string::npos || at < end)) {
    std::string userinfo = request.url.substr(start, at - start);
    std::size_t colon = userinfo.find(':');
    if (colon != std::string::npos) {
      secrets.add(userinfo.substr(colon + 1));
      secrets.add(percent_decode(userinfo.substr(colon + 1)));
    }
  }
  return secrets;
}

}  // namespace dbsafe::http
