// The HTTPS client against an in-process server with a throwaway CA: TLS
// trust and host names, keep-alive, timeouts, the retry policy, cancellation,
// the CONNECT proxy, and the API key never leaking into messages.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dbsafe/call.hpp"
#include "dbsafe/error.hpp"
#include "http/client.hpp"
#include "http/json.hpp"
#include "support/https_test_server.hpp"
#include "support/temp_dir.hpp"

namespace dbsafe {
namespace {

using namespace std::chrono_literals;
using testing::HttpsTestServer;
using testing::SeenRequest;
using testing::TestPki;
using testing::TestReply;
using Clock = std::chrono::steady_clock;

// The API key every request carries; it must show up in the Authorization
// header and nowhere else.
constexpr const char *kCanary = "dbsafe-canary-7f3a9c2e51";

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

long long ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// Sets (or, with nullptr, unsets) an environment variable for a scope.
class ScopedEnv {
 public:
  ScopedEnv(const char *name, const char *value) : name_(name) {
    if (const char *old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char *name_;
  std::optional<std::string> old_;
};

// Answers with `status` the first `times` requests, then 200.
testing::TestHandler fail_then_ok(int status, int times,
                                  std::vector<std::pair<std::string, std::string>> headers = {}) {
  auto count = std::make_shared<std::atomic<int>>(0);
  return [=](const SeenRequest &) {
    TestReply reply;
    if (count->fetch_add(1) < times) {
      reply.status = status;
      reply.headers = headers;
      reply.body = R"({"message":"try again"})";
    } else {
      reply.body = R"({"ok":true})";
    }
    return reply;
  };
}

class HttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir;
    pki_ = new TestPki(dir_->str());
  }
  static void TearDownTestSuite() {
    delete pki_;
    delete dir_;
  }

  void SetUp() override {
    call_.log = [this](LogLevel, std::string_view component, std::string_view message) {
      std::lock_guard<std::mutex> lock(log_mu_);
      logs_.push_back(std::string(component) + ": " + std::string(message));
    };
  }

  void TearDown() override {
    for (const std::string &line : logs_) EXPECT_FALSE(contains(line, kCanary)) << line;
  }

  // Fast retries, no proxy from the environment, the test CA trusted.
  http::ClientOptions options() const {
    http::ClientOptions o;
    o.ca_file = pki_->ca_file();
    o.connect_timeout = 2s;
    o.read_timeout = 2s;
    o.total_timeout = 5s;
    o.backoff_base = 10ms;
    o.backoff_max = 40ms;
    o.proxy = "";
    o.no_proxy = "";
    return o;
  }

  static http::Request request(http::Method method, std::string url, std::string body = "") {
    http::Request r;
    r.method = method;
    r.url = std::move(url);
    r.bearer_token = kCanary;
    r.body = std::move(body);
    if (!r.body.empty()) r.headers.push_back({"Content-Type", "application/json"});
    return r;
  }

  http::Response send(http::Client &client, const http::Request &r) {
    CallContext ctx(call_);
    return client.request(r, ctx);
  }

  // The Error `r` fails with; checks it does not hold the API key.
  Error failure(http::Client &client, const http::Request &r) {
    try {
      send(client, r);
    } catch (const Error &e) {
      EXPECT_FALSE(contains(e.message(), kCanary)) << e.message();
      return e;
    }
    ADD_FAILURE() << "the request succeeded";
    return Error(ErrorCode::Ok, "");
  }

  std::vector<std::string> logs() {
    std::lock_guard<std::mutex> lock(log_mu_);
    return logs_;
  }

