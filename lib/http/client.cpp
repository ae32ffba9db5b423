// The HTTP client's transport: Boost.Asio for sockets, DNS and TLS (OpenSSL),
// Boost.Beast for HTTP/1.1 messages. The only file of the module that sees
// Boost or OpenSSL, so Beast is compiled once.
//
// The API is synchronous: each step starts one asynchronous operation and
// runs the client's io_context in short slices until the operation ends, its
// deadline passes or the CallContext says stop. Completion handlers own (by
// shared_ptr) everything their operation touches, so an abandoned operation
// can finish later without reaching freed memory, and stopping never has to
// wait for the network.
#include "http/client.hpp"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "http/redact.hpp"
#include "http/retry.hpp"
#include "http/url.hpp"

namespace dbsafe::http {

namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using error_code = boost::system::error_code;

// How long the io_context runs before the cancel token is looked at again.
constexpr milliseconds kSlice{20};

std::string duration_text(milliseconds d) {
  if (d < milliseconds(1000)) return std::to_string(d.count()) + " ms";
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + " s";
  std::string s = std::to_string(d.count() / 100);
  return s.substr(0, s.size() - 1) + "." + s.substr(s.size() - 1) + " s";
}

std::string size_text(std::size_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

// Why one attempt failed and what that allows; turned into an Error by the
// retry loop.
struct AttemptFailure {
  ErrorCode code;
  std::string message;  // without the "METHOD url: " prefix
  // Some of the request may have reached the server.
  bool request_sent = false;
  // The failure may pass (a refused or dropped connection, a timeout); false
  // for refused certificates, malformed or oversized responses.
  bool transient = true;
  // A reused keep-alive connection turned out to be closed by the server.
  bool stale = false;
};

struct Connection {
  explicit Connection(net::io_context &ioc) : socket(ioc) {}
  ~Connection() { close(); }

  void close() noexcept {
    error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  // Whether the server has closed this idle connection (or sent something
  // unasked, which makes it unusable too).
  bool closed_by_peer() {
    if (!socket.is_open() || buffer.size() != 0) return true;
    char byte;
    ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
  }

  tcp::socket socket;
  // Declared after the socket it wraps, so it is destroyed first.
  std::unique_ptr<ssl::stream<tcp::socket &>> tls;
  beast::flat_buffer buffer;
  std::string peer;  // host:port, for messages
  int served = 0;    // responses read on this connection
};

// The result of one asynchronous operation, shared with its handler.
struct Op {
  bool done = false;
  error_code ec;
  std::size_t bytes = 0;
  tcp::resolver::results_type endpoints;
};

// Calls `f` with the connection's stream: TLS or the bare socket.
template <typename F>
void with_stream(Connection &conn, F &&f) {
  if (conn.tls)
    f(*conn.tls);
  else
    f(conn.socket);
}

std::string verify_failure_text(long result, const std::string &host) {
  switch (result) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "the TLS certificate presented by " + host + " does not match the host name " + host +
             "; check the URL (or the proxy, if one intercepts TLS)";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
      return std::string("the TLS certificate presented by ") + host + " is not trusted (" +
             X509_verify_cert_error_string(result) +
             "); if the server (or a proxy that intercepts TLS) uses a private certificate "
             "authority, give that authority's certificate as a PEM file with the CA file "
             "option (ca_file)";
    default:
      return std::string("the TLS certificate presented by ") + host + " was refused (" +
             X509_verify_cert_error_string(result) + ")";
  }
}

std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char *>(out.data()),
                          reinterpret_cast<const unsigned char *>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string env(const char *lower_name, const char *upper_name) {
  if (const char *v = std::getenv(lower_name); v && *v) return v;
  if (const char *v = std::getenv(upper_name); v && *v) return v;
  return {};
}

// Beast's string_view (Boost's, in 1.74) as a std::string.
std::string str(beast::string_view s) {
  return std::string(s.data(), s.size());
}

// A reason phrase from the status code when the server sent none.
std::string reason_of(int status, beast::string_view sent) {
  if (!sent.empty()) return str(sent);
  return str(bhttp::obsolete_reason(static_cast<bhttp::status>(status)));
}

}  // namespace

struct Client::Impl {
  explicit Impl(ClientOptions opts) : options(std::move(opts)) {
    SSL_CTX *native = tls_context.native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    error_code ec;
    // The system trust store (honours SSL_CERT_FILE / SSL_CERT_DIR).
    tls_context.set_default_verify_paths(ec);
    if (!options.ca_file.empty()) {
      std::error_code fs_ec;
      if (!std::filesystem::is_regular_file(options.ca_file, fs_ec))
        throw Error(ErrorCode::Invalid,
                    "the CA file " + options.ca_file + " does not exist or is not a file");
      tls_context.load_verify_file(options.ca_file, ec);
      if (ec)
        throw Error(ErrorCode::Invalid, "cannot load the CA file " + options.ca_file + " (" +
                                            ec.message() +
                                            "); it must hold PEM-encoded CA certificates");
    }
    tls_context.set_verify_mode(options.verify_peer ? ssl::verify_peer : ssl::verify_none);

    proxy_setting = options.proxy ? *options.proxy : env("https_proxy", "HTTPS_PROXY");
    no_proxy_setting = options.no_proxy ? *options.no_proxy : env("no_proxy", "NO_PROXY");
    if (!proxy_setting.empty()) {
      std::string raw = proxy_setting.find("://") == std::string::npos ? "http://" + proxy_setting
                                                                       : proxy_setting;
      // Validates the proxy URL now rather than on the first request.
      Url proxy = parse_url(raw);
      if (!proxy.userinfo.empty()) {
        std::string credentials = percent_decode(proxy.userinfo);
        proxy_authorization = "Basic " + base64(credentials);
        std::size_t colon = credentials.find(':');
        if (colon != std::string::npos) proxy_secrets.add(credentials.substr(colon + 1));
        std::size_t raw_colon = proxy.userinfo.find(':');
        if (raw_colon != std::string::npos) proxy_secrets.add(proxy.userinfo.substr(raw_colon + 1));
        proxy_secrets.add(proxy_authorization);
      }
      select_proxy(parse_url("https://example.invalid/"), proxy_setting, "");
    }
    rng.seed(std::random_device{}());
  }

