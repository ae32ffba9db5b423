// A libpq connection for tests that set up or inspect a database by hand:
// one statement at a time, the first value of its first row back.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace dbsafe::testing {

class SqlConnection {
 public:
  explicit SqlConnection(const std::string &url) : c_(PQconnectdb(url.c_str())) {
    if (PQstatus(c_) != CONNECTION_OK) {
      std::string message = PQerrorMessage(c_);
      PQfinish(c_);
      throw std::runtime_error("cannot connect: " + message);
    }
  }
  ~SqlConnection() { PQfinish(c_); }
  SqlConnection(const SqlConnection &) = delete;
  SqlConnection &operator=(const SqlConnection &) = delete;

  // Runs `sql`; throws naming it when it fails. "" when it returns no rows.
  std::string one(const std::string &sql) {
    std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(c_, sql.c_str()), PQclear);
    auto status = PQresultStatus(r.get());
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK)
      throw std::runtime_error(sql + ": " + PQerrorMessage(c_));
    return status == PGRES_TUPLES_OK && PQntuples(r.get()) > 0 ? PQgetvalue(r.get(), 0, 0) : "";
  }
  PGconn *get() const { return c_; }

 private:
  PGconn *c_;
};

}  // namespace dbsafe::testing