  static testing::TempDir *dir_;
  static TestPki *pki_;
  CallOptions call_;
  std::mutex log_mu_;
  std::vector<std::string> logs_;
};

testing::TempDir *HttpTest::dir_ = nullptr;
TestPki *HttpTest::pki_ = nullptr;

TEST_F(HttpTest, GetsJsonOverTls) {
  HttpsTestServer server(&pki_->localhost());
  server.handle([](const SeenRequest &) {
    return TestReply{200,
                     {{"Content-Type", "application/json"}},
                     R"({"branch":{"id":"br-1","name":"main"},"count":2})"};
  });
  http::Client client(options());
  auto req = request(http::Method::Get, server.url("/api/v2/projects/p1/branches"));
  http::Response res = send(client, req);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.attempts, 1);
  EXPECT_EQ(res.header("content-type").value_or(""), "application/json");
  http::JsonDocument doc = http::parse_json(req, res);
  std::string_view name;
  ASSERT_EQ(doc.root()["branch"]["name"].get(name), simdjson::SUCCESS);
  EXPECT_EQ(name, "main");

  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].target, "/api/v2/projects/p1/branches");
  EXPECT_EQ(seen[0].header("Authorization"), std::string("Bearer ") + kCanary);
  EXPECT_EQ(seen[0].header("Accept-Encoding"), "identity");
  EXPECT_EQ(seen[0].header("Host"), "localhost:" + std::to_string(server.port()));
  EXPECT_EQ(seen[0].header("User-Agent"), "dbsafe");
}

TEST_F(HttpTest, PostsJsonBody) {
  HttpsTestServer server(&pki_->localhost());
  server.handle([](const SeenRequest &r) { return TestReply{201, {}, r.body}; });
  http::Client client(options());
  std::string body = R"({"branch":{"name":"preview"}})";
  http::Response res = send(client, request(http::Method::Post, server.url("/b"), body));
  EXPECT_EQ(res.status, 201);
  EXPECT_EQ(res.body, body);
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].body, body);
  EXPECT_EQ(seen[0].header("Content-Length"), std::to_string(body.size()));
  EXPECT_EQ(seen[0].header("Content-Type"), "application/json");
}

TEST_F(HttpTest, PlainHttpWorks) {
  HttpsTestServer server(nullptr);
  http::Client client(options());
  EXPECT_EQ(send(client, request(http::Method::Get, server.url("/x"))).status, 200);
}

TEST_F(HttpTest, KeepAliveReusesTheConnection) {
  HttpsTestServer server(&pki_->localhost());
  http::Client client(options());
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(send(client, request(http::Method::Get, server.url("/k"))).status, 200);
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(client.open_connections(), 1u);
}

TEST_F(HttpTest, ReopensAConnectionTheServerClosedWhileIdle) {
  HttpsTestServer server(&pki_->localhost());
  server.handle([](const SeenRequest &r) {
    TestReply reply;
    if (r.connection == 1) reply.kind = TestReply::Kind::AnswerThenClose;
    return reply;
  });
  http::Client client(options());
  EXPECT_EQ(send(client, request(http::Method::Get, server.url("/1"))).status, 200);
  for (int i = 0; i < 100 && server.closed_connections() == 0; ++i)
    std::this_thread::sleep_for(10ms);
  // Even a POST goes out on a fresh connection, as a first attempt.
  http::Response res = send(client, request(http::Method::Post, server.url("/2"), "{}"));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.attempts, 1);
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(server.requests().size(), 2u);
}

// Answers normally, except that the second request on the first connection
// gets the connection closed instead, as when a server closes an idle
// keep-alive connection just as a request leaves.
testing::TestHandler drop_second_request_on_first_connection() {
  auto seen_on_first = std::make_shared<std::atomic<int>>(0);
  return [seen_on_first](const SeenRequest &r) {
    TestReply reply;
    if (r.connection == 1 && seen_on_first->fetch_add(1) == 1)
      reply.kind = TestReply::Kind::CloseWithoutAnswer;
    return reply;
  };
}

TEST_F(HttpTest, ResendsOnAKeepAliveConnectionDroppedUnderTheRequest) {
  HttpsTestServer server(&pki_->localhost());
  server.handle(drop_second_request_on_first_connection());
  http::Client client(options());
  EXPECT_EQ(send(client, request(http::Method::Get, server.url("/1"))).status, 200);
  http::Response res = send(client, request(http::Method::Get, server.url("/2")));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.attempts, 1);
  EXPECT_EQ(server.connections(), 2);

  // A POST may have been applied: it is not resent.
  HttpsTestServer again(&pki_->localhost());
  again.handle(drop_second_request_on_first_connection());
  http::Client poster(options());
  EXPECT_EQ(send(poster, request(http::Method::Get, again.url("/1"))).status, 200);
  Error e = failure(poster, request(http::Method::Post, again.url("/2"), "{}"));
  EXPECT_EQ(e.code(), ErrorCode::Connect);
  EXPECT_TRUE(contains(e.message(), "not retried")) << e.message();
  EXPECT_EQ(again.requests().size(), 2u);
}

