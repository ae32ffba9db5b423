#include "pg_test_env.hpp"

#include <libpq-fe.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <random>
#include <stdexcept>
#include <utility>

#ifndef DBSAFE_SOURCE_DIR
#error "compile tests/support/pg_test_env.cpp with -DDBSAFE_SOURCE_DIR=\"<repository root>\""
#endif

namespace dbsafe::testing {
namespace {

// `url` with the password masked: the test run's URL carries a canary
// password, and scripts/test fails when it shows in any captured output.
std::string shown(const std::string &url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  auto end = url.find_first_of("/?#", scheme + 3);
  auto at = url.rfind('@', end == std::string::npos ? url.size() : end);
  if (at == std::string::npos || at < scheme) return url;
  auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

constexpr const char *kThrowawayScript = DBSAFE_SOURCE_DIR "/scripts/pg-throwaway";

std::string shell_quote(const std::string &s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += "'";
  return out;
}

std::string describe_status(int status) {
  if (status == -1) return std::string("could not run: ") + std::strerror(errno);
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// Runs a shell command; returns its stdout. stderr passes through to ours.
std::string run_capture(const std::string &command, int &status) {
  std::fflush(nullptr);
  FILE *pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    status = -1;
    return {};
  }
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  status = ::pclose(pipe);
  return out;
}

std::string last_line(const std::string &text) {
  size_t end = text.find_last_not_of(" \t\r\n");
  if (end == std::string::npos) return {};
  size_t begin = text.find_last_of('\n', end);
  begin = (begin == std::string::npos) ? 0 : begin + 1;
  return text.substr(begin, end - begin + 1);
}

// The one server this process uses. Destroyed at exit, which stops a cluster
// that PostgresEnvironment::TearDown did not (e.g. when server_url() started
// it lazily without the environment being registered).
class Server {
 public:
  ~Server() {
    std::lock_guard<std::mutex> lock(mu_);
    stop_locked();
  }

  const std::string &url() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!url_.empty()) return url_;
    if (!error_.empty()) throw std::runtime_error(error_);
    try {
      start_locked();
    } catch (const std::exception &e) {
      error_ = e.what();
      throw;
    }
    return url_;
  }

  void stop() {
    std::lock_guard<std::mutex> lock(mu_);
    stop_locked();
  }

 private:
  void start_locked() {
    const char *external = std::getenv("DBSAFE_TEST_DATABASE_URL");
    if (external != nullptr && *external != '\0') {
      url_ = external;
      return;
    }

    const char *tmp = std::getenv("TMPDIR");
    std::string templ =
        std::string((tmp != nullptr && *tmp != '\0') ? tmp : "/tmp") + "/dbsafe-gtest-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) {
      throw std::runtime_error("pg_test_env: mkdtemp(" + templ +
                               ") failed: " + std::strerror(errno));
    }
    dir_ = templ;
    owner_ = ::getpid();

    int status = 0;
    std::string out =
        run_capture(shell_quote(kThrowawayScript) + " start " + shell_quote(dir_), status);
    std::string url = last_line(out);
    if (status != 0 || url.empty()) {
      stop_locked();
      throw std::runtime_error(std::string("pg_test_env: '") + kThrowawayScript + " start' " +
                               describe_status(status) +
                               " (see its messages above); set DBSAFE_TEST_DATABASE_URL to "
                               "use an existing server instead");
    }
    url_ = url;
  }

  void stop_locked() noexcept {
    if (!dir_.empty() && owner_ == ::getpid()) {
      std::string command =
          shell_quote(kThrowawayScript) + " stop " + shell_quote(dir_) + " --remove";
      std::fflush(nullptr);
      int status = std::system(command.c_str());
      if (status != 0) {
        std::cerr << "pg_test_env: '" << command << "' " << describe_status(status) << "\n";
      }
    }
    dir_.clear();
    url_.clear();
  }

  std::mutex mu_;
  std::string url_;
  std::string error_;
  std::string dir_;  // throwaway cluster directory; empty when not ours
  pid_t owner_ = 0;  // process that started the cluster (forked children never stop it)
};

Server &server() {
  static Server instance;
  return instance;
}

void ignore_notice(void *, const char *) {}

