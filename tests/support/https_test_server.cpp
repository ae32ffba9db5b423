#include "support/https_test_server.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "http/client.hpp"

namespace dbsafe::testing {

namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

// ---- certificates ---------------------------------------------------------

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

void check(bool ok, const char *what) {
  if (!ok) throw std::runtime_error(std::string("TestPki: ") + what + " failed");
}

KeyPtr new_key() {
  KeyPtr key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  check(key != nullptr, "EVP_EC_gen");
  return key;
}

void add_extension(X509 *cert, X509V3_CTX *ctx, int nid, const char *value) {
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value);
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for `key` named `common_name`, signed by `issuer` /
// `issuer_key` (self-signed when issuer is null). `alt_names` empty: a CA.
CertPtr make_cert(const char *common_name, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                  const char *alt_names) {
  static long serial = 1;
  CertPtr cert(X509_new(), X509_free);
  X509 *x = cert.get();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, key);
  X509_NAME *name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char *>(common_name), -1, -1, 0);
  X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer : x, x, nullptr, nullptr, 0);
  bool ca = alt_names == nullptr || *alt_names == '\0';
  add_extension(x, &ctx, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  add_extension(x, &ctx, NID_key_usage,
                ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
  add_extension(x, &ctx, NID_subject_key_identifier, "hash");
  if (!ca) {
    add_extension(x, &ctx, NID_ext_key_usage, "serverAuth");
    add_extension(x, &ctx, NID_subject_alt_name, alt_names);
  }
  check(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

template <typename Write>
std::string to_pem(Write write) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  check(write(bio.get()) == 1, "PEM_write");
  char *data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

TestPki::KeyPair pair_of(X509 *cert, EVP_PKEY *key) {
  return {to_pem([&](BIO *b) { return PEM_write_bio_X509(b, cert); }), to_pem([&](BIO *b) {
            return PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr);
          })};
}

// ---- shared server plumbing -----------------------------------------------

// An acceptor on 127.0.0.1 with a thread per connection; stop() wakes every
// blocked thread (by shutting sockets down) and joins them.
class Listener {
 public:
  using Serve = std::function<void(tcp::socket &, int id)>;

  explicit Listener(Serve serve) : serve_(std::move(serve)) {
    acceptor_.open(tcp::v4());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  ~Listener() { stop(); }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      stopping_ = true;
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    }
    cv_.notify_all();
    // Wakes the blocked accept() with a connection it will drop.
    error_code ec;
    tcp::socket poke(io_);
    poke.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_), ec);
    accept_thread_.join();
    for (std::thread &t : workers_) t.join();
  }

  std::uint16_t port() const { return port_; }
  int accepted() const {
    std::lock_guard<std::mutex> lock(mu_);
    return accepted_;
  }
  int closed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }

  // Sleeps for `d`; false when the listener stops meanwhile.
  bool sleep(std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> lock(mu_);
    return !cv_.wait_for(lock, d, [&] { return stopping_; });
  }
  bool stopping() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stopping_;
  }
  // Lets stop() wake a thread blocked on `fd` (a second socket it opened).
  void watch(int fd) {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) ::shutdown(fd, SHUT_RDWR);
    fds_.insert(fd);
  }
  void unwatch(int fd) {
    std::lock_guard<std::mutex> lock(mu_);
    fds_.erase(fd);
  }
  net::io_context &io() { return io_; }

 private:
  void accept_loop() {
    for (;;) {
      auto socket = std::make_shared<tcp::socket>(io_);
      error_code ec;
      acceptor_.accept(*socket, ec);
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      if (ec) continue;
      int id = ++accepted_;
      fds_.insert(socket->native_handle());
      workers_.emplace_back([this, socket, id] {
        serve_(*socket, id);
        {
          std::lock_guard<std::mutex> inner(mu_);
          fds_.erase(socket->native_handle());
          ++closed_;
        }
        error_code ignored;
        socket->close(ignored);
      });
    }
  }

  Serve serve_;
  net::io_context io_;
  tcp::acceptor acceptor_{io_};
  std::uint16_t port_ = 0;
  std::thread accept_thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::set<int> fds_;
  std::vector<std::thread> workers_;
  int accepted_ = 0, closed_ = 0;
};

