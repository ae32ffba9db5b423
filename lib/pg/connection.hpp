// RAII over libpq: a connection, parameterised and simple queries that the
// cancel token and deadline can interrupt on the server, server notices to
// the log, and errors that carry SQLSTATE and position but never the
// connection string or its password.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dbsafe/call.hpp"
#include "dbsafe/error.hpp"

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

// An error the server reported for a statement (Error(Database) with the
// parts a runner needs to point into the migration file).
class ServerError : public Error {
 public:
  ServerError(std::string message, std::string sqlstate, std::string primary, int position)
      : Error(ErrorCode::Database, std::move(message)),
        primary_(std::move(primary)),
        position_(position) {
    with_sqlstate(std::move(sqlstate));
  }
  // exec_script: how many statements of the script completed before this one.
  int statements_done = 0;
  // The server's primary message alone.
  const std::string &primary() const noexcept { return primary_; }
  // 1-based character position in the query text; 0 when the server gave none.
  int position() const noexcept { return position_; }

 private:
  std::string primary_;
  int position_ = 0;
};

// What exec_script reports while a script runs.
struct ScriptObserver {
  // Statement `index` (0-based, in the script) completed.
  std::function<void(int index)> statement_done;
  // Called once when the script has run longer than `slow_after` (e.g. to
  // find the sessions that block it).
  std::chrono::milliseconds slow_after = std::chrono::milliseconds::max();
  std::function<void()> on_slow;
};

class Connection {
 public:
  // Connects with a URI or key=value string libpq accepts. Throws
  // Error(Auth) for a rejected login and Error(Connect) otherwise; messages
  // never hold the connection string. Server notices go to ctx's log.
  static Connection open(const std::string &conninfo, const CallContext &ctx);

  Connection(Connection &&) noexcept;
  Connection &operator=(Connection &&) noexcept;
  ~Connection();

  // Runs `sql` with text parameters ($1, $2, …); throws ServerError with the
  // server's SQLSTATE, message, detail and hint. Not interruptible: for
  // short bookkeeping queries.
  Result exec(const std::string &sql, const std::vector<std::optional<std::string>> &params = {});

  // Runs `sql` (several statements allowed) as one simple query, without
  // parameters; returns the last statement's result.
  Result simple(const std::string &sql);

  // Sends `sql`, several statements, as one simple query without waiting
  // for it; next_result() then hands back each statement's result in order,
  // as soon as that statement is done. The server runs the next statements
  // while the caller works on the results it has, and there is one round
  // trip in all. Not interruptible, like exec().
  void send_statements(const std::string &sql);
  // The next result of send_statements(). A failed statement is thrown as
  // ServerError, after which the server has skipped the rest; asking for a
  // result past the last statement is Error(Internal).
  Result next_result();
  // Reads what remains of send_statements() (the rest's results, unread);
  // the connection can then take other queries.
  void finish_statements();

  // Sends `sql` (any number of statements) as one simple query and waits for
  // it, polling the cancel token and deadline: when the call must stop, the
  // statement is cancelled on the server and Error(Cancelled/Timeout) thrown.
  // A server error is thrown as ServerError with statements_done set.
  void exec_script(const std::string &sql, const CallContext &ctx,
                   const ScriptObserver &observer = {});

  // An identifier / literal quoted for SQL (PQescapeIdentifier / Literal).
  std::string quote_identifier(const std::string &name);
  std::string quote_literal(const std::string &value);

  // The process id the server announced at connect (BackendKeyData). A
  // pooler in between announces its own.
  int announced_backend_pid() const { return PQbackendPID(raw()); }
  int server_version() const { return PQserverVersion(raw()); }
  bool in_transaction() const { return PQtransactionStatus(raw()) != PQTRANS_IDLE; }

  PGconn *raw() const;

 private:
  struct State;
  explicit Connection(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// The connection string with any password replaced by "***", for messages.
std::string redact(const std::string &conninfo);

// A database URL as users write it for Prisma: libpq's URI or key=value
// forms plus Prisma's own query parameters, which libpq would reject.
struct Target {
  std::string conninfo;         // what libpq gets: Prisma-only parameters removed
  std::string schema;           // Prisma's `schema` parameter; empty when absent
  std::string host;             // first host, as written
  std::string port;             // first port, as written ("" when absent)
  bool pgbouncer_flag = false;  // pgbouncer=true
  // Why the URL itself says it goes through a transaction-mode pooler
  // (empty: it does not say so).
  std::string pooler_reason;
};

// Parses `url`. Throws Error(Invalid) naming the bad part (never the
// password).
Target parse_target(const std::string &url);

// `conninfo` (as libpq accepts it) as a key=value string that connects to
// database `dbname` on the same server with the same settings.
std::string with_database(const std::string &conninfo, const std::string &dbname);

}  // namespace dbsafe::pg