  ~Impl() {
    // Sockets go before the io_context they belong to; pending handlers
    // holding connections are destroyed with the io_context.
    idle.clear();
  }

  // Runs the io_context until `op` completes. Returns false when `deadline`
  // passed first; throws the CallContext's Error (with `phase` added) when
  // the call is cancelled or its own timeout expires. Either way the
  // connection is closed first, which aborts the operation.
  bool wait(const std::shared_ptr<Op> &op, Clock::time_point deadline, const CallContext &ctx,
            const std::shared_ptr<Connection> &conn, const std::string &phase) {
    while (!op->done) {
      try {
        ctx.checkpoint();
      } catch (const Error &e) {
        if (conn) conn->close();
        throw Error(e.code(), e.message() + " (" + phase + ")");
      }
      auto now = Clock::now();
      if (now >= deadline) {
        if (conn) conn->close();
        return false;
      }
      if (io.stopped()) io.restart();
      io.run_one_for(std::min<Clock::duration>(deadline - now, kSlice));
    }
    return true;
  }

  // A keep-alive connection to `key` the server has not closed, if any.
  std::shared_ptr<Connection> take_idle(const std::string &key) {
    auto it = idle.find(key);
    if (it == idle.end()) return nullptr;
    std::shared_ptr<Connection> conn = std::move(it->second);
    idle.erase(it);
    if (conn->closed_by_peer()) return nullptr;
    return conn;
  }

  std::shared_ptr<Connection> open(const Url &url, const std::optional<Url> &proxy,
                                   const CallContext &ctx, Clock::time_point total_deadline);
  void tunnel(Connection &conn, const std::shared_ptr<Connection> &hold, const Url &url,
              const Url &proxy, const CallContext &ctx, Clock::time_point total_deadline);
  void handshake(const std::shared_ptr<Connection> &conn, const Url &url, const CallContext &ctx,
                 Clock::time_point total_deadline);
  Response exchange(const Request &request, const Url &url, const std::optional<Url> &proxy,
                    const CallContext &ctx, Clock::time_point total_deadline);