std::string reason_phrase(int status) {
  auto r = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
  return std::string(r.data(), r.size());
}

std::string str(beast::string_view s) {
  return std::string(s.data(), s.size());
}

}  // namespace

TestPki::TestPki(const std::string &dir) {
  KeyPtr ca_key = new_key(), other_ca_key = new_key();
  CertPtr ca = make_cert("dbsafe test CA", ca_key.get(), nullptr, nullptr, nullptr);
  CertPtr other_ca =
      make_cert("dbsafe untrusted test CA", other_ca_key.get(), nullptr, nullptr, nullptr);
  KeyPtr key = new_key(), wrong_key = new_key(), untrusted_key = new_key();
  CertPtr leaf =
      make_cert("localhost", key.get(), ca.get(), ca_key.get(), "DNS:localhost,IP:127.0.0.1");
  CertPtr wrong =
      make_cert("wrong-host.test", wrong_key.get(), ca.get(), ca_key.get(), "DNS:wrong-host.test");
  CertPtr untrusted = make_cert("localhost", untrusted_key.get(), other_ca.get(),
                                other_ca_key.get(), "DNS:localhost,IP:127.0.0.1");
  localhost_ = pair_of(leaf.get(), key.get());
  wrong_host_ = pair_of(wrong.get(), wrong_key.get());
  untrusted_ = pair_of(untrusted.get(), untrusted_key.get());
  ca_file_ = dir + "/ca.pem";
  std::ofstream(ca_file_) << pair_of(ca.get(), ca_key.get()).cert_pem;
}

std::string SeenRequest::header(std::string_view name) const {
  for (const auto &[n, v] : headers)
    if (http::iequals(n, name)) return v;
  return {};
}

// ---- HTTPS server ---------------------------------------------------------

struct HttpsTestServer::State {
  explicit State(const TestPki::KeyPair *keys) {
    if (keys) {
      tls = std::make_unique<ssl::context>(ssl::context::tls_server);
      tls->use_certificate_chain(net::buffer(keys->cert_pem));
      tls->use_private_key(net::buffer(keys->key_pem), ssl::context::pem);
    }
    listener = std::make_unique<Listener>([this](tcp::socket &s, int id) { serve(s, id); });
  }

  void serve(tcp::socket &socket, int id) {
    if (!tls) return exchange(socket, id);
    ssl::stream<tcp::socket &> stream(socket, *tls);
    error_code ec;
    stream.handshake(ssl::stream_base::server, ec);
    if (!ec) exchange(stream, id);
  }

  template <typename Stream>
  void exchange(Stream &stream, int id) {
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(64u << 20);
      error_code ec;
      bhttp::read(stream, buffer, parser, ec);
      if (ec) return;
      auto &msg = parser.get();
      SeenRequest seen{str(msg.method_string()), str(msg.target()), {}, msg.body(), id};
      for (const auto &field : msg)
        seen.headers.emplace_back(str(field.name_string()), str(field.value()));
      TestReply reply;
      {
        std::lock_guard<std::mutex> lock(mu);
        requests.push_back(seen);
        reply = handler ? handler(seen) : TestReply{200, {}, "{}"};
      }
      if (reply.delay.count() > 0 && !listener->sleep(reply.delay)) return;
      if (reply.kind == TestReply::Kind::CloseWithoutAnswer) return;
      std::string text =
          "HTTP/1.1 " + std::to_string(reply.status) + " " + reason_phrase(reply.status) + "\r\n";
      bool close = reply.kind != TestReply::Kind::Answer;
      for (const auto &[name, value] : reply.headers) {
        text += name + ": " + value + "\r\n";
        if (http::iequals(name, "Connection") && http::iequals(value, "close")) close = true;
      }
      text += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n\r\n";
      text += reply.kind == TestReply::Kind::TruncatedBody
                  ? reply.body.substr(0, reply.body.size() / 2)
                  : reply.body;
      net::write(stream, net::buffer(text), ec);
      if (ec || close) return;
    }
  }

  std::unique_ptr<ssl::context> tls;
  mutable std::mutex mu;
  TestHandler handler;
  std::vector<SeenRequest> requests;
  // Last: stopped (its threads joined) before the members above go.
  std::unique_ptr<Listener> listener;
};

