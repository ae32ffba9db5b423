// The Neon provider against a hostile API host (issue 10): answers of the
// wrong shape, a body too large to hold, a redirect to another host, a
// certificate nobody vouches for. Each must end in a clear error, within a
// bounded time, without the API key (a canary) reaching a message, a log
// line or a host other than the configured one.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "dbsafe/call.hpp"
#include "dbsafe/error.hpp"
#include "dbsafe/provider.hpp"
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

constexpr const char *kCanary = "napi_canary_hostile_3c9d41e7b2";

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

class HostileNeonTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir;
    pki_ = new TestPki(dir_->str());
  }
  static void TearDownTestSuite() {
    delete pki_;
    delete dir_;
  }

  void TearDown() override {
    std::lock_guard<std::mutex> lock(log_mu_);
    for (const std::string &line : logs_) EXPECT_FALSE(contains(line, kCanary)) << line;
  }

  // Fast polling and a short operation timeout: a provider that waits on a
  // malformed operation instead of failing shows up as a slow test.
  ProviderOptions options(const HttpsTestServer &server, bool trust_ca = true) const {
    ProviderOptions o;
    o.kind = "neon";
    o.api_host = server.url("/api/v2");
    o.api_key = kCanary;
    o.project_id = "hostile-project-1";
    if (trust_ca) o.ca_file = pki_->ca_file();
    o.poll_interval = 20ms;
    o.operation_timeout = 5s;
    return o;
  }

  CallOptions logged() {
    CallOptions call;
    call.log = [this](LogLevel, std::string_view component, std::string_view message) {
      std::lock_guard<std::mutex> lock(log_mu_);
      logs_.push_back(std::string(component) + ": " + std::string(message));
    };
    return call;
  }

  // The error `f` ends with, checked for the key and for taking long.
  template <typename F>
  Error failure(F &&f) {
    auto start = Clock::now();
    try {
      f();
    } catch (const Error &e) {
      EXPECT_LT(Clock::now() - start, 20s) << e.message();
      EXPECT_FALSE(contains(e.message(), kCanary)) << e.message();
      EXPECT_FALSE(contains(e.detail_json(), kCanary)) << e.detail_json();
      return e;
    }
    ADD_FAILURE() << "the call succeeded";
    return Error(ErrorCode::Ok, "");
  }

  // Serves `body` with status 200 to every request.
  static void answer(HttpsTestServer &server, std::string body) {
    server.handle([body](const SeenRequest &) { return TestReply{200, {}, body}; });
  }

  static inline testing::TempDir *dir_ = nullptr;
  static inline TestPki *pki_ = nullptr;
  std::mutex log_mu_;
  std::vector<std::string> logs_;
};

TEST_F(HostileNeonTest, BranchListOfTheWrongTypeIsAnError) {
  HttpsTestServer server(&pki_->localhost());
  answer(server, R"({"branches":"main"})");
  auto p = Provider::open(options(server));
  Error e = failure([&] { p->list_branches(logged()); });
  EXPECT_EQ(e.code(), ErrorCode::Http);
  EXPECT_TRUE(contains(e.message(), "\"branches\" field that is a string, not an array"))
      << e.message();
  EXPECT_TRUE(contains(e.message(), "NEON_API_HOST")) << e.message();
}

TEST_F(HostileNeonTest, BranchIdThatIsANumberIsAnError) {
  HttpsTestServer server(&pki_->localhost());
  answer(server, R"({"branches":[{"id":42,"name":"main","default":true}]})");
  auto p = Provider::open(options(server));
  Error e = failure([&] { p->default_branch(logged()); });
  EXPECT_EQ(e.code(), ErrorCode::Http);
  EXPECT_TRUE(contains(e.message(), "\"id\" field that is a number, not a string")) << e.message();
}

TEST_F(HostileNeonTest, DefaultFlagThatIsAStringIsAnError) {
  HttpsTestServer server(&pki_->localhost());
  answer(server, R"({"branches":[{"id":"br-a-1","name":"main","default":"true"}]})");
  auto p = Provider::open(options(server));
  Error e = failure([&] { p->default_branch(logged()); });
  EXPECT_TRUE(contains(e.message(), "\"default\" field that is a string, not a boolean"))
      << e.message();
}

TEST_F(HostileNeonTest, BranchThatIsNotAnObjectIsAnError) {
  HttpsTestServer server(&pki_->localhost());
  answer(server, R"({"branches":[7]})");
  auto p = Provider::open(options(server));
  Error e = failure([&] { p->list_branches(logged()); });
  EXPECT_TRUE(contains(e.message(), "has a number where a branch object should be")) << e.message();
}

