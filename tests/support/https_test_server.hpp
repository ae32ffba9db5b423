// An in-process HTTP(S) server and CONNECT proxy for the HTTP client's tests,
// with a throwaway certificate authority made at start-up.
//
// The server answers each request with what a test's handler returns: a
// status, headers and body, optionally after a delay, or a misbehaviour
// (closing without an answer, a truncated body, closing a keep-alive
// connection right after answering). It records every request and which
// connection carried it.
//
// Thread safety: the server and proxy run on their own threads; every public
// member may be called from the test's thread while they run. Handlers are
// called one at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dbsafe::testing {

// A CA, certificates signed by it, and one signed by a CA nobody trusts; all
// EC P-256, valid for a day. ca_file() is a PEM file of the trusted CA.
class TestPki {
 public:
  // Writes ca.pem into `dir`.
  explicit TestPki(const std::string &dir);

  const std::string &ca_file() const { return ca_file_; }

  struct KeyPair {
    std::string cert_pem;
    std::string key_pem;
  };
  // For "localhost" and 127.0.0.1.
  const KeyPair &localhost() const { return localhost_; }
  // For "wrong-host.test" only, signed by the trusted CA.
  const KeyPair &wrong_host() const { return wrong_host_; }
  // For "localhost" and 127.0.0.1, signed by a CA that ca_file() lacks.
  const KeyPair &untrusted() const { return untrusted_; }

 private:
  std::string ca_file_;
  KeyPair localhost_, wrong_host_, untrusted_;
};

struct SeenRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int connection = 0;  // 1-based number of the connection that carried it

  // The value of the first header named `name` (case-insensitive), or "".
  std::string header(std::string_view name) const;
};

struct TestReply {
  enum class Kind {
    Answer,              // a complete answer
    CloseWithoutAnswer,  // read the request, then close the connection
    TruncatedBody,       // announce the whole body, send half, close
    AnswerThenClose,     // a keep-alive answer, then close the idle connection
  };
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds delay{0};  // before answering
  Kind kind = Kind::Answer;
};

using TestHandler = std::function<TestReply(const SeenRequest &)>;

class HttpsTestServer {
 public:
  // tls == nullptr: plain HTTP.
  explicit HttpsTestServer(const TestPki::KeyPair *tls);
  ~HttpsTestServer();
  HttpsTestServer(const HttpsTestServer &) = delete;
  HttpsTestServer &operator=(const HttpsTestServer &) = delete;

  // Replaces the handler (the default answers 200 with "{}").
  void handle(TestHandler handler);

  std::uint16_t port() const;
  // "https://localhost:<port><path>" (http:// without TLS).
  std::string url(std::string_view path = "/") const;
  std::vector<SeenRequest> requests() const;
  int connections() const;         // accepted so far
  int closed_connections() const;  // finished so far (either side closed)

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// An HTTP proxy that only tunnels (CONNECT), like the ones HTTPS_PROXY
// names. With `required_authorization` set, a CONNECT without that exact
// Proxy-Authorization value gets 407.
class ConnectProxy {
 public:
  explicit ConnectProxy(std::string required_authorization = "");
  ~ConnectProxy();
  ConnectProxy(const ConnectProxy &) = delete;
  ConnectProxy &operator=(const ConnectProxy &) = delete;

  std::uint16_t port() const;
  // "http://127.0.0.1:<port>"
  std::string url() const;
  // The CONNECT targets asked for, in order ("localhost:1234").
  std::vector<std::string> targets() const;
  // The Proxy-Authorization values received, in order ("" when absent).
  std::vector<std::string> authorizations() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace dbsafe::testing