HttpsTestServer::HttpsTestServer(const TestPki::KeyPair *tls)
    : state_(std::make_shared<State>(tls)) {}

HttpsTestServer::~HttpsTestServer() {
  state_->listener->stop();
}

void HttpsTestServer::handle(TestHandler handler) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->handler = std::move(handler);
}

std::uint16_t HttpsTestServer::port() const {
  return state_->listener->port();
}

std::string HttpsTestServer::url(std::string_view path) const {
  return std::string(state_->tls ? "https" : "http") + "://localhost:" + std::to_string(port()) +
         std::string(path);
}

std::vector<SeenRequest> HttpsTestServer::requests() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->requests;
}

int HttpsTestServer::connections() const {
  return state_->listener->accepted();
}

int HttpsTestServer::closed_connections() const {
  return state_->listener->closed();
}

// ---- CONNECT proxy --------------------------------------------------------

struct ConnectProxy::State {
  explicit State(std::string auth) : required_authorization(std::move(auth)) {
    listener = std::make_unique<Listener>([this](tcp::socket &s, int) { serve(s); });
  }

  void answer(tcp::socket &client, const std::string &text) {
    error_code ec;
    net::write(client, net::buffer(text), ec);
  }

  void serve(tcp::socket &client) {
    beast::flat_buffer buffer;
    bhttp::request_parser<bhttp::empty_body> parser;
    error_code ec;
    bhttp::read(client, buffer, parser, ec);
    if (ec) return;
    const auto &msg = parser.get();
    std::string target = str(msg.target());
    std::string auth = str(msg[bhttp::field::proxy_authorization]);
    {
      std::lock_guard<std::mutex> lock(mu);
      targets.push_back(target);
      authorizations.push_back(auth);
    }
    if (msg.method() != bhttp::verb::connect)
      return answer(client, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
    if (!required_authorization.empty() && auth != required_authorization)
      return answer(client,
                    "HTTP/1.1 407 Proxy Authentication Required\r\n"
                    "Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n");
    std::size_t colon = target.rfind(':');
    tcp::socket upstream(listener->io());
    tcp::resolver resolver(listener->io());
    auto endpoints = resolver.resolve(target.substr(0, colon), target.substr(colon + 1), ec);
    if (!ec) net::connect(upstream, endpoints, ec);
    if (ec) return answer(client, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
    answer(client, "HTTP/1.1 200 Connection established\r\n\r\n");
    listener->watch(upstream.native_handle());
    if (buffer.size() > 0) net::write(upstream, buffer.data(), ec);
    if (!ec) pump(client.native_handle(), upstream.native_handle());
    listener->unwatch(upstream.native_handle());
  }

  // Copies bytes both ways until either side closes or the proxy stops.
  void pump(int a, int b) {
    char chunk[16384];
    while (!listener->stopping()) {
      pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
      if (::poll(fds, 2, 50) < 0) return;
      for (int i = 0; i < 2; ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t n = ::recv(fds[i].fd, chunk, sizeof chunk, 0);
        if (n <= 0) return;
        int to = i == 0 ? b : a;
        for (ssize_t sent = 0; sent < n;) {
          ssize_t w = ::send(to, chunk + sent, static_cast<std::size_t>(n - sent), MSG_NOSIGNAL);
          if (w <= 0) return;
          sent += w;
        }
      }
    }
  }

  std::string required_authorization;
  mutable std::mutex mu;
  std::vector<std::string> targets, authorizations;
  std::unique_ptr<Listener> listener;
};

ConnectProxy::ConnectProxy(std::string required_authorization)
    : state_(std::make_shared<State>(std::move(required_authorization))) {}

ConnectProxy::~ConnectProxy() {
  state_->listener->stop();
}

std::uint16_t ConnectProxy::port() const {
  return state_->listener->port();
}

std::string ConnectProxy::url() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

std::vector<std::string> ConnectProxy::targets() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->targets;
}

std::vector<std::string> ConnectProxy::authorizations() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->authorizations;
}

}  // namespace dbsafe::testing
