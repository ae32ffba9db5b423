// libFuzzer target: any bytes as the answer of an HTTP server, read by the
// real client (Boost.Beast's parser, interim answers, keep-alive, body and
// header limits), then everything dbsafe does with an answer: the error for
// a failed status with the server's own message, JSON parsing, Retry-After.
//
// Input: byte 0 picks the method (GET, HEAD, POST); the rest is sent back
// byte for byte and the connection closed.
//
// Besides not crashing, one property is checked: the request's bearer token
// never appears in an error message, even when the server echoes it.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "http/client.hpp"
#include "http/json.hpp"
#include "http/retry.hpp"

namespace {

constexpr std::string_view kToken = "fuzz-canary-token-5b1d";

void must_not_leak(const std::string &text) {
  if (text.find(kToken) != std::string::npos) __builtin_trap();
}

}  // namespace

// The requests go to a plain-HTTP loopback server: loading the system's CA
// certificates for every client the target makes would take most of the time,
// and a proxy set on the fuzzing machine must not receive the requests.
extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  ::setenv("SSL_CERT_FILE", "/nonexistent", 1);
  ::setenv("SSL_CERT_DIR", "/nonexistent", 1);
  for (const char *name : {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"})
    ::unsetenv(name);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace dbsafe;
  static fuzz::LoopbackServer server;
  static http::Client client([] {
    http::ClientOptions o;
    o.max_retries = 0;
    o.proxy = "";
    o.no_proxy = "";
    // A well-formed answer never waits for these; they bound the cases the
    // server's closing the connection does not end.
    o.connect_timeout = std::chrono::milliseconds(2000);
    o.read_timeout = std::chrono::milliseconds(2000);
    o.total_timeout = std::chrono::milliseconds(5000);
    o.max_body_bytes = 1 << 20;
    return o;
  }());
  if (size == 0) return 0;
  static const http::Method methods[] = {http::Method::Get, http::Method::Head, http::Method::Post};
  http::Request request;
  request.method = methods[data[0] % 3];
  request.url = server.base_url() + "/api/v2/projects/p/branches?limit=10";
  request.bearer_token = std::string(kToken);
  if (request.method == http::Method::Post) request.body = "{\"branch\":{}}";
  server.raw(std::string(reinterpret_cast<const char *>(data) + 1, size - 1));
  try {
    http::Response response = client.request(request, CallContext());
    if (!response.ok()) {
      Error e = http::status_error(request, response);
      must_not_leak(e.message());
      must_not_leak(e.detail_json());
    }
    if (auto after = response.header("Retry-After"))
      (void)http::parse_retry_after(*after, std::chrono::system_clock::now());
    try {
      auto doc = http::parse_json(request, response);
      (void)doc.root().type();
    } catch (const Error &e) {
      must_not_leak(e.message());
    }
  } catch (const Error &e) {
    must_not_leak(e.message());
  }
  return 0;
}