  Clock::time_point step_deadline(milliseconds limit, Clock::time_point total_deadline) const {
    return std::min(Clock::now() + limit, total_deadline);
  }
  AttemptFailure timed_out(std::string what, milliseconds limit, const char *limit_name,
                           Clock::time_point total_deadline) const {
    if (Clock::now() >= total_deadline)
      return {
          ErrorCode::Timeout,
          "no complete answer within the total timeout of " + duration_text(options.total_timeout),
          false, false};
    return {ErrorCode::Timeout,
            std::move(what) + " within the " + limit_name + " of " + duration_text(limit)};
  }

  // Declaration order matters: the io_context outlives every socket.
  ClientOptions options;
  net::io_context io{1};
  ssl::context tls_context{ssl::context::tls_client};
  std::map<std::string, std::shared_ptr<Connection>> idle;
  std::string proxy_setting, no_proxy_setting, proxy_authorization;
  Secrets proxy_secrets;
  std::mt19937_64 rng;
};

std::shared_ptr<Connection> Client::Impl::open(const Url &url, const std::optional<Url> &proxy,
                                               const CallContext &ctx,
                                               Clock::time_point total_deadline) {
  const Url &hop = proxy ? *proxy : url;
  std::string hop_name = hop.host + ":" + std::to_string(hop.port);
  std::string via = proxy ? "the proxy " + hop_name : hop_name;
  auto conn = std::make_shared<Connection>(io);
  conn->peer = url.host + ":" + std::to_string(url.port);
  Clock::time_point deadline = step_deadline(options.connect_timeout, total_deadline);

  // DNS. The resolver cannot be interrupted mid-lookup: an abandoned lookup
  // finishes in the background into its own Op.
  auto resolver = std::make_shared<tcp::resolver>(io);
  auto op = std::make_shared<Op>();
  resolver->async_resolve(hop.host, std::to_string(hop.port),
                          [op, resolver](const error_code &ec, tcp::resolver::results_type r) {
                            op->done = true;
                            op->ec = ec;
                            op->endpoints = std::move(r);
                          });
  if (!wait(op, deadline, ctx, nullptr, "looking up " + hop.host)) {
    resolver->cancel();
    throw timed_out("could not look up " + hop.host, options.connect_timeout, "connect timeout",
                    total_deadline);
  }
  if (op->ec) {
    bool transient = op->ec == net::error::host_not_found_try_again;
    throw AttemptFailure{ErrorCode::Connect,
                         "cannot look up the host name " + hop.host + " (" + op->ec.message() +
                             "); check the URL" + (proxy ? " of the proxy" : "") +
                             " and the network",
                         false, transient};
  }

  tcp::resolver::results_type endpoints = std::move(op->endpoints);
  op = std::make_shared<Op>();
  net::async_connect(conn->socket, endpoints, [op, conn](const error_code &ec, auto &&) {
    op->done = true;
    op->ec = ec;
  });
  if (!wait(op, deadline, ctx, conn, "connecting to " + via))
    throw timed_out("no TCP connection to " + via, options.connect_timeout, "connect timeout",
                    total_deadline);
  if (op->ec)
    throw AttemptFailure{ErrorCode::Connect, "cannot connect to " + via + " (" + op->ec.message() +
                                                 "); check the host, the port and the network"};
  error_code ignored;
  conn->socket.set_option(tcp::no_delay(true), ignored);

  if (proxy) tunnel(*conn, conn, url, *proxy, ctx, total_deadline);
  if (url.tls()) handshake(conn, url, ctx, total_deadline);
  return conn;
}

void Client::Impl::tunnel(Connection &conn, const std::shared_ptr<Connection> &hold, const Url &url,
                          const Url &proxy, const CallContext &ctx,
                          Clock::time_point total_deadline) {
  std::string target = url.host.find(':') != std::string::npos
                           ? "[" + url.host + "]:" + std::to_string(url.port)
                           : url.host + ":" + std::to_string(url.port);
  std::string proxy_name = proxy.host + ":" + std::to_string(proxy.port);
  struct Tunnel {
    bhttp::request<bhttp::empty_body> request;
    bhttp::response_parser<bhttp::empty_body> parser;
    beast::flat_buffer buffer;
  };
  auto t = std::make_shared<Tunnel>();
  t->request.method(bhttp::verb::connect);
  t->request.target(target);
  t->request.version(11);
  t->request.set(bhttp::field::host, target);
  t->request.set(bhttp::field::user_agent, options.user_agent);
  if (!proxy_authorization.empty())
    t->request.set(bhttp::field::proxy_authorization, proxy_authorization);
  // A 2xx answer to CONNECT has no body: the tunnel starts after the header.
  t->parser.skip(true);
  Clock::time_point deadline = step_deadline(options.connect_timeout, total_deadline);
  std::string phase = "opening a tunnel through the proxy " + proxy_name;

  auto op = std::make_shared<Op>();
  bhttp::async_write(conn.socket, t->request, [op, t, hold](const error_code &ec, std::size_t) {
    op->done = true;
    op->ec = ec;
  });
  if (!wait(op, deadline, ctx, hold, phase))
    throw timed_out("the proxy " + proxy_name + " did not open a tunnel to " + target,
                    options.connect_timeout, "connect timeout", total_deadline);
  if (!op->ec) {
    op = std::make_shared<Op>();
    bhttp::async_read(conn.socket, t->buffer, t->parser,
                      [op, t, hold](const error_code &ec, std::size_t) {
                        op->done = true;
                        op->ec = ec;
                      });
    if (!wait(op, deadline, ctx, hold, phase))
      throw timed_out("the proxy " + proxy_name + " did not open a tunnel to " + target,
                      options.connect_timeout, "connect timeout", total_deadline);
  }
  if (op->ec)
    throw AttemptFailure{ErrorCode::Connect, "the proxy " + proxy_name +
                                                 " dropped the connection while opening a "
                                                 "tunnel to " +
                                                 target + " (" + op->ec.message() + ")"};
  int status = t->parser.get().result_int();
  if (status >= 200 && status <= 299 && t->buffer.size() > 0)
    throw AttemptFailure{ErrorCode::Connect,
                         "the proxy " + proxy_name + " sent data before the tunnel to " + target +
                             " was used; it does not look like an HTTP proxy",
                         false, false};
  if (status < 200 || status > 299) {
    bool transient = status == 502 || status == 503 || status == 504;
    std::string advice = status == 407   ? "; check the user and password in HTTPS_PROXY"
                         : status == 403 ? "; the proxy does not allow this destination"
                                         : "";
    throw AttemptFailure{ErrorCode::Connect,
                         "the proxy " + proxy_name + " refused to open a tunnel to " + target +
                             ": " + std::to_string(status) + " " +
                             reason_of(status, t->parser.get().reason()) + advice,
                         false, transient};
  }
}

void Client::Impl::handshake(const std::shared_ptr<Connection> &conn, const Url &url,
                             const CallContext &ctx, Clock::time_point total_deadline) {
  conn->tls = std::make_unique<ssl::stream<tcp::socket &>>(conn->socket, tls_context);
  SSL *native = conn->tls->native_handle();
  bool ip = is_ip_literal(url.host);
  // SNI carries host names only (RFC 6066), never IP addresses.
  if (!ip) SSL_set_tlsext_host_name(native, url.host.c_str());
  if (options.verify_peer) {
    // OpenSSL checks the name against the certificate's subjectAltName
    // during the handshake, so a mismatch fails it.
    X509_VERIFY_PARAM *param = SSL_get0_param(native);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    int set = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str())
                 : X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), url.host.size());
    if (set != 1)
      throw AttemptFailure{ErrorCode::Internal,
                           "cannot set up host-name verification for " + url.host, false, false};
  } else {
    ctx.log(LogLevel::Warning, "http",
            "TLS certificate checks are off for " + url.host + " (verify_peer is false)");
  }
  auto op = std::make_shared<Op>();
  conn->tls->async_handshake(ssl::stream_base::client, [op, conn](const error_code &ec) {
    op->done = true;
    op->ec = ec;
  });
  if (!wait(op, step_deadline(options.connect_timeout, total_deadline), ctx, conn,
            "TLS handshake with " + conn->peer))
    throw timed_out("the TLS handshake with " + conn->peer + " did not finish",
                    options.connect_timeout, "connect timeout", total_deadline);
  if (!op->ec) return;
  long verify = SSL_get_verify_result(native);
  if (options.verify_peer && verify != X509_V_OK)
    throw AttemptFailure{ErrorCode::Connect, verify_failure_text(verify, url.host), false, false};
  // A TLS-level refusal (no shared protocol or cipher) will not pass on a
  // retry; a dropped connection may.
  bool transient = op->ec.category() != net::error::get_ssl_category();
  throw AttemptFailure{
      ErrorCode::Connect,
      "the TLS handshake with " + conn->peer + " failed (" + op->ec.message() + ")", false,
      transient};
}

