#include "pg/connection.hpp"

#include <regex>

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
  PGconn *c = PQconnectdb(conninfo.c_str());
  Connection conn(c);
  if (c == nullptr) throw Error(ErrorCode::Internal, "libpq could not allocate a connection");
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