TEST_F(HttpTest, TrustsTheSystemStore) {
  HttpsTestServer server(&pki_->localhost());
  http::ClientOptions o = options();
  o.ca_file.clear();
  {
    // OpenSSL's default verify paths honour SSL_CERT_FILE: the test CA stands
    // in for the system store.
    ScopedEnv cert_file("SSL_CERT_FILE", pki_->ca_file().c_str());
    http::Client client(o);
    EXPECT_EQ(send(client, request(http::Method::Get, server.url("/"))).status, 200);
  }
  http::Client client(o);
  Error e = failure(client, request(http::Method::Get, server.url("/")));
  EXPECT_EQ(e.code(), ErrorCode::Connect);
  EXPECT_TRUE(contains(e.message(), "not trusted")) << e.message();
  EXPECT_TRUE(contains(e.message(), "CA file")) << e.message();
}

TEST_F(HttpTest, RejectsACertificateForAnotherHost) {
  HttpsTestServer server(&pki_->wrong_host());
  http::Client client(options());
  Error e = failure(client, request(http::Method::Get, server.url("/")));
  EXPECT_EQ(e.code(), ErrorCode::Connect);
  EXPECT_TRUE(contains(e.message(), "does not match the host name localhost")) << e.message();
  EXPECT_TRUE(server.requests().empty());
  EXPECT_EQ(server.connections(), 1);  // not retried
}

TEST_F(HttpTest, RejectsAnUntrustedCertificate) {
  HttpsTestServer server(&pki_->untrusted());
  http::Client client(options());
  Error e = failure(client, request(http::Method::Get, server.url("/")));
  EXPECT_EQ(e.code(), ErrorCode::Connect);
  EXPECT_TRUE(contains(e.message(), "is not trusted")) << e.message();
  EXPECT_TRUE(contains(e.message(), "CA file option (ca_file)")) << e.message();
  EXPECT_TRUE(server.requests().empty());
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(HttpTest, ReadTimeoutIsRetriedForGetThenReported) {
  HttpsTestServer server(&pki_->localhost());
  auto count = std::make_shared<std::atomic<int>>(0);
  server.handle([count](const SeenRequest &) {
    TestReply reply;
    if (count->fetch_add(1) == 0) reply.delay = 1500ms;
    return reply;
  });
  http::ClientOptions o = options();
  o.read_timeout = 200ms;
  http::Client client(o);
  http::Response res = send(client, request(http::Method::Get, server.url("/slow")));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.attempts, 2);

  server.handle([](const SeenRequest &) { return TestReply{200, {}, "{}", 1500ms}; });
  o.max_retries = 0;
  http::Client once(o);
  auto start = Clock::now();
  Error e = failure(once, request(http::Method::Get, server.url("/slow?token=abc")));
  EXPECT_EQ(e.code(), ErrorCode::Timeout);
  EXPECT_TRUE(contains(e.message(), "no answer from localhost:")) << e.message();
  EXPECT_TRUE(contains(e.message(), "read timeout of 200 ms")) << e.message();
  EXPECT_TRUE(contains(e.message(), "/slow?token=***")) << e.message();
  EXPECT_LT(ms_since(start), 1000);
}

TEST_F(HttpTest, TotalTimeoutBoundsEveryAttempt) {
  HttpsTestServer server(&pki_->localhost());
  server.handle([](const SeenRequest &) { return TestReply{200, {}, "{}", 3000ms}; });
  http::ClientOptions o = options();
  o.read_timeout = 10s;
  o.total_timeout = 400ms;
  http::Client client(o);
  auto start = Clock::now();
  Error e = failure(client, request(http::Method::Get, server.url("/")));
  EXPECT_EQ(e.code(), ErrorCode::Timeout);
  EXPECT_TRUE(contains(e.message(), "total timeout of 400 ms")) << e.message();
  EXPECT_LT(ms_since(start), 1000);
}

TEST_F(HttpTest, CallTimeoutStopsTheRequest) {
  HttpsTestServer server(&pki_->localhost());
  server.handle([](const SeenRequest &) { return TestReply{200, {}, "{}", 3000ms}; });
  call_.timeout = 300ms;
  http::Client client(options());
  auto start = Clock::now();
  Error e = failure(client, request(http::Method::Get, server.url("/")));
  EXPECT_EQ(e.code(), ErrorCode::Timeout);
  EXPECT_TRUE(contains(e.message(), "waiting for localhost:")) << e.message();
  EXPECT_LT(ms_since(start), 1000);
}

