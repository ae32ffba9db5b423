// URLs as the HTTP client needs them: parsing, the form safe to show in a
// message or log line, and the proxy a URL goes through.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dbsafe::http {

struct Url {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // without brackets for IPv6 literals
  std::uint16_t port = 0;
  std::string target;    // path and query, "/" when empty; never a fragment
  std::string userinfo;  // "user:password" as written (percent-encoded); empty when absent

  bool tls() const noexcept { return scheme == "https"; }
  bool default_port() const noexcept { return port == (tls() ? 443 : 80); }
  // host, bracketed when it is an IPv6 literal, plus ":port" unless default
  // (the Host header's value).
  std::string authority() const;
};

// Parses an absolute http:// or https:// URL. Throws Error(Invalid) naming
// what is wrong, with the URL's secrets redacted.
Url parse_url(std::string_view url);

// Whether `host` is an IPv4 or IPv6 literal (no SNI, IP address checks).
bool is_ip_literal(std::string_view host);

// The URL as it may appear in a message: no user information, and the values
// of query parameters whose names suggest a secret (key, token, secret,
// password, signature, auth, credential, session) replaced by "***".
std::string redact_url(std::string_view url);
std::string redact_url(const Url &url);

// Picks the proxy for `target` from an HTTPS_PROXY-style value and a
// NO_PROXY-style list ("*", host names, ".suffix" or "suffix" for a domain
// and its subdomains, IP literals; ports in entries are ignored). Plain
// http:// targets never use it. Returns nullopt for a direct connection.
std::optional<Url> select_proxy(const Url &target, std::string_view https_proxy,
                                std::string_view no_proxy);

// Percent-decodes `text` ("%41" -> "A"); malformed escapes stay as written.
std::string percent_decode(std::string_view text);

}  // namespace dbsafe::http