Response Client::Impl::exchange(const Request &request, const Url &url,
                                const std::optional<Url> &proxy, const CallContext &ctx,
                                Clock::time_point total_deadline) {
  std::string key = url.scheme + "://" + url.host + ":" + std::to_string(url.port);
  std::shared_ptr<Connection> conn = take_idle(key);
  bool reused = conn != nullptr;
  if (!conn) conn = open(url, proxy, ctx, total_deadline);
  const bool idempotent = request.is_idempotent();

  struct Exchange {
    bhttp::request<bhttp::string_body> request;
    std::optional<bhttp::response_parser<bhttp::string_body>> parser;
  };
  auto x = std::make_shared<Exchange>();
  bhttp::request<bhttp::string_body> &msg = x->request;
  msg.version(11);
  msg.method_string(std::string(method_name(request.method)));
  msg.target(url.target);
  auto has = [&](std::string_view name) {
    for (const Header &h : request.headers)
      if (iequals(h.name, name)) return true;
    return false;
  };
  if (!has("Host")) msg.set(bhttp::field::host, url.authority());
  if (!has("User-Agent")) msg.set(bhttp::field::user_agent, options.user_agent);
  // Bodies are read as sent: nothing to decompress.
  if (!has("Accept-Encoding")) msg.set(bhttp::field::accept_encoding, "identity");
  for (const Header &h : request.headers) msg.insert(h.name, h.value);
  if (!request.bearer_token.empty())
    msg.set(bhttp::field::authorization, "Bearer " + request.bearer_token);
  msg.body() = request.body;
  msg.prepare_payload();

  std::string phase = "waiting for " + conn->peer;
  auto op = std::make_shared<Op>();
  with_stream(*conn, [&](auto &stream) {
    bhttp::async_write(stream, x->request, [op, x, conn](const error_code &ec, std::size_t n) {
      op->done = true;
      op->ec = ec;
      op->bytes = n;
    });
  });
  if (!wait(op, step_deadline(options.read_timeout, total_deadline), ctx, conn, phase)) {
    AttemptFailure f = timed_out("could not send the request to " + conn->peer,
                                 options.read_timeout, "read timeout", total_deadline);
    f.request_sent = true;
    throw f;
  }
  if (op->ec) {
    conn->close();
    bool sent = op->bytes > 0;
    throw AttemptFailure{ErrorCode::Connect,
                         "the connection to " + conn->peer + " broke while sending the request (" +
                             op->ec.message() + ")",
                         sent, true, reused && (!sent || idempotent)};
  }

  bool received = false;
  for (;;) {
    x->parser.emplace();
    x->parser->body_limit(options.max_body_bytes);
    x->parser->header_limit(64 * 1024);
    if (request.method == Method::Head) x->parser->skip(true);
    while (!x->parser->is_done()) {
      op = std::make_shared<Op>();
      with_stream(*conn, [&](auto &stream) {
        bhttp::async_read_some(stream, conn->buffer, *x->parser,
                               [op, x, conn](const error_code &ec, std::size_t n) {
                                 op->done = true;
                                 op->ec = ec;
                                 op->bytes = n;
                               });
      });
      if (!wait(op, step_deadline(options.read_timeout, total_deadline), ctx, conn, phase)) {
        AttemptFailure f = timed_out(received ? "the answer from " + conn->peer + " stalled"
                                              : "no answer from " + conn->peer,
                                     options.read_timeout, "read timeout", total_deadline);
        f.request_sent = true;
        throw f;
      }
      if (op->bytes > 0 || conn->buffer.size() > 0) received = true;
      error_code ec = op->ec;
      // A server that closes a TLS connection without close_notify: the same
      // as a plain end of stream for a body that ends with the connection.
      if (ec == net::ssl::error::stream_truncated && x->parser->is_header_done() &&
          x->parser->need_eof())
        x->parser->put_eof(ec);
      if (!ec) continue;
      conn->close();
      if (ec == bhttp::error::body_limit)
        throw AttemptFailure{ErrorCode::Http,
                             "the answer from " + conn->peer + " is larger than the limit of " +
                                 size_text(options.max_body_bytes),
                             true, false};
      if (ec == bhttp::error::header_limit)
        throw AttemptFailure{ErrorCode::Http,
                             "the answer from " + conn->peer + " has headers larger than 64 KiB",
                             true, false};
      bool closed = ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
                    ec == net::error::eof || ec == net::error::connection_reset ||
                    ec == net::error::broken_pipe || ec == net::ssl::error::stream_truncated;
      if (closed && !received)
        throw AttemptFailure{ErrorCode::Connect,
                             conn->peer + " closed the connection without answering", true, true,
                             reused && idempotent};
      if (closed)
        throw AttemptFailure{ErrorCode::Connect,
                             "the connection to " + conn->peer +
                                 " closed before the whole answer arrived (" + ec.message() + ")",
                             true, true};
      if (ec.category() == error_code(bhttp::error::bad_version).category())
        throw AttemptFailure{ErrorCode::Http,
                             conn->peer + " sent a malformed HTTP answer (" + ec.message() + ")",
                             true, false};
      throw AttemptFailure{ErrorCode::Connect,
                           "the connection to " + conn->peer + " broke while reading the answer (" +
                               ec.message() + ")",
                           true, true};
    }
    int status = x->parser->get().result_int();
    // Interim answers (100 Continue, 103 Early Hints) precede the real one.
    if (status >= 100 && status < 200 && status != 101) continue;
    break;
  }

  auto &res = x->parser->get();
  Response out;
  out.status = res.result_int();
  out.reason = reason_of(out.status, res.reason());
  for (const auto &field : res)
    out.headers.push_back({str(field.name_string()), str(field.value())});
  out.body = std::move(res.body());
  ++conn->served;
  if (res.keep_alive() && !x->parser->need_eof())
    idle[key] = std::move(conn);
  else
    conn->close();
  return out;
}

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::Client(Client &&) noexcept = default;
Client &Client::operator=(Client &&) noexcept = default;
Client::~Client() = default;