TEST_F(HttpTest, ConnectTimeout) {
  // A listener whose backlog is full: the kernel drops further SYNs, so a
  // connect neither succeeds nor fails.
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr *>(&addr), len), 0);
  ASSERT_EQ(::listen(listener, 0), 0);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr *>(&addr), &len), 0);
  std::vector<int> fillers;
  bool full = false;
  for (int i = 0; i < 16 && !full; ++i) {
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    fillers.push_back(s);
    ::connect(s, reinterpret_cast<sockaddr *>(&addr), len);
    pollfd p{s, POLLOUT, 0};
    full = ::poll(&p, 1, 100) == 0;
  }
  if (full) {
    http::ClientOptions o = options();
    o.connect_timeout = 300ms;
    o.max_retries = 0;
    http::Client client(o);
    auto start = Clock::now();
    Error e =
        failure(client, request(http::Method::Get,
                                "https://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/"));
    EXPECT_EQ(e.code(), ErrorCode::Timeout);
    EXPECT_TRUE(contains(e.message(), "no TCP connection to 127.0.0.1:")) << e.message();
    EXPECT_TRUE(contains(e.message(), "connect timeout of 300 ms")) << e.message();
    EXPECT_LT(ms_since(start), 1000);
  }
  for (int s : fillers) ::close(s);
  ::close(listener);
  if (!full) GTEST_SKIP() << "this kernel accepts past a full backlog";
}

TEST_F(HttpTest, ConnectionRefusedIsRetriedThenReported) {
  int port;
  {
    HttpsTestServer gone(&pki_->localhost());
    port = gone.port();
  }
  http::ClientOptions o = options();
  o.max_retries = 2;
  http::Client client(o);
  Error e = failure(client,
                    request(http::Method::Post, "https://localhost:" + std::to_string(port) + "/"));
  EXPECT_EQ(e.code(), ErrorCode::Connect);
  EXPECT_TRUE(contains(e.message(), "cannot connect to localhost:")) << e.message();
  EXPECT_TRUE(contains(e.message(), "after 3 attempts")) << e.message();
}

TEST_F(HttpTest, RetriesServiceUnavailableHonouringRetryAfter) {
  HttpsTestServer server(&pki_->localhost());
  server.handle(fail_then_ok(503, 1, {{"Retry-After", "1"}}));
  http::Client client(options());
  auto start = Clock::now();
  http::Response res = send(client, request(http::Method::Get, server.url("/r")));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.attempts, 2);
  EXPECT_GE(ms_since(start), 950);
  bool logged = false;
  for (const std::string &line : logs())
    logged |= contains(line, "returned 503 Service Unavailable; retrying in 1 s (attempt 2 of 5)");
  EXPECT_TRUE(logged);
}

TEST_F(HttpTest, RetriesTooManyRequestsWithBackoff) {
  HttpsTestServer server(&pki_->localhost());
  server.handle(fail_then_ok(429, 2));
  http::Client client(options());
  http::Response res = send(client, request(http::Method::Get, server.url("/r")));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.attempts, 3);
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST_F(HttpTest, GivesUpWhenRetryAfterPassesTheTotalTimeout) {
  HttpsTestServer server(&pki_->localhost());
  server.handle(fail_then_ok(503, 100, {{"Retry-After", "3600"}}));
  http::Client client(options());
  auto start = Clock::now();
  auto req = request(http::Method::Get, server.url("/r"));
  http::Response res = send(client, req);
  EXPECT_EQ(res.status, 503);
  EXPECT_EQ(res.attempts, 1);
  EXPECT_LT(ms_since(start), 1000);
  Error e = http::status_error(req, res);
  EXPECT_EQ(e.code(), ErrorCode::Http);
  EXPECT_EQ(e.http_status(), 503);
  EXPECT_TRUE(contains(e.message(), "returned 503 Service Unavailable: try again")) << e.message();
}

