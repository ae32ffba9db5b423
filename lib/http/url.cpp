#include "http/url.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "dbsafe/error.hpp"

namespace dbsafe::http {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char &c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool secret_param_name(std::string_view name) {
  std::string n = lower(percent_decode(name));
  for (std::string_view word : {"key", "token", "secret", "password", "passwd", "signature", "sig",
                                "auth", "credential", "session"})
    if (n.find(word) != std::string::npos) return true;
  return false;
}

// The query string with secret-looking parameter values masked.
std::string redact_query(std::string_view query) {
  std::string out;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view param = query.substr(start, end - start);
    std::size_t eq = param.find('=');
    if (start > 0) out += '&';
    if (eq != std::string_view::npos && secret_param_name(param.substr(0, eq))) {
      out += param.substr(0, eq);
      out += "=***";
    } else {
      out += param;
    }
    start = end + 1;
  }
  return out;
}

std::string redact_target(std::string_view target) {
  std::size_t q = target.find('?');
  if (q == std::string_view::npos) return std::string(target);
  return std::string(target.substr(0, q + 1)) + redact_query(target.substr(q + 1));
}

[[noreturn]] void invalid(std::string_view url, const std::string &why) {
  throw Error(ErrorCode::Invalid, "invalid URL '" + redact_url(url) + "': " + why);
}

bool host_matches(std::string_view host, std::string_view entry) {
  if (entry.empty()) return false;
  if (entry == "*") return true;
  if (entry.front() == '.') entry.remove_prefix(1);
  if (host == entry) return true;
  return host.size() > entry.size() && host.substr(host.size() - entry.size()) == entry &&
         host[host.size() - entry.size() - 1] == '.';
}

}  // namespace

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned value = 0;
    if (text[i] == '%' && i + 2 < text.size() &&
        std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16).ptr ==
            text.data() + i + 3) {
      out += static_cast<char>(value);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool is_ip_literal(std::string_view host) {
  std::string h(host);
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

std::string Url::authority() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (!default_port()) out += ":" + std::to_string(port);
  return out;
}

Url parse_url(std::string_view url) {
  Url out;
  std::size_t colon = url.find("://");
  if (colon == std::string_view::npos) invalid(url, "expected http:// or https://");
  out.scheme = lower(url.substr(0, colon));
  if (out.scheme != "http" && out.scheme != "https")
    invalid(url, "the scheme must be http or https, not '" + out.scheme + "'");
  std::string_view rest = url.substr(colon + 3);
  std::size_t fragment = rest.find('#');
  if (fragment != std::string_view::npos) rest = rest.substr(0, fragment);
  std::size_t path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view target =
      path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  out.target = target.empty()          ? "/"
               : target.front() == '?' ? "/" + std::string(target)
                                       : std::string(target);
  std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    out.userinfo = std::string(authority.substr(0, at));
    authority = authority.substr(at + 1);
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) invalid(url, "unterminated IPv6 address");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') invalid(url, "unexpected text after the IPv6 address");
      port_text = after.substr(1);
    }
  } else {
    std::size_t port_colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, port_colon));
    if (port_colon != std::string_view::npos) port_text = authority.substr(port_colon + 1);
  }
  out.host = lower(out.host);
  if (out.host.empty()) invalid(url, "no host name");
  for (char c : out.host)
    if (std::isspace(static_cast<unsigned char>(c)) || c == '/' || c == '\\')
      invalid(url, "the host name holds a character it may not hold");
  out.port = out.tls() ? 443 : 80;
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535)
      invalid(url, "the port must be a number from 1 to 65535");
    out.port = static_cast<std::uint16_t>(value);
  }
  for (char c : out.target)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      invalid(url, "the path holds a space or control character; percent-encode it");
  return out;
}

std::string redact_url(const Url &url) {
  return url.scheme + "://" + url.authority() + redact_target(url.target);
}

std::string redact_url(std::string_view url) {
  // Works on malformed input too: it is used to describe bad URLs.
  std::size_t colon = url.find("://");
  std::size_t authority_start = colon == std::string_view::npos ? 0 : colon + 3;
  std::size_t path_start = url.find_first_of("/?#", authority_start);
  std::string_view authority = url.substr(authority_start, path_start == std::string_view::npos
                                                               ? std::string_view::npos
                                                               : path_start - authority_start);
  std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority = authority.substr(at + 1);
  std::string out(url.substr(0, authority_start));
  out += authority;
  if (path_start != std::string_view::npos) {
    std::string_view tail = url.substr(path_start);
    std::size_t fragment = tail.find('#');
    out += redact_target(tail.substr(0, fragment));
  }
  return out;
}

std::optional<Url> select_proxy(const Url &target, std::string_view https_proxy,
                                std::string_view no_proxy) {
  if (!target.tls() || https_proxy.empty()) return std::nullopt;
  std::size_t start = 0;
  while (start <= no_proxy.size()) {
    std::size_t end = no_proxy.find(',', start);
    if (end == std::string_view::npos) end = no_proxy.size();
    std::string entry = lower(no_proxy.substr(start, end - start));
    entry.erase(0, entry.find_first_not_of(" \t"));
    entry.erase(entry.find_last_not_of(" \t") + 1);
    if (!entry.empty() && entry.front() == '[') {
      entry = entry.substr(1, entry.find(']') - 1);
    } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
      entry = entry.substr(0, entry.find(':'));
    }
    if (host_matches(target.host, entry)) return std::nullopt;
    start = end + 1;
  }
  std::string proxy(https_proxy);
  if (proxy.find("://") == std::string::npos) proxy = "http://" + proxy;
  Url url = parse_url(proxy);
  if (url.tls())
    throw Error(ErrorCode::Invalid, "the proxy " + redact_url(url) +
                                        " uses https://, which dbsafe does not support; give "
                                        "the proxy as http://host:port");
  return url;
}

}  // namespace dbsafe::http
