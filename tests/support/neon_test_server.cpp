#include "support/neon_test_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "http/client.hpp"

#ifndef DBSAFE_SOURCE_DIR
#error "compile with -DDBSAFE_SOURCE_DIR=\"<repository root>\""
#endif

namespace dbsafe::testing {
namespace {

constexpr const char *kScript = DBSAFE_SOURCE_DIR "/scripts/neon-test-server";

std::string pg_bindir() {
  const char *env = std::getenv("PG_BINDIR");
  return env != nullptr && *env != '\0' ? env : "/usr/lib/postgresql/15/bin";
}

std::string tail_of(const std::string &path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

}  // namespace

std::string NeonTestServer::unavailable_reason() {
  if (::access("/usr/bin/python3", X_OK) != 0) return "/usr/bin/python3 is not installed";
  for (const char *tool : {"initdb", "pg_ctl", "pg_basebackup", "pg_dump", "pg_restore"}) {
    std::string path = pg_bindir() + "/" + tool;
    if (::access(path.c_str(), X_OK) != 0) return path + " is missing (set PG_BINDIR)";
  }
  return {};
}

NeonTestServer &NeonTestServer::shared() {
  // Destroyed at exit, which stops the server.
  // A canary key: tests check it never shows in a message or a log line.
  // Under scripts/test it is the run's canary (DBSAFE_TEST_NEON_API_KEY),
  // which the run's last step looks for in every captured output.
  // Room for several snapshots so tests need not share the quota.
  const char *run_key = std::getenv("DBSAFE_TEST_NEON_API_KEY");
  static std::unique_ptr<NeonTestServer> server =
      start({"--operation-delay-ms", "100", "--snapshot-quota", "10", "--api-key",
             run_key != nullptr && *run_key != '\0' ? run_key : "napi_canary_5b8e1f0c9d2a7e4b"});
  return *server;
}

std::unique_ptr<NeonTestServer> NeonTestServer::start(const std::vector<std::string> &args) {
  std::unique_ptr<NeonTestServer> server(new NeonTestServer());
  char log_template[] = "/tmp/neon-test-server-log.XXXXXX";
  int log_fd = ::mkstemp(log_template);
  if (log_fd < 0) throw std::runtime_error("mkstemp failed");
  server->log_path_ = log_template;
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    ::close(log_fd);
    std::vector<std::string> argv_s{kScript};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char *> argv;
    for (std::string &a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(kScript, argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(log_fd);
  server->pid_ = pid;

  // Read NAME=VALUE lines until the ready line, within two minutes (the
  // server starts its own archiving cluster first).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  std::string buffer;
  bool ready = false;
  while (!ready) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{out[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char chunk[4096];
    ssize_t n = ::read(out[0], chunk, sizeof chunk);
    if (n <= 0) break;
    buffer.append(chunk, static_cast<std::size_t>(n));
    std::size_t nl;
    while ((nl = buffer.find('\n')) != std::string::npos) {
      std::string line = buffer.substr(0, nl);
      buffer.erase(0, nl + 1);
      auto eq = line.find('=');
      if (eq == std::string::npos) continue;
      server->vars_[line.substr(0, eq)] = line.substr(eq + 1);
      if (line == "NEON_TEST_SERVER_READY=1") ready = true;
    }
  }
  // Keep the pipe open on our side would block the server if it wrote
  // more; it writes nothing after the ready line, so close it.
  ::close(out[0]);
  if (!ready)
    throw std::runtime_error("the Neon test server did not become ready; its log:\n" +
                             tail_of(server->log_path_));
  return server;
}

NeonTestServer::~NeonTestServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    // It drops its databases and stops its cluster: give it time.
    for (int i = 0; i < 300; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  if (!log_path_.empty() && std::getenv("NEON_TEST_SERVER_LOG") == nullptr)
    ::unlink(log_path_.c_str());
}

std::string NeonTestServer::var(const std::string &name) const {
  auto it = vars_.find(name);
  return it == vars_.end() ? std::string() : it->second;
}

std::string NeonTestServer::admin(const std::string &method, const std::string &path,
                                  const std::string &body) const {
  http::ClientOptions options;
  options.ca_file = ca_file();
  options.max_retries = 0;
  http::Client client(options);
  http::Request request;
  request.method = method == "POST"     ? http::Method::Post
                   : method == "DELETE" ? http::Method::Delete
                                        : http::Method::Get;
  request.url = admin_url() + path;
  request.body = body;
  if (!body.empty()) request.headers.push_back({"Content-Type", "application/json"});
  CallContext ctx;
  http::Response response = client.request(request, ctx);
  if (!response.ok())
    throw std::runtime_error(method + " /__admin" + path + " returned " +
                             std::to_string(response.status) + ": " + response.body);
  return response.body;
}

}  // namespace dbsafe::testing
