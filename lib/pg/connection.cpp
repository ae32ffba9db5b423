#include "pg/connection.hpp"

#include <poll.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <regex>
#include <string_view>

#include "dbsafe/error.hpp"

namespace dbsafe::pg {

struct Connection::State {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn{nullptr, PQfinish};
  CallContext ctx;  // where server notices go
};

Connection::Connection(std::unique_ptr<State> state) : state_(std::move(state)) {}
Connection::Connection(Connection &&) noexcept = default;
Connection &Connection::operator=(Connection &&) noexcept = default;
Connection::~Connection() = default;

PGconn *Connection::raw() const {
  return state_->conn.get();
}

std::string redact(const std::string &conninfo) {
  static const std::regex uri_password(R"(^([a-z]+://[^:/?#@]*):[^@/?#]*@)");
  static const std::regex kv_password(R"((password\s*=\s*)('(\\.|[^'])*'|\S+))");
  static const std::regex query_password(R"(([?&]password=)[^&]*)");
  std::string out = std::regex_replace(conninfo, uri_password, "$1:***@");
  out = std::regex_replace(out, kv_password, "$1***");
  return std::regex_replace(out, query_password, "$1***");
}

namespace {

std::string trim_newlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The primary message of a server notice, e.g. "NOTICE:  relation exists".
void forward_notice(void *arg, const PGresult *res) {
  auto *state = static_cast<const CallContext *>(arg);
  const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
  const char *message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
  if (message == nullptr) return;
  std::string_view sev = severity ? severity : "NOTICE";
  LogLevel level = sev == "WARNING"                   ? LogLevel::Warning
                   : (sev == "DEBUG" || sev == "LOG") ? LogLevel::Debug
                                                      : LogLevel::Info;
  std::string text = std::string(sev) + ": " + message;
  if (const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL))
    text += std::string(" (") + detail + ")";
  try {
    state->log(level, "postgres", text);
  } catch (...) {
    // A logger that throws must not unwind through libpq's C frames.
  }
}

[[noreturn]] void throw_result_error(PGconn *conn, PGresult *raw) {
  auto field = [&](int code) {
    const char *v = raw ? PQresultErrorField(raw, code) : nullptr;
    return std::string(v ? v : "");
  };
  std::string primary = raw ? field(PG_DIAG_MESSAGE_PRIMARY) : "";
  if (primary.empty()) primary = trim_newlines(PQerrorMessage(conn));
  std::string detail = field(PG_DIAG_MESSAGE_DETAIL), hint = field(PG_DIAG_MESSAGE_HINT);
  std::string sqlstate = field(PG_DIAG_SQLSTATE);
  int position = std::atoi(field(PG_DIAG_STATEMENT_POSITION).c_str());
  std::string message = "the database reported: " + primary +
                        (detail.empty() ? "" : " (" + detail + ")") +
                        (hint.empty() ? "" : "; hint: " + hint);
  if (PQstatus(conn) == CONNECTION_BAD) {
    // The server went away mid-statement: say so, with the cause.
    throw Error(ErrorCode::Connect,
                "lost the connection to the database: " + trim_newlines(PQerrorMessage(conn)));
  }
  throw ServerError(std::move(message), std::move(sqlstate), std::move(primary), position);
}

bool ok_status(ExecStatusType s) {
  return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_EMPTY_QUERY;
}

}  // namespace

