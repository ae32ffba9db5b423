// RAII over libpq: a connection, parameterised queries, and errors that
// carry SQLSTATE but never the connection string or its password.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dbsafe/call.hpp"

namespace dbsafe::pg {

class Result {
 public:
  explicit Result(PGresult *r) : r_(r, PQclear) {}
  int rows() const { return PQntuples(r_.get()); }
  bool is_null(int row, int col) const { return PQgetisnull(r_.get(), row, col); }
  std::string text(int row, int col) const { return PQgetvalue(r_.get(), row, col); }
  std::optional<std::string> optional_text(int row, int col) const {
    if (is_null(row, col)) return std::nullopt;
    return text(row, col);
  }

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> r_;
};

class Connection {
 public:
  // Connects with a URI or key=value string. Throws Error(Auth) for a
  // rejected login and Error(Database) otherwise; messages never hold the
  // connection string.
  static Connection open(const std::string &conninfo, const CallContext &ctx);

  // Runs `sql` with text parameters ($1, $2, …); throws Error(Database) with
  // the server's SQLSTATE, message, detail and hint.
  Result exec(const std::string &sql, const std::vector<std::optional<std::string>> &params = {});

  // An identifier quoted for SQL (PQescapeIdentifier).
  std::string quote_identifier(const std::string &name);

  PGconn *raw() const { return conn_.get(); }

 private:
  explicit Connection(PGconn *c) : conn_(c, PQfinish) {}
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
};

// The connection string with any password replaced by "***", for messages.
std::string redact(const std::string &conninfo);

}  // namespace dbsafe::pg