TEST_F(HttpTest, RetriesExhaustedReturnTheLastResponse) {
  HttpsTestServer server(&pki_->localhost());
  server.handle(fail_then_ok(502, 100));
  http::ClientOptions o = options();
  o.max_retries = 2;
  http::Client client(o);
  http::Response res = send(client, request(http::Method::Delete, server.url("/d")));
  EXPECT_EQ(res.status, 502);
  EXPECT_EQ(res.attempts, 3);
}

TEST_F(HttpTest, PostIsRetriedOnlyWhenTheServerSaysItWasNotApplied) {
  for (int status : {500, 502, 504}) {
    HttpsTestServer server(&pki_->localhost());
    server.handle(fail_then_ok(status, 1));
    http::Client client(options());
    http::Response res = send(client, request(http::Method::Post, server.url("/p"), "{}"));
    EXPECT_EQ(res.status, status);
    EXPECT_EQ(res.attempts, 1);
    EXPECT_EQ(server.requests().size(), 1u);
  }
  for (int status : {423, 429, 503}) {
    HttpsTestServer server(&pki_->localhost());
    server.handle(fail_then_ok(status, 1));
    http::Client client(options());
    http::Response res = send(client, request(http::Method::Post, server.url("/p"), "{}"));
    EXPECT_EQ(res.status, 200) << status;
    EXPECT_EQ(res.attempts, 2) << status;
  }
}

TEST_F(HttpTest, GetIsRetriedOnServerError) {
  HttpsTestServer server(&pki_->localhost());
  server.handle(fail_then_ok(500, 1));
  http::Client client(options());
  http::Response res = send(client, request(http::Method::Get, server.url("/g")));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.attempts, 2);
}

TEST_F(HttpTest, DroppedConnectionIsRetriedForGetButNotForPost) {
  HttpsTestServer server(&pki_->localhost());
  auto count = std::make_shared<std::atomic<int>>(0);
  server.handle([count](const SeenRequest &) {
    TestReply reply;
    if (count->fetch_add(1) == 0) reply.kind = TestReply::Kind::CloseWithoutAnswer;
    return reply;
  });
  http::Client client(options());
  http::Response res = send(client, request(http::Method::Get, server.url("/g")));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.attempts, 2);

  server.handle([](const SeenRequest &) {
    return TestReply{200, {}, "", 0ms, TestReply::Kind::CloseWithoutAnswer};
  });
  http::Client fresh(options());
  Error e = failure(fresh, request(http::Method::Post, server.url("/p"), "{}"));
  EXPECT_EQ(e.code(), ErrorCode::Connect);
  EXPECT_TRUE(contains(e.message(), "closed the connection without answering")) << e.message();
  EXPECT_TRUE(contains(e.message(), "not retried")) << e.message();
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST_F(HttpTest, TruncatedBodyIsAnError) {
  HttpsTestServer server(&pki_->localhost());
  server.handle([](const SeenRequest &) {
    return TestReply{200, {}, std::string(1000, 'x'), 0ms, TestReply::Kind::TruncatedBody};
  });
  http::ClientOptions o = options();
  o.max_retries = 1;
  http::Client client(o);
  Error e = failure(client, request(http::Method::Get, server.url("/t")));
  EXPECT_EQ(e.code(), ErrorCode::Connect);
  EXPECT_TRUE(contains(e.message(), "closed before the whole answer arrived")) << e.message();
  EXPECT_TRUE(contains(e.message(), "after 2 attempts")) << e.message();
}