// An open libpq connection that closes itself.
class Connection {
 public:
  explicit Connection(const std::string &url) {
    const char *keywords[] = {"dbname", "application_name", "connect_timeout", nullptr};
    const char *values[] = {url.c_str(), "dbsafe-tests", "30", nullptr};
    conn_ = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
    if (conn_ == nullptr) throw std::runtime_error("pg_test_env: out of memory connecting");
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string message = PQerrorMessage(conn_);
      PQfinish(conn_);
      throw std::runtime_error("pg_test_env: cannot connect to " + shown(url) + ": " + message);
    }
    PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
  }
  ~Connection() { PQfinish(conn_); }
  Connection(const Connection &) = delete;
  Connection &operator=(const Connection &) = delete;

  std::string quote_identifier(const std::string &name) {
    char *quoted = PQescapeIdentifier(conn_, name.data(), name.size());
    if (quoted == nullptr) {
      throw std::runtime_error("pg_test_env: PQescapeIdentifier: " +
                               std::string(PQerrorMessage(conn_)));
    }
    std::string out = quoted;
    PQfreemem(quoted);
    return out;
  }

  void exec(const std::string &sql) {
    PGresult *res = PQexec(conn_, sql.c_str());
    ExecStatusType st = PQresultStatus(res);
    std::string message = PQresultErrorMessage(res);
    PQclear(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      throw std::runtime_error("pg_test_env: " + sql + ": " + message);
    }
  }

 private:
  PGconn *conn_ = nullptr;
};

std::string unique_database_name() {
  static std::atomic<unsigned> counter{0};
  static const unsigned salt = [] {
    std::random_device rd;
    return static_cast<unsigned>(rd());
  }();
  thread_local std::mt19937 rng{std::random_device{}() ^ salt};
  char random[9];
  std::snprintf(random, sizeof random, "%08x", static_cast<unsigned>(rng()));
  return "dbsafe_t_" + std::to_string(::getpid()) + "_" + std::to_string(++counter) + "_" + random;
}

}  // namespace

void PostgresEnvironment::SetUp() {
#if GTEST_HAS_DEATH_TEST
  // A death-test child re-running this binary uses the parent's server lazily.
  if (::testing::internal::InDeathTestChild()) return;
#endif
  try {
    const std::string &url = server_url();
    std::cerr << "pg_test_env: using PostgreSQL at " << shown(url) << "\n";
  } catch (const std::exception &e) {
    GTEST_FAIL() << e.what();
  }
}

void PostgresEnvironment::TearDown() {
  server().stop();
}

const std::string &server_url() {
  return server().url();
}

std::string url_for_database(const std::string &server, const std::string &database) {
  size_t scheme = server.find("://");
  bool is_url = scheme != std::string::npos && (server.compare(0, scheme, "postgresql") == 0 ||
                                                server.compare(0, scheme, "postgres") == 0);
  if (!is_url) {
    // keyword=value form: a later dbname overrides an earlier one.
    return server + " dbname=" + database;
  }
  size_t path = server.find_first_of("/?", scheme + 3);
  if (path == std::string::npos) return server + "/" + database;
  size_t query = server.find('?', path);
  std::string rest = (query == std::string::npos) ? std::string() : server.substr(query);
  return server.substr(0, path) + "/" + database + rest;
}

TestDatabase::TestDatabase() : server_(server_url()), name_(unique_database_name()) {
  Connection conn(server_);
  // template0 never has connections, so parallel CREATE DATABASE cannot fail
  // with "source database is being accessed by other users".
  conn.exec("CREATE DATABASE " + conn.quote_identifier(name_) + " TEMPLATE template0");
  url_ = url_for_database(server_, name_);
}

TestDatabase::~TestDatabase() {
  drop();
}

TestDatabase::TestDatabase(TestDatabase &&other) noexcept
    : server_(std::move(other.server_)),
      name_(std::move(other.name_)),
      url_(std::move(other.url_)) {
  other.server_.clear();
  other.name_.clear();
  other.url_.clear();
}

TestDatabase &TestDatabase::operator=(TestDatabase &&other) noexcept {
  if (this != &other) {
    drop();
    server_ = std::move(other.server_);
    name_ = std::move(other.name_);
    url_ = std::move(other.url_);
    other.server_.clear();
    other.name_.clear();
    other.url_.clear();
  }
  return *this;
}

void TestDatabase::drop() noexcept {
  if (name_.empty()) return;
  try {
    Connection conn(server_);
    conn.exec("DROP DATABASE IF EXISTS " + conn.quote_identifier(name_) + " WITH (FORCE)");
  } catch (const std::exception &e) {
    try {
      ADD_FAILURE() << "dropping test database " << name_ << ": " << e.what();
    } catch (...) {  // --gtest_throw_on_failure: never throw from a destructor
    }
  }
  name_.clear();
  url_.clear();
  server_.clear();
}

}  // namespace dbsafe::testing
