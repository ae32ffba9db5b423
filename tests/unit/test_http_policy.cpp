// The HTTP client's pure parts: URLs, redaction, proxy choice, retry policy.
#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "dbsafe/error.hpp"
#include "http/client.hpp"
#include "http/json.hpp"
#include "http/redact.hpp"
#include "http/retry.hpp"
#include "http/url.hpp"

namespace dbsafe::http {
namespace {

using namespace std::chrono_literals;

TEST(HttpUrl, ParsesSchemesHostsPortsAndTargets) {
  Url u = parse_url("HTTPS://Console.Neon.Tech/api/v2/projects?limit=5#frag");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "console.neon.tech");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.target, "/api/v2/projects?limit=5");
  EXPECT_EQ(u.authority(), "console.neon.tech");

  u = parse_url("http://[::1]:8080");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.target, "/");
  EXPECT_EQ(u.authority(), "[::1]:8080");
  EXPECT_EQ(parse_url("https://h?x=1").target, "/?x=1");

  for (const char *bad : {"ftp://h/", "h/path", "https:///p", "https://h:0/", "https://h:99999/",
                          "https://h:12a/", "https://h/a b"})
    EXPECT_THROW(parse_url(bad), Error) << bad;
  try {
    parse_url("https://u:hunter22@h:x/");
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Invalid);
    EXPECT_EQ(std::string(e.message()).find("hunter22"), std::string::npos) << e.message();
  }
}

TEST(HttpUrl, RedactsCredentialsAndSecretQueryValues) {
  EXPECT_EQ(redact_url(std::string_view("https://u:pw@h/p?api_key=abc&limit=5&Token=x&q=k")),
            "https://h/p?api_key=***&limit=5&Token=***&q=k");
  EXPECT_EQ(redact_url(parse_url("https://h:8443/p?access_token=zz")),
            "https://h:8443/p?access_token=***");
  EXPECT_EQ(redact_url(std::string_view("https://h/p")), "https://h/p");
}

TEST(HttpUrl, SelectsTheProxyUnlessNoProxyMatches) {
  Url target = parse_url("https://console.neon.tech/api");
  EXPECT_FALSE(select_proxy(target, "", ""));
  auto p = select_proxy(target, "proxy.corp:3128", "");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->host, "proxy.corp");
  EXPECT_EQ(p->port, 3128);
  EXPECT_FALSE(select_proxy(target, "http://p:1", "localhost, .neon.tech"));
  EXPECT_FALSE(select_proxy(target, "http://p:1", "neon.tech"));
  EXPECT_FALSE(select_proxy(target, "http://p:1", "console.neon.tech:443"));
  EXPECT_FALSE(select_proxy(target, "http://p:1", "*"));
  EXPECT_TRUE(select_proxy(target, "http://p:1", "eon.tech,other.com"));
  EXPECT_FALSE(select_proxy(parse_url("https://[::1]/"), "http://p:1", "[::1]"));
  // Plain http:// never goes through the HTTPS proxy.
  EXPECT_FALSE(select_proxy(parse_url("http://h/"), "http://p:1", ""));
  EXPECT_THROW(select_proxy(target, "https://p:1", ""), Error);
}

TEST(HttpRedact, ScrubsEverySecretARequestCarries) {
  Request r;
  r.url = "https://user:p%40ss@h/";
  r.bearer_token = "neon-key-123";
  r.headers = {{"X-Api-Key", "other-secret"}, {"Accept", "application/json"}};
  Secrets s = secrets_of(r);
  EXPECT_EQ(s.scrub("neon-key-123 / Bearer neon-key-123 / other-secret / p@ss / p%40ss / json"),
            "*** / Bearer *** / *** / *** / *** / json");
  EXPECT_TRUE(is_secret_header("authorization"));
  EXPECT_TRUE(is_secret_header("Proxy-Authorization"));
  EXPECT_FALSE(is_secret_header("Content-Type"));
}