std::size_t Client::open_connections() const noexcept {
  return impl_ ? impl_->idle.size() : 0;
}

Response Client::request(const Request &request, const CallContext &ctx) {
  Impl &impl = *impl_;
  const ClientOptions &opts = impl.options;
  Secrets secrets = secrets_of(request);
  std::string what = std::string(method_name(request.method)) + " ";
  Url url;
  try {
    url = parse_url(request.url);
  } catch (const Error &e) {
    throw Error(e.code(), secrets.scrub(e.message()));
  }
  what += redact_url(url);
  if (!url.userinfo.empty())
    throw Error(ErrorCode::Invalid, what +
                                        ": user names and passwords in request URLs are not "
                                        "supported; pass the API key as the bearer token");
  std::optional<Url> proxy = select_proxy(url, impl.proxy_setting, impl.no_proxy_setting);
  const bool idempotent = request.is_idempotent();
  const int attempts_allowed = 1 + std::max(0, opts.max_retries);
  auto clean = [&](const std::string &text) {
    return impl.proxy_secrets.scrub(secrets.scrub(text));
  };

  auto started = Clock::now();
  Clock::time_point total_deadline = started + opts.total_timeout;
  bool stale_retry_used = false;
  // The CallContext's own stop, naming the request.
  auto checkpoint = [&](const char *while_doing) {
    try {
      ctx.checkpoint();
    } catch (const Error &e) {
      throw Error(e.code(), e.message() + " (" + while_doing + " " + what + ")");
    }
  };
  for (int attempt = 1;; ++attempt) {
    checkpoint("before");
    milliseconds delay{0};
    std::string reason;
    bool warn = true;
    try {
      Response response = [&] {
        try {
          return impl.exchange(request, url, proxy, ctx, total_deadline);
        } catch (const Error &e) {  // the CallContext said stop
          throw Error(e.code(), clean(what + ": " + e.message()));
        } catch (const boost::system::system_error &e) {
          throw Error(ErrorCode::Connect, clean(what + ": " + e.what()));
        }
      }();
      response.attempts = attempt;
      bool retry = retryable_status(response.status, idempotent) && attempt < attempts_allowed;
      std::string got =
          what + " returned " + std::to_string(response.status) + " " + response.reason;
      if (!retry) {
        ctx.log(
            LogLevel::Debug, "http",
            clean(got + " in " +
                  duration_text(std::chrono::duration_cast<milliseconds>(Clock::now() - started))));
        return response;
      }
      std::optional<milliseconds> asked;
      if (auto header = response.header("Retry-After"))
        asked = parse_retry_after(*header, std::chrono::system_clock::now());
      delay =
          asked ? *asked : backoff_delay(attempt, opts.backoff_base, opts.backoff_max, impl.rng);
      if (Clock::now() + delay >= total_deadline) {
        ctx.log(LogLevel::Warning, "http",
                clean(got + "; not retrying: waiting " + duration_text(delay) +
                      (asked ? " as Retry-After asks" : "") + " would pass the total timeout of " +
                      duration_text(opts.total_timeout)));
        return response;
      }
      reason = got;
      warn = response.status >= 500;
    } catch (const AttemptFailure &f) {
      if (f.stale && !stale_retry_used) {
        // The server closed an idle keep-alive connection: reconnect once,
        // not counted as an attempt.
        stale_retry_used = true;
        --attempt;
        ctx.log(LogLevel::Debug, "http", clean(what + ": " + f.message + "; reconnecting"));
        continue;
      }
      std::string message = what + ": " + f.message;
      if (attempt > 1) message += " (after " + std::to_string(attempt) + " attempts)";
      bool retry = f.transient && (idempotent || !f.request_sent) && attempt < attempts_allowed;
      if (retry) {
        delay = backoff_delay(attempt, opts.backoff_base, opts.backoff_max, impl.rng);
        if (Clock::now() + delay >= total_deadline) retry = false;
      }
      if (!retry) {
        if (f.transient && f.request_sent && !idempotent && attempt < attempts_allowed)
          message += "; not retried, as the server may have applied the " +
                     std::string(method_name(request.method)) + " request";
        throw Error(f.code, clean(message));
      }
      reason = what + ": " + f.message;
    }
    ctx.log(warn ? LogLevel::Warning : LogLevel::Info, "http",
            clean(reason + "; retrying in " + duration_text(delay) + " (attempt " +
                  std::to_string(attempt + 1) + " of " + std::to_string(attempts_allowed) + ")"));
    // Back off in slices, so a cancel is seen promptly.
    auto wake = Clock::now() + delay;
    while (Clock::now() < wake) {
      checkpoint("waiting to retry");
      std::this_thread::sleep_for(std::min<Clock::duration>(wake - Clock::now(), kSlice));
    }
  }
}

}  // namespace dbsafe::http
