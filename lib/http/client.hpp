// An HTTPS client for dbsafe's API calls (the Neon provider): TLS with the
// system trust store plus an optional CA file, SNI and host-name
// verification, keep-alive, connect / read / total timeouts, retries with
// backoff, HTTPS_PROXY through CONNECT, and cancellation through the
// CallContext. Secrets a request carries never appear in an error or a log
// line.
//
// This header is free of Boost and OpenSSL types: the implementation lives
// in client.cpp alone.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbsafe/call.hpp"
#include "dbsafe/error.hpp"

namespace dbsafe::http {

enum class Method { Get, Head, Post, Put, Patch, Delete, Options };

// "GET", "POST", …
std::string_view method_name(Method method) noexcept;
// GET, HEAD, PUT, DELETE and OPTIONS are idempotent (RFC 9110 section 9.2.2).
bool is_idempotent(Method method) noexcept;
// Case-insensitive ASCII comparison, as header names compare.
bool iequals(std::string_view a, std::string_view b) noexcept;

struct Header {
  std::string name;
  std::string value;
};

struct Request {
  Method method = Method::Get;
  std::string url;  // absolute http:// or https:// URL
  std::vector<Header> headers;
  std::string body;
  // Sent as "Authorization: Bearer <token>" and nowhere else; masked in
  // every message the client writes.
  std::string bearer_token;
  // Whether sending the request twice has the effect of sending it once;
  // decides which failures are retried. Default: by method.
  std::optional<bool> idempotent;

  bool is_idempotent() const { return idempotent.value_or(http::is_idempotent(method)); }
};

struct Response {
  int status = 0;
  std::string reason;
  std::vector<Header> headers;
  std::string body;
  int attempts = 0;  // how many times the request was sent

  bool ok() const noexcept { return status >= 200 && status < 300; }
  // The first header named `name` (case-insensitive), if any.
  std::optional<std::string_view> header(std::string_view name) const;
};

struct ClientOptions {
  // A PEM file of extra CA certificates, trusted besides the system store.
  std::string ca_file;
  // Turning this off disables certificate and host-name checks (logged as a
  // warning on every connection). Only for tests against throwaway servers.
  bool verify_peer = true;
  // Each of: TCP connect (with DNS), the proxy tunnel, the TLS handshake.
  std::chrono::milliseconds connect_timeout{10'000};
  // Longest wait for the next bytes of a response (and for sending).
  std::chrono::milliseconds read_timeout{30'000};
  // One request, every attempt and backoff included.
  std::chrono::milliseconds total_timeout{120'000};
  // Attempts after the first. Waits between attempts: what Retry-After asks
  // for, else exponential backoff with full jitter from backoff_base, capped
  // at backoff_max; a wait that would pass total_timeout ends the retries.
  int max_retries = 4;
  std::chrono::milliseconds backoff_base{500};
  std::chrono::milliseconds backoff_max{20'000};
  // http://[user:password@]host:port of an HTTPS proxy. nullopt: from
  // HTTPS_PROXY / https_proxy; "": no proxy.
  std::optional<std::string> proxy;
  // Hosts that bypass the proxy. nullopt: from NO_PROXY / no_proxy.
  std::optional<std::string> no_proxy;
  std::string user_agent = "dbsafe";
  std::size_t max_body_bytes = 64u << 20;
};

// Thread safety: a Client serves one request at a time; use one Client per
// thread. Cancelling through the CallContext's token works from any thread.
class Client {
 public:
  // Throws Error(Invalid) for an unreadable CA file or a bad proxy URL.
  explicit Client(ClientOptions options = {});
  Client(Client &&) noexcept;
  Client &operator=(Client &&) noexcept;
  ~Client();

  // Sends `request` and returns the final response whatever its status (see
  // status_error). Retried: 423, 429 and 503 answers; for idempotent
  // requests also 500, 502, 504, timeouts and connections lost after the
  // request went out; for any request, connections that failed before it
  // went out. A keep-alive connection the server closed while idle is
  // reopened once without counting as an attempt. Redirects are returned,
  // not followed. Throws Error with:
  // Invalid for a bad URL; Connect when the server, or the proxy, cannot be
  // reached or its certificate is refused; Timeout when a connect, TLS,
  // read or the total timeout expires; Http for a malformed or oversized
  // response; Cancelled / Timeout from the CallContext.
  Response request(const Request &request, const CallContext &ctx);

  // Keep-alive connections held for reuse (for tests and diagnostics).
  std::size_t open_connections() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The error for a response that is not a success: Error(Auth) for 401 and
// 403, Error(Http) otherwise, with the HTTP status,
// the method, the redacted URL, the attempts and the server's own message
// (from a JSON "message" / "error" field, or the start of a text body),
// scrubbed of the request's secrets.
Error status_error(const Request &request, const Response &response);

}  // namespace dbsafe::http
