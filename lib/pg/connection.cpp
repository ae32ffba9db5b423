#include "pg/connection.hpp"

#include <poll.h>

#include <chrono>
#include <cstdlib>
#include <regex>
#include <string_view>

#include "dbsafe/error.hpp"

namespace dbsafe::pg {

std::string redact(const std::string &conninfo) {
  static const std::regex uri_password(R"(^([a-z]+://[^:/?#@]*):[^@/?#]*@)");
  static const std::regex kv_password(R"((password\s*=\s*)('(\\.|[^'])*'|\S+))");
  static const std::regex query_password(R"(([?&]password=)[^&]*)");
  std::string out = std::regex_replace(conninfo, uri_password, "$1:***@");
  out = std::regex_replace(out, kv_password, "$1***");
  return std::regex_replace(out, query_password, "$1***");
}

Connection Connection::open(const std::string &conninfo, const CallContext &ctx) {
  ctx.checkpoint();
  // Non-blocking connect, so the cancel token and the call's deadline are
  // honoured while a server is slow to answer (libpq's connect_timeout still
  // bounds it too).
  PGconn *c = PQconnectStart(conninfo.c_str());
  Connection conn(c);
  if (c == nullptr) throw Error(ErrorCode::Internal, "libpq could not allocate a connection");
  // Only libpq's blocking connect enforces connect_timeout; this loop does it
  // itself (0 or absent: no limit of its own; under 2 s counts as 2 s, as in
  // libpq).
  auto connect_deadline = std::chrono::steady_clock::time_point::max();
  if (PQconninfoOption *opts = PQconninfo(c)) {
    for (auto *o = opts; o->keyword; ++o)
      if (std::string_view(o->keyword) == "connect_timeout" && o->val && *o->val) {
        int seconds = std::atoi(o->val);
        if (seconds > 0)
          connect_deadline =
              std::chrono::steady_clock::now() + std::chrono::seconds(std::max(seconds, 2));
      }
    PQconninfoFree(opts);
  }
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  while (PQstatus(c) != CONNECTION_BAD && state != PGRES_POLLING_OK &&
         state != PGRES_POLLING_FAILED) {
    if (std::chrono::steady_clock::now() >= connect_deadline)
      throw Error(ErrorCode::Connect,
                  "cannot connect to the database: no answer within connect_timeout; check the "
                  "host, port and that the server is running");
    // libpq may change sockets between attempts: read it on every step.
    pollfd fd{PQsocket(c), static_cast<short>(state == PGRES_POLLING_READING ? POLLIN : POLLOUT),
              0};
    int ready = fd.fd < 0 ? 1 : ::poll(&fd, 1, 100);
    ctx.checkpoint();
    if (ready != 0) state = PQconnectPoll(c);
  }
  if (PQstatus(c) != CONNECTION_OK) {
    std::string message = PQerrorMessage(c);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
      message.pop_back();
    bool auth = message.find("password authentication failed") != std::string::npos ||
                message.find("no password supplied") != std::string::npos ||
                message.find("authentication failed") != std::string::npos;
    throw Error(auth ? ErrorCode::Auth : ErrorCode::Connect,
                "cannot connect to the database: " + message +
                    (auth ? "; check the user and password in the connection URL"
                          : "; check the host, port and that the server is running"));
  }
  PQsetNoticeProcessor(
      c, [](void *, const char *) {}, nullptr);  // notices are not part of these reads
  return conn;
}

Result Connection::exec(const std::string &sql,
                        const std::vector<std::optional<std::string>> &params) {
  std::vector<const char *> values;
  for (const auto &p : params) values.push_back(p ? p->c_str() : nullptr);
  PGresult *raw = PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0);
  Result r(raw);
  auto status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return r;
  auto field = [&](int code) {
    const char *v = raw ? PQresultErrorField(raw, code) : nullptr;
    return std::string(v ? v : "");
  };
  std::string message = raw ? field(PG_DIAG_MESSAGE_PRIMARY) : PQerrorMessage(conn_.get());
  if (message.empty()) message = PQerrorMessage(conn_.get());
  while (!message.empty() && message.back() == '\n') message.pop_back();
  std::string detail = field(PG_DIAG_MESSAGE_DETAIL), hint = field(PG_DIAG_MESSAGE_HINT);
  Error e(ErrorCode::Database, "the database reported: " + message +
                                   (detail.empty() ? "" : " (" + detail + ")") +
                                   (hint.empty() ? "" : "; hint: " + hint));
  e.with_sqlstate(field(PG_DIAG_SQLSTATE));
  throw e;
}

std::string Connection::quote_identifier(const std::string &name) {
  char *q = PQescapeIdentifier(conn_.get(), name.c_str(), name.size());
  if (q == nullptr) throw Error(ErrorCode::Invalid, "cannot quote identifier: " + name);
  std::string out(q);
  PQfreemem(q);
  return out;
}

}  // namespace dbsafe::pg
