// Keeps secrets out of messages: the client scrubs every text it produces
// (error messages, log lines, and server error messages it quotes) of the
// secrets a request carries.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dbsafe::http {

struct Request;

// Header names whose values are secrets (Authorization, Proxy-Authorization,
// Cookie, and any name containing "key", "token" or "secret").
bool is_secret_header(std::string_view name);

// A set of secret strings to mask in text.
class Secrets {
 public:
  // Adds `value` and, for "Bearer x" / "Basic x" style values, the credential
  // part alone. Values shorter than 4 characters are ignored (masking them
  // would garble ordinary text).
  void add(std::string_view value);
  // `text` with every occurrence of every secret replaced by "***".
  std::string scrub(std::string_view text) const;
  bool empty() const noexcept { return values_.empty(); }

 private:
  std::vector<std::string> values_;
};

// The secrets `request` carries: its bearer token, the values of its secret
// headers (is_secret_header) and the password in its URL.
Secrets secrets_of(const Request &request);

}  // namespace dbsafe::http