Connection Connection::open(const std::string &conninfo, const CallContext &ctx) {
  ctx.checkpoint();
  auto state = std::make_unique<State>();
  state->ctx = ctx;
  // Non-blocking connect, so the cancel token and the call's deadline are
  // honoured while a server is slow to answer (libpq's connect_timeout still
  // bounds it too).
  state->conn.reset(PQconnectStart(conninfo.c_str()));
  PGconn *c = state->conn.get();
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
  PostgresPollingStatusType poll_state = PGRES_POLLING_WRITING;
  while (PQstatus(c) != CONNECTION_BAD && poll_state != PGRES_POLLING_OK &&
         poll_state != PGRES_POLLING_FAILED) {
    if (std::chrono::steady_clock::now() >= connect_deadline)
      throw Error(ErrorCode::Connect,
                  "cannot connect to the database: no answer within connect_timeout; check the "
                  "host, port and that the server is running");
    // libpq may change sockets between attempts: read it on every step.
    pollfd fd{PQsocket(c),
              static_cast<short>(poll_state == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0};
    int ready = fd.fd < 0 ? 1 : ::poll(&fd, 1, 100);
    ctx.checkpoint();
    if (ready != 0) poll_state = PQconnectPoll(c);
  }
  if (PQstatus(c) != CONNECTION_OK) {
    std::string message = redact(trim_newlines(PQerrorMessage(c)));
    bool auth = message.find("password authentication failed") != std::string::npos ||
                message.find("no password supplied") != std::string::npos ||
                message.find("authentication failed") != std::string::npos;
    throw Error(auth ? ErrorCode::Auth : ErrorCode::Connect,
                "cannot connect to the database: " + message +
                    (auth ? "; check the user and password in the connection URL"
                          : "; check the host, port and that the server is running"));
  }
  PQsetNoticeReceiver(c, forward_notice, &state->ctx);
  // dbsafe's own sessions are never held by a read-only window (`dbsafe
  // maintenance on` sets default_transaction_read_only per database), so a
  // deploy, copy or restore still writes during it. A SET after connecting
  // rather than `options=-c …` at startup, which PgBouncer refuses as an
  // unsupported startup parameter. Servers since 14 report the setting when
  // the session starts, so the round trip is only spent when it is on (or
  // not reported, by an older server or a pooler).
  const char *read_only = PQparameterStatus(c, "default_transaction_read_only");
  if (read_only == nullptr || std::string_view(read_only) != "off") {
    std::unique_ptr<PGresult, decltype(&PQclear)> set(
        PQexec(c, "SET default_transaction_read_only = off"), PQclear);
    if (PQresultStatus(set.get()) != PGRES_COMMAND_OK)
      ctx.log(LogLevel::Warning, "pg",
              "could not turn default_transaction_read_only off for this session (" +
                  trim_newlines(PQerrorMessage(c)) +
                  "); writes will fail while the database is read-only");
  }
  return Connection(std::move(state));
}

Result Connection::exec(const std::string &sql,
                        const std::vector<std::optional<std::string>> &params) {
  std::vector<const char *> values;
  for (const auto &p : params) values.push_back(p ? p->c_str() : nullptr);
  PGresult *raw = PQexecParams(this->raw(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0);
  Result r(raw);
  if (raw && ok_status(PQresultStatus(raw))) return r;
  throw_result_error(this->raw(), raw);
}

Result Connection::simple(const std::string &sql) {
  PGresult *raw = PQexec(this->raw(), sql.c_str());
  Result r(raw);
  if (raw && ok_status(PQresultStatus(raw))) return r;
  throw_result_error(this->raw(), raw);
}

void Connection::send_statements(const std::string &sql) {
  if (!PQsendQuery(raw(), sql.c_str()))
    throw Error(ErrorCode::Connect,
                "cannot send the statements: " + trim_newlines(PQerrorMessage(raw())));
}

Result Connection::next_result() {
  PGresult *raw = PQgetResult(this->raw());
  if (raw == nullptr)
    throw Error(ErrorCode::Internal, "asked for more results than the statements sent");
  Result r(raw);
  if (ok_status(PQresultStatus(raw))) return r;
  finish_statements();
  throw_result_error(this->raw(), raw);
}

void Connection::finish_statements() {
  while (PGresult *rest = PQgetResult(raw())) PQclear(rest);
}

void Connection::exec_script(const std::string &sql, const CallContext &ctx,
                             const ScriptObserver &observer) {
  PGconn *c = raw();
  if (!PQsendQuery(c, sql.c_str()))
    throw Error(ErrorCode::Connect,
                "cannot send the statement: " + trim_newlines(PQerrorMessage(c)));
  auto started = std::chrono::steady_clock::now();
  bool slow_reported = false;
  std::optional<Error> stop;  // why the call is being stopped
  bool lost = false;
  // Records why the call stops and cancels the running statement: the
  // server answers it with SQLSTATE 57014, which the loop below drains.
  auto request_stop = [&](const Error &e) {
    if (stop) return;
    stop = e;
    if (PGcancel *cancel = PQgetCancel(c)) {
      char buf[256];
      PQcancel(cancel, buf, sizeof buf);
      PQfreeCancel(cancel);
    }
  };
  // Waits until a result can be read without blocking, checking the cancel
  // token and deadline every 100 ms; cancels on the server when told to stop.
  auto wait_for_result = [&] {
    while (PQisBusy(c)) {
      pollfd fd{PQsocket(c), POLLIN, 0};
      int ready = ::poll(&fd, 1, 100);
      if (ready < 0 && errno != EINTR) {
        lost = true;
        return;
      }
      if (ready > 0 && !PQconsumeInput(c)) {
        lost = true;
        return;
      }
      if (!stop) {
        try {
          ctx.checkpoint();
        } catch (const Error &e) {
          request_stop(e);
        }
      }
      if (!slow_reported && observer.on_slow &&
          std::chrono::steady_clock::now() - started >= observer.slow_after) {
        slow_reported = true;
        observer.on_slow();
      }
    }
  };
  // One result per statement, as each completes; the first error is the one
  // that stopped the script.
  PGresult *first_error = nullptr;
  int done = 0, error_index = 0;
  for (;;) {
    wait_for_result();
    if (lost) break;
    PGresult *r = PQgetResult(c);
    if (r == nullptr) break;
    auto status = PQresultStatus(r);
    if (status == PGRES_COPY_IN) {
      PQputCopyEnd(c, "COPY FROM STDIN cannot be fed by a migration runner");
    } else if (status == PGRES_COPY_OUT) {
      char *row = nullptr;
      while (PQgetCopyData(c, &row, 0) > 0) PQfreemem(row);
    }
    if (ok_status(status) || status == PGRES_COPY_OUT || status == PGRES_COPY_IN) {
      if (!first_error && observer.statement_done && status != PGRES_EMPTY_QUERY) {
        try {
          observer.statement_done(done);
        } catch (const Error &e) {
          request_stop(e);  // e.g. the progress callback asked to stop
        }
      }
      ++done;
      PQclear(r);
    } else if (first_error == nullptr) {
      first_error = r;
      error_index = done;
    } else {
      PQclear(r);
    }
  }
  Result owner(first_error);
  if (stop) throw *stop;
  if (first_error != nullptr || lost || PQstatus(c) == CONNECTION_BAD) {
    try {
      throw_result_error(c, first_error);
    } catch (ServerError &e) {
      e.statements_done = error_index;
      throw;
    }
  }
}

std::string Connection::quote_identifier(const std::string &name) {
  char *q = PQescapeIdentifier(raw(), name.c_str(), name.size());
  if (q == nullptr) throw Error(ErrorCode::Invalid, "cannot quote identifier: " + name);
  std::string out(q);
  PQfreemem(q);
  return out;
}

std::string Connection::quote_literal(const std::string &value) {
  char *q = PQescapeLiteral(raw(), value.c_str(), value.size());
  if (q == nullptr) throw Error(ErrorCode::Invalid, "cannot quote a literal");
  std::string out(q);
  PQfreemem(q);
  return out;
}

// ------------------------------------------------------------------ URLs

namespace {

bool is_uri(std::string_view url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Query parameters Prisma's URLs carry that libpq does not know.
bool prisma_only_parameter(std::string_view key) {
  return key == "schema" || key == "pgbouncer" || key == "connection_limit" ||
         key == "pool_timeout" || key == "socket_timeout" || key == "sslaccept" ||
         key == "sslidentity" || key == "statement_cache_size" || key == "single_use_connections";
}

}  // namespace

Target parse_target(const std::string &url) {
  Target t;
  if (url.empty())
    throw Error(ErrorCode::Invalid,
                "no database URL; pass --database-url or set DIRECT_URL or DATABASE_URL");
  t.conninfo = url;
  if (is_uri(url)) {
    auto q = url.find('?');
    if (q != std::string::npos) {
      std::string kept;
      std::string_view query(url.data() + q + 1, url.size() - q - 1);
      while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view part = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (part.empty()) continue;
        auto eq = part.find('=');
        std::string key = percent_decode(part.substr(0, eq));
        std::string value = eq == std::string_view::npos ? "" : percent_decode(part.substr(eq + 1));
        if (key == "schema") t.schema = value;
        if (key == "pgbouncer") t.pgbouncer_flag = value == "true" || value == "1";
        if (prisma_only_parameter(key)) continue;
        kept += (kept.empty() ? "?" : "&") + std::string(part);
      }
      t.conninfo = url.substr(0, q) + kept;
    }
  }
  char *parse_error = nullptr;
  PQconninfoOption *opts = PQconninfoParse(t.conninfo.c_str(), &parse_error);
  if (opts == nullptr) {
    std::string why = parse_error ? trim_newlines(parse_error) : "out of memory";
    if (parse_error) PQfreemem(parse_error);
    throw Error(ErrorCode::Invalid, "the database URL is not valid: " + redact(why) +
                                        "; expected postgresql://user:password@host:port/db "
                                        "or key=value pairs");
  }
  for (auto *o = opts; o->keyword; ++o) {
    std::string_view key = o->keyword;
    std::string value = o->val ? o->val : "";
    auto first = [](const std::string &list) { return list.substr(0, list.find(',')); };
    if (key == "host" && !value.empty()) t.host = first(value);
    if (key == "port" && !value.empty()) t.port = first(value);
  }
  PQconninfoFree(opts);
  if (t.pgbouncer_flag)
    t.pooler_reason = "the URL says pgbouncer=true";
  else if (t.host.find("-pooler.") != std::string::npos)
    t.pooler_reason = "the host " + t.host + " is a Neon pooler endpoint (-pooler)";
  else if (t.port == "6543")
    t.pooler_reason = "port 6543 is the usual transaction-mode pooler port (Supabase)";
  return t;
}

std::string with_database(const std::string &conninfo, const std::string &dbname) {
  char *parse_error = nullptr;
  PQconninfoOption *opts = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (opts == nullptr) {
    if (parse_error) PQfreemem(parse_error);
    throw Error(ErrorCode::Invalid, "the database URL is not valid");
  }
  // key='value' with \ and \' escaped, as libpq's conninfo syntax wants.
  auto quoted = [](const std::string &v) {
    std::string out = "'";
    for (char c : v) {
      if (c == '\\' || c == '\'') out += '\\';
      out += c;
    }
    return out + "'";
  };
  std::string out;
  for (auto *o = opts; o->keyword; ++o) {
    std::string key = o->keyword;
    if (key == "dbname" || !o->val || !*o->val) continue;
    out += key + "=" + quoted(o->val) + " ";
  }
  PQconninfoFree(opts);
  return out + "dbname=" + quoted(dbname);
}

}  // namespace dbsafe::pg