TEST_F(HostileNeonTest, MissingFieldsAreErrors) {
  HttpsTestServer server(&pki_->localhost());
  answer(server, "{}");
  auto p = Provider::open(options(server));
  Error e = failure([&] { p->list_snapshots(logged()); });
  EXPECT_EQ(e.code(), ErrorCode::Http);
  EXPECT_TRUE(contains(e.message(), "has no \"snapshots\" field")) << e.message();

  // A created branch without an id: acting on "" would address the wrong
  // resource.
  answer(server, R"({"branch":{"name":"preview"},"operations":[]})");
  CreateBranchOptions create;
  create.name = "preview";
  e = failure([&] { p->create_branch(create, logged()); });
  EXPECT_TRUE(contains(e.message(), "has a branch without an \"id\"")) << e.message();
}

TEST_F(HostileNeonTest, OperationWithoutAStatusFailsAtOnceInsteadOfWaiting) {
  HttpsTestServer server(&pki_->localhost());
  answer(server, R"({"branch":{"id":"br-new-1","name":"preview"},"operations":[{"id":"op-1"}]})");
  auto p = Provider::open(options(server));
  CreateBranchOptions create;
  create.name = "preview";
  auto start = Clock::now();
  Error e = failure([&] { p->create_branch(create, logged()); });
  EXPECT_LT(Clock::now() - start, 2s);  // not the 5 s operation timeout
  EXPECT_TRUE(contains(e.message(), "has an operation without a \"status\"")) << e.message();
}

TEST_F(HostileNeonTest, AnswerThatIsNotJsonIsAnError) {
  HttpsTestServer server(&pki_->localhost());
  answer(server, "<html><body>Sign in to the captive portal</body></html>");
  auto p = Provider::open(options(server));
  Error e = failure([&] { p->list_branches(logged()); });
  EXPECT_EQ(e.code(), ErrorCode::Http);
  EXPECT_TRUE(contains(e.message(), "is not valid JSON")) << e.message();
  EXPECT_TRUE(contains(e.message(), "/projects/hostile-project-1/branches")) << e.message();
}

// The client reads at most 64 MiB of an answer; a larger one is refused
// rather than buffered without end.
TEST_F(HostileNeonTest, HugeBodyIsRefused) {
  HttpsTestServer server(&pki_->localhost());
  answer(server, std::string((64u << 20) + 1, ' '));
  auto p = Provider::open(options(server));
  Error e = failure([&] { p->list_branches(logged()); });
  EXPECT_EQ(e.code(), ErrorCode::Http);
  EXPECT_TRUE(contains(e.message(), "is larger than the limit")) << e.message();
}

TEST_F(HostileNeonTest, RedirectToAnotherHostIsNotFollowed) {
  HttpsTestServer elsewhere(&pki_->localhost());
  HttpsTestServer server(&pki_->localhost());
  std::string target = elsewhere.url("/steal?token=x");
  server.handle([target](const SeenRequest &) {
    return TestReply{307, {{"Location", target}}, ""};
  });
  auto p = Provider::open(options(server));
  Error e = failure([&] { p->list_branches(logged()); });
  EXPECT_EQ(e.code(), ErrorCode::Http);
  EXPECT_EQ(e.http_status(), 307);
  EXPECT_TRUE(contains(e.message(), "does not follow redirects")) << e.message();
  EXPECT_TRUE(contains(
      e.message(), "points to https://localhost:" + std::to_string(elsewhere.port()) + "/steal"))
      << e.message();
  EXPECT_TRUE(elsewhere.requests().empty());
  EXPECT_EQ(elsewhere.connections(), 0);
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].header("Authorization"), std::string("Bearer ") + kCanary);
}

// Verification is on by default: a certificate from an authority the
// system store and ca_file lack is refused before the request (and its key)
// goes out.
TEST_F(HostileNeonTest, SelfSignedCertificateWithoutItsCaIsRefused) {
  HttpsTestServer server(&pki_->untrusted());
  auto p = Provider::open(options(server, /*trust_ca=*/false));
  Error e = failure([&] { p->list_branches(logged()); });
  EXPECT_EQ(e.code(), ErrorCode::Connect);
  EXPECT_TRUE(contains(e.message(), "is not trusted")) << e.message();
  EXPECT_TRUE(contains(e.message(), "ca_file")) << e.message();
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(HostileNeonTest, CertificateForAnotherHostIsRefused) {
  HttpsTestServer server(&pki_->wrong_host());
  auto p = Provider::open(options(server));
  Error e = failure([&] { p->list_branches(logged()); });
  EXPECT_EQ(e.code(), ErrorCode::Connect);
  EXPECT_TRUE(contains(e.message(), "does not match the host name localhost")) << e.message();
  EXPECT_TRUE(server.requests().empty());
}

}  // namespace
}  // namespace dbsafe
