// libFuzzer target: any bytes as a database URL or an API URL: Prisma-style
// URL parsing (libpq's URI and key=value forms plus Prisma's own query
// parameters), the rewrite to another database, the redaction used in every
// message, and the HTTP client's URL parser and proxy selection.
//
// Properties checked besides not crashing:
// - a URL parse_target accepts can be pointed at another database, and libpq
//   accepts the result;
// - a password written in URI form never survives redaction.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dbsafe/error.hpp"
#include "http/url.hpp"
#include "pg/connection.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace dbsafe;
  std::string text(reinterpret_cast<const char *>(data), size);
  // libpq reads C strings: what follows a nul byte is not part of the URL.
  std::string url = text.substr(0, text.find('\0'));

  (void)pg::redact(url);
  std::optional<pg::Target> target;
  try {
    target = pg::parse_target(url);
  } catch (const Error &) {
  }
  if (target) {
    // An accepted URL can be pointed at another database (the shadow and
    // scratch databases are made this way), and libpq accepts the result.
    try {
      std::string other = pg::with_database(target->conninfo, "dbsafe_fuzz's \\db");
      if (pg::parse_target(other).conninfo != other) __builtin_trap();
    } catch (const Error &) {
      __builtin_trap();
    }
  }

  // A known password in a URI-form URL built around the input: redact must
  // hide it whatever the rest of the URL holds. The input may spell the
  // canary itself (in the host, where it is no secret), so the redacted URL
  // may hold it only as often as the input's part does.
  std::string secret = "Pw-canary-91";
  std::string host_part = url.substr(0, url.find_first_of("@/?#"));
  std::string uri = "postgresql://user:" + secret + "@" + host_part + "/db";
  auto occurrences = [&](const std::string &s) {
    std::size_t n = 0;
    for (auto at = s.find(secret); at != std::string::npos; at = s.find(secret, at + 1)) ++n;
    return n;
  };
  if (occurrences(pg::redact(uri)) > occurrences(host_part)) __builtin_trap();

  try {
    http::Url u = http::parse_url(text);
    (void)u.authority();
    (void)http::redact_url(u);
    (void)http::select_proxy(u, "http://proxy.example:3128", "localhost,.internal");
  } catch (const Error &) {
  }
  (void)http::redact_url(std::string_view(text));
  (void)http::is_ip_literal(text);
  (void)http::percent_decode(text);
  return 0;
}