TEST_F(HttpTest, OversizedBodyIsRefused) {
  HttpsTestServer server(&pki_->localhost());
  server.handle([](const SeenRequest &) { return TestReply{200, {}, std::string(4096, 'x')}; });
  http::ClientOptions o = options();
  o.max_body_bytes = 1024;
  http::Client client(o);
  Error e = failure(client, request(http::Method::Get, server.url("/big")));
  EXPECT_EQ(e.code(), ErrorCode::Http);
  EXPECT_TRUE(contains(e.message(), "is larger than the limit")) << e.message();
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(HttpTest, CancelStopsASlowRequestPromptly) {
  HttpsTestServer server(&pki_->localhost());
  server.handle([](const SeenRequest &) { return TestReply{200, {}, "{}", 5000ms}; });
  auto cancel = std::make_shared<CancelToken>();
  call_.cancel = cancel;
  http::Client client(options());
  std::thread canceller([&] {
    std::this_thread::sleep_for(200ms);
    cancel->request();
  });
  auto start = Clock::now();
  Error e = failure(client, request(http::Method::Get, server.url("/slow")));
  canceller.join();
  EXPECT_EQ(e.code(), ErrorCode::Cancelled);
  EXPECT_LT(ms_since(start), 600);
  EXPECT_EQ(client.open_connections(), 0u);
}

TEST_F(HttpTest, TunnelsThroughAConnectProxy) {
  HttpsTestServer server(&pki_->localhost());
  // "user:<canary>" in Basic form.
  std::string credentials = std::string("user:") + kCanary;
  testing::ConnectProxy proxy("Basic dXNlcjpkYnNhZmUtY2FuYXJ5LTdmM2E5YzJlNTE=");
  http::ClientOptions o = options();
  o.proxy = "http://" + credentials + "@127.0.0.1:" + std::to_string(proxy.port());
  http::Client client(o);
  EXPECT_EQ(send(client, request(http::Method::Get, server.url("/via"))).status, 200);
  EXPECT_EQ(send(client, request(http::Method::Get, server.url("/via"))).status, 200);
  ASSERT_EQ(proxy.targets().size(), 1u);  // the tunnel is kept alive
  EXPECT_EQ(proxy.targets()[0], "localhost:" + std::to_string(server.port()));
  EXPECT_EQ(server.requests().size(), 2u);

  // A proxy that refuses the credentials: its answer, never the password.
  o.proxy = "http://user:" + std::string(kCanary) + "x@127.0.0.1:" + std::to_string(proxy.port());
  http::Client refused(o);
  Error e = failure(refused, request(http::Method::Get, server.url("/via")));
  EXPECT_EQ(e.code(), ErrorCode::Connect);
  EXPECT_TRUE(contains(e.message(), "407 Proxy Authentication Required")) << e.message();
}

TEST_F(HttpTest, ProxyComesFromTheEnvironmentUnlessNoProxySaysOtherwise) {
  HttpsTestServer server(&pki_->localhost());
  testing::ConnectProxy proxy;
  ScopedEnv lower("https_proxy", nullptr), upper("HTTPS_PROXY", proxy.url().c_str());
  ScopedEnv no_lower("no_proxy", nullptr), no_upper("NO_PROXY", "example.com");
  http::ClientOptions o = options();
  o.proxy.reset();
  o.no_proxy.reset();
  {
    http::Client client(o);
    EXPECT_EQ(send(client, request(http::Method::Get, server.url("/"))).status, 200);
    EXPECT_EQ(proxy.targets().size(), 1u);
  }
  ScopedEnv bypass("NO_PROXY", "example.com,.localhost");
  http::Client client(o);
  EXPECT_EQ(send(client, request(http::Method::Get, server.url("/"))).status, 200);
  EXPECT_EQ(proxy.targets().size(), 1u);
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST_F(HttpTest, ApiKeyNeverAppearsInErrorsOrLogs) {
  HttpsTestServer server(&pki_->localhost());
  // A server that quotes the key back, in its error and while retrying.
  server.handle([](const SeenRequest &r) {
    return TestReply{r.target.find("retry") != std::string::npos ? 503 : 401,
                     {},
                     std::string(R"({"message":"the key )") + kCanary + R"( is not valid"})"};
  });
  http::Client client(options());
  auto req =
      request(http::Method::Get, server.url(std::string("/p?api_key=") + kCanary + "&limit=5"));
  http::Response res = send(client, req);
  EXPECT_EQ(res.status, 401);
  Error e = http::status_error(req, res);
  EXPECT_EQ(e.code(), ErrorCode::Auth);
  EXPECT_EQ(e.http_status(), 401);
  EXPECT_FALSE(contains(e.message(), kCanary)) << e.message();
  EXPECT_FALSE(contains(e.detail_json(), kCanary)) << e.detail_json();
  EXPECT_TRUE(contains(e.message(), "the key *** is not valid")) << e.message();
  EXPECT_TRUE(contains(e.message(), "?api_key=***&limit=5")) << e.message();

  res = send(client, request(http::Method::Get, server.url("/retry")));
  EXPECT_EQ(res.status, 503);
  e = http::status_error(req, res);
  EXPECT_FALSE(contains(e.message(), kCanary)) << e.message();
  EXPECT_FALSE(logs().empty());
  // TearDown checks every log line.
}

}  // namespace
}  // namespace dbsafe