TEST(HttpRetry, RetryableStatusesDependOnIdempotency) {
  for (int status : {423, 429, 503}) {
    EXPECT_TRUE(retryable_status(status, true)) << status;
    EXPECT_TRUE(retryable_status(status, false)) << status;
  }
  for (int status : {500, 502, 504}) {
    EXPECT_TRUE(retryable_status(status, true)) << status;
    EXPECT_FALSE(retryable_status(status, false)) << status;
  }
  for (int status : {200, 400, 401, 404, 409, 501})
    EXPECT_FALSE(retryable_status(status, true)) << status;
  EXPECT_TRUE(is_idempotent(Method::Put));
  EXPECT_TRUE(is_idempotent(Method::Delete));
  EXPECT_FALSE(is_idempotent(Method::Post));
  EXPECT_FALSE(is_idempotent(Method::Patch));
  Request post;
  post.method = Method::Post;
  EXPECT_FALSE(post.is_idempotent());
  post.idempotent = true;
  EXPECT_TRUE(post.is_idempotent());
}

TEST(HttpRetry, BackoffIsJitteredAndCapped) {
  std::mt19937_64 rng(42);
  for (int retry = 1; retry <= 40; ++retry) {
    auto d = backoff_delay(retry, 100ms, 5s, rng);
    EXPECT_GE(d, 0ms);
    EXPECT_LE(d, std::min<std::chrono::milliseconds>(5s, 100ms * (1LL << std::min(retry - 1, 20))));
  }
  std::chrono::milliseconds total{0};
  for (int i = 0; i < 200; ++i) total += backoff_delay(3, 100ms, 5s, rng);
  EXPECT_GT(total, 200 * 100ms);  // mean 200 ms: jitter, not always zero
  EXPECT_LT(total, 200 * 300ms);
  EXPECT_EQ(backoff_delay(3, 0ms, 5s, rng), 0ms);
}

TEST(HttpRetry, ParsesRetryAfter) {
  using std::chrono::system_clock;
  // 1994-11-06 08:49:37 UTC
  auto now = system_clock::time_point(std::chrono::seconds(784111777));
  EXPECT_EQ(parse_retry_after("120", now), 120s);
  EXPECT_EQ(parse_retry_after(" 0 ", now), 0s);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now), 10s);
  EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:50:37 GMT", now), 60s);
  EXPECT_EQ(parse_retry_after("Sun Nov  6 08:49:39 1994", now), 2s);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now), 0s);
  EXPECT_EQ(parse_retry_after("99999999999999999999", now), std::chrono::hours(24 * 365));
  for (const char *bad : {"", "soon", "-5", "1.5", "Sun, 32 Nov 1994 08:49:37 GMT"})
    EXPECT_FALSE(parse_retry_after(bad, now)) << bad;
}

TEST(HttpJson, ServerMessageAndStatusError) {
  EXPECT_EQ(server_message(R"({"code":"x","message":"branch\nnot found"})"), "branch not found");
  EXPECT_EQ(server_message(R"({"error":{"message":"quota"}})"), "quota");
  EXPECT_EQ(server_message("plain text"), "plain text");
  EXPECT_EQ(server_message("<html>oops</html>"), "");
  EXPECT_EQ(server_message(""), "");
  EXPECT_LE(server_message(std::string(1000, 'a')).size(), 310u);

  Request r;
  r.method = Method::Delete;
  r.url = "https://h/api/v2/projects/p/branches/b?token=t0ken-value";
  r.bearer_token = "t0ken-value";
  Response res;
  res.status = 404;
  res.reason = "Not Found";
  res.attempts = 1;
  res.body = R"({"message":"no branch b for t0ken-value"})";
  Error e = status_error(r, res);
  EXPECT_EQ(e.code(), ErrorCode::Http);
  EXPECT_EQ(e.http_status(), 404);
  EXPECT_EQ(e.message(),
            "DELETE https://h/api/v2/projects/p/branches/b?token=*** returned 404 Not Found: "
            "no branch b for ***");
  res.status = 403;
  EXPECT_EQ(status_error(r, res).code(), ErrorCode::Auth);

  JsonDocument doc = JsonDocument::parse(R"({"a":[1,2]})", "test");
  EXPECT_EQ(doc.root()["a"].get_array().size(), 2u);
  EXPECT_THROW(JsonDocument::parse("{", "test"), Error);
}

}  // namespace
}  // namespace dbsafe::http
