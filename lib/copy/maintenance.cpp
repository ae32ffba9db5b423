// The read-only window (include/dbsafe/maintenance.hpp, docs/maintenance.md).
//
// The window is PostgreSQL's own per-database default: ALTER DATABASE … SET
// default_transaction_read_only = on holds every session that connects
// afterwards. What dbsafe adds is the bookkeeping around it: the previous
// per-database value is recorded in dbsafe.maintenance_window in the same
// transaction as the ALTER, so `off` puts back exactly what was there, and
// the sessions that connected before the window (their default was fixed at
// connect time) are listed, or ended on request.
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>

#include "dbsafe/maintenance.hpp"
#include "pg/connection.hpp"
#include "util/json_writer.hpp"

namespace dbsafe {
inline namespace v1 {

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char *kSetting = "default_transaction_read_only";

// Timestamps as RFC 3339 UTC with microseconds, the form reports use.
#define DBSAFE_RFC3339(expr) \
  "to_char((" expr ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

std::string resolve_url(const std::string &given) {
  if (!given.empty()) return given;
  for (const char *name : {"DIRECT_URL", "DATABASE_URL"})
    if (const char *v = std::getenv(name); v && *v) return v;
  throw Error(ErrorCode::Invalid,
              "no database URL: pass --database-url (database_url) or set DIRECT_URL or "
              "DATABASE_URL");
}

std::string default_actor() {
  for (const char *name : {"GITHUB_ACTOR", "USER"})
    if (const char *v = std::getenv(name); v && *v) return v;
  if (const struct passwd *pw = ::getpwuid(::geteuid()); pw && pw->pw_name && *pw->pw_name)
    return pw->pw_name;
  return "unknown";
}

// Whether a boolean setting's text (as ALTER … SET stored it) means on, by
// PostgreSQL's rules: on, true, yes, 1 and unique prefixes, any case.
bool setting_is_on(const std::optional<std::string> &value) {
  if (!value) return false;
  std::string v = *value;
  std::transform(v.begin(), v.end(), v.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (v == "on" || v == "1") return true;
  if (v.empty()) return false;
  return std::string("true").starts_with(v) || std::string("yes").starts_with(v);
}

// The per-database value of the setting (pg_db_role_setting, setrole = 0:
// not the per-role ones); nullopt when there is none.
std::optional<std::string> database_setting(pg::Connection &conn) {
  auto r = conn.exec(
      "SELECT substr(c, length($1) + 2) FROM pg_db_role_setting s, unnest(s.setconfig) c "
      "WHERE s.setrole = 0 AND s.setdatabase = (SELECT oid FROM pg_database WHERE datname = "
      "current_database()) AND starts_with(c, $1 || '=')",
      {std::string(kSetting)});
  if (r.rows() == 0) return std::nullopt;
  return r.text(0, 0);
}

struct Record {
  std::string since, opened_by, opened_by_role;
  std::optional<std::string> previous;
};

bool record_table_exists(pg::Connection &conn) {
  return conn.exec("SELECT to_regclass('dbsafe.maintenance_window') IS NOT NULL").text(0, 0) == "t";
}

// The record of this database's window. Keyed by the database's oid, like
// pg_db_role_setting: a renamed database keeps both its setting and its
// record, a copy (CREATE DATABASE … TEMPLATE, a restore into a new
// database) has neither.
std::optional<Record> read_record(pg::Connection &conn) {
  if (!record_table_exists(conn)) return std::nullopt;
  auto r = conn.exec("SELECT " DBSAFE_RFC3339(
      "opened_at") ", opened_by, opened_by_role, previous_setting "
                   "FROM dbsafe.maintenance_window WHERE database_oid = (SELECT oid FROM "
                   "pg_database WHERE "
                   "datname = current_database())");
  if (r.rows() == 0) return std::nullopt;
  return Record{r.text(0, 0), r.text(0, 1), r.text(0, 2), r.optional_text(0, 3)};
}

// Creates the schema and table when missing. Inside the caller's
// transaction, after its advisory lock, so two first windows do not race.
void ensure_record_table(pg::Connection &conn) {
  if (record_table_exists(conn)) return;
  conn.simple(
      "CREATE SCHEMA IF NOT EXISTS dbsafe;"
      "CREATE TABLE IF NOT EXISTS dbsafe.maintenance_window ("
      " database_oid oid PRIMARY KEY,"
      " database_name text NOT NULL,"
      " opened_at timestamptz NOT NULL,"
      " opened_by text NOT NULL,"
      " opened_by_role text NOT NULL,"
      " previous_setting text)");
}

// Client sessions of this database, other than this one, that started before
// `cutoff` (all of them when there is no cutoff: a window dbsafe did not
// record may have opened at any time). A role without pg_read_all_stats
// sees other roles' sessions with backend_start and backend_type hidden
// (NULL): those are listed too, since they may be writers, with a warning.
std::vector<MaintenanceWriter> list_writers(pg::Connection &conn,
                                            const std::optional<std::string> &cutoff,
                                            std::vector<std::string> &warnings) {
  auto r = conn.exec(
      "SELECT pid, coalesce(usename, ''), coalesce(application_name, ''), "
      "coalesce(host(client_addr), ''), " DBSAFE_RFC3339("backend_start") ", coalesce(state, ''), "
      "backend_start IS NULL FROM pg_stat_activity WHERE datname = current_database() AND "
      "(backend_type = 'client backend' OR backend_type IS NULL) AND pid <> pg_backend_pid() AND "
      "(backend_start IS NULL OR $1::timestamptz IS NULL OR backend_start < $1::timestamptz) "
      "ORDER BY backend_start, pid",
      {cutoff});
  std::vector<MaintenanceWriter> out;
  int hidden = 0;
  for (int i = 0; i < r.rows(); ++i) {
    MaintenanceWriter w;
    w.pid = std::atoi(r.text(i, 0).c_str());
    w.user = r.text(i, 1);
    w.application_name = r.text(i, 2);
    w.client_addr = r.text(i, 3);
    w.backend_start = r.text(i, 4);
    w.state = r.text(i, 5);
    if (r.text(i, 6) == "t") ++hidden;
    out.push_back(std::move(w));
  }
  if (hidden > 0)
    warnings.push_back(std::to_string(hidden) + " session" + (hidden == 1 ? "" : "s") +
                       " of other roles could not be inspected (this role lacks "
                       "pg_read_all_stats): listed as writers, since they may be");
  return out;
}

// Ends each writer. One statement per session, so a refusal (another
// role's session without pg_signal_backend: 42501) is reported for that
// session and the others are still ended. PostgreSQL 14+ waits up to 5 s for
// the session to be gone, so "terminated" means it is.
void terminate(pg::Connection &conn, MaintenanceReport &report, const CallContext &ctx) {
  const bool can_wait = conn.server_version() >= 140000;
  for (auto &w : report.writers) {
    ctx.checkpoint();
    try {
      auto r = conn.exec(can_wait ? "SELECT pg_terminate_backend($1::int, 5000)"
                                  : "SELECT pg_terminate_backend($1::int)",
                         {std::to_string(w.pid)});
      bool still_there =
          r.text(0, 0) != "t" &&
          conn.exec("SELECT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $1::int)",
                    {std::to_string(w.pid)})
                  .text(0, 0) == "t";
      if (r.text(0, 0) == "t") {
        w.outcome = "terminated";
        ++report.terminated;
      } else if (!still_there) {
        // It disconnected by itself between the listing and the signal.
        w.outcome = "gone";
      } else {
        w.outcome = "not_terminated";
        w.error = can_wait ? "the session did not end within 5 s"
                           : "the session was already gone or could not be signalled";
        ++report.not_terminated;
      }
    } catch (const pg::ServerError &e) {
      w.outcome = "not_terminated";
      w.error = e.primary() + (e.sqlstate().empty() ? "" : " (SQLSTATE " + e.sqlstate() + ")");
      ++report.not_terminated;
    }
    ctx.log(LogLevel::Info, "maintenance",
            "session " + std::to_string(w.pid) + " (" + w.user +
                "): " + (w.outcome == "not_terminated" ? "not ended: " + w.error : w.outcome));
  }
}

[[noreturn]] void explain_denied(const pg::ServerError &e, const std::string &database) {
  if (e.sqlstate() == "42501")
    throw Error(ErrorCode::Database,
                "cannot change the settings of database " + database + ": " + e.primary() +
                    "; only the database's owner or a superuser can open or close the "
                    "read-only window (connect as that role)")
        .with_sqlstate(e.sqlstate());
  throw;
}

// ALTER DATABASE … SET needs the database's owner (or a member of its role)
// or a superuser; checked before anything is written, so the refusal names
// the rule instead of whichever statement met it first.
void require_alter_right(pg::Connection &conn, const std::string &database) {
  auto r = conn.exec(
      "SELECT pg_has_role(current_user, d.datdba, 'MEMBER') OR r.rolsuper, "
      "pg_get_userbyid(d.datdba), current_user FROM pg_database d, pg_roles r WHERE d.datname = "
      "current_database() AND r.rolname = current_user");
  if (r.rows() == 1 && r.text(0, 0) == "t") return;
  throw Error(ErrorCode::Database,
              "role " + (r.rows() ? r.text(0, 2) : std::string("?")) +
                  " may not change the settings of database " + database + ": only its owner (" +
                  (r.rows() ? r.text(0, 1) : std::string("?")) +
                  ") or a superuser can open or close the read-only window; connect as that "
                  "role")
      .with_sqlstate("42501");
}

void fill_record(MaintenanceReport &r, const std::optional<Record> &rec) {
  r.recorded = rec.has_value();
  if (!rec) return;
  r.since = rec->since;
  r.opened_by = rec->opened_by;
  r.opened_by_role = rec->opened_by_role;
  r.previous_setting = rec->previous;
}

// The window's own transactions say READ WRITE: through a transaction-mode
// pooler the next transaction may run on a server session that connected
// after the window opened (read-only by default), not on the one that ran
// the connection's `SET default_transaction_read_only = off`.
void open_window(pg::Connection &conn, const MaintenanceOptions &o, MaintenanceReport &r,
                 const CallContext &ctx) {
  const std::string db = conn.quote_identifier(r.database);
  conn.simple("BEGIN READ WRITE");
  try {
    conn.exec("SELECT pg_advisory_xact_lock(hashtext('dbsafe.maintenance_window'))");
    ensure_record_table(conn);
    auto current = database_setting(conn);
    auto rec = read_record(conn);
    if (rec && setting_is_on(current)) {
      // Already open: the record keeps the value from before the first
      // `on`, which is what `off` must put back.
      conn.simple("COMMIT");
      fill_record(r, rec);
      r.changed = false;
      return;
    }
    if (rec)
      r.warnings.push_back(
          "a window was recorded but the database was no longer read-only (someone changed the "
          "setting by hand): the record was replaced");
    if (!rec && setting_is_on(current))
      r.warnings.push_back(
          "the database was already read-only by a setting dbsafe did not make; `off` will put "
          "that setting (" +
          *current + ") back");
    conn.exec(
        "INSERT INTO dbsafe.maintenance_window (database_oid, database_name, opened_at, "
        "opened_by, opened_by_role, previous_setting) SELECT oid, datname, clock_timestamp(), "
        "$1, current_user, $2 FROM pg_database WHERE datname = current_database() ON CONFLICT "
        "(database_oid) DO UPDATE SET database_name = excluded.database_name, opened_at = "
        "excluded.opened_at, opened_by = excluded.opened_by, opened_by_role = "
        "excluded.opened_by_role, previous_setting = excluded.previous_setting",
        {o.actor.empty() ? default_actor() : o.actor, current});
    try {
      conn.simple("ALTER DATABASE " + db + " SET " + kSetting + " = on");
    } catch (const pg::ServerError &e) {
      explain_denied(e, r.database);
    }
    conn.simple("COMMIT");
  } catch (...) {
    if (conn.in_transaction()) {
      try {
        conn.simple("ROLLBACK");
      } catch (...) {
        // The first error is the one to report.
      }
    }
    throw;
  }
  // A session that forks before the COMMIT but reads its settings after it
  // is read-only; one that starts after this moment certainly is. So the
  // window's start is taken now, after the commit: a session that started
  // earlier is listed, perhaps needlessly, but never missed.
  conn.simple(
      "BEGIN READ WRITE; UPDATE dbsafe.maintenance_window SET opened_at = clock_timestamp() "
      "WHERE database_oid = (SELECT oid FROM pg_database WHERE datname = current_database()); "
      "COMMIT");
  fill_record(r, read_record(conn));
  r.changed = true;
  ctx.log(LogLevel::Info, "maintenance",
          "database " + r.database + " is read-only for new sessions (" + kSetting + " = on)");
}

void close_window(pg::Connection &conn, MaintenanceReport &r, const CallContext &ctx) {
  const std::string db = conn.quote_identifier(r.database);
  conn.simple("BEGIN READ WRITE");
  try {
    conn.exec("SELECT pg_advisory_xact_lock(hashtext('dbsafe.maintenance_window'))");
    auto current = database_setting(conn);
    auto rec = read_record(conn);
    fill_record(r, rec);
    std::optional<std::string> restore_to;
    if (rec) {
      restore_to = rec->previous;
    } else if (setting_is_on(current)) {
      // Read-only without a record: dbsafe did not open this window, or its
      // record was lost (e.g. a restore brought back an older dbsafe schema).
      r.warnings.push_back("no record of the value before the window: the setting (" + *current +
                           ") was reset to the server's default");
    } else {
      conn.simple("COMMIT");
      r.changed = false;
      return;
    }
    try {
      if (restore_to)
        conn.simple("ALTER DATABASE " + db + " SET " + kSetting + " = " +
                    conn.quote_literal(*restore_to));
      else
        conn.simple("ALTER DATABASE " + db + " RESET " + kSetting);
    } catch (const pg::ServerError &e) {
      explain_denied(e, r.database);
    }
    if (rec)
      conn.exec(
          "DELETE FROM dbsafe.maintenance_window WHERE database_oid = (SELECT oid FROM "
          "pg_database WHERE datname = current_database())");
    conn.simple("COMMIT");
    r.restored_setting = restore_to;
  } catch (...) {
    if (conn.in_transaction()) {
      try {
        conn.simple("ROLLBACK");
      } catch (...) {
        // The first error is the one to report.
      }
    }
    throw;
  }
  r.changed = true;
  ctx.log(LogLevel::Info, "maintenance",
          "database " + r.database + ": " + kSetting + " " +
              (r.restored_setting ? "set back to " + *r.restored_setting : std::string("reset")));
}

}  // namespace

const char *maintenance_action_name(MaintenanceAction action) noexcept {
  switch (action) {
    case MaintenanceAction::On:
      return "on";
    case MaintenanceAction::Off:
      return "off";
    case MaintenanceAction::Status:
      return "status";
  }
  return "status";
}

MaintenanceReport maintenance(const MaintenanceOptions &options, const CallOptions &call) {
  CallContext ctx(call);
  auto started = Clock::now();
  if (options.terminate_writers && options.action == MaintenanceAction::Off)
    throw Error(ErrorCode::Invalid,
                "terminate_writers goes with `on` or `status`: after `off` every session may "
                "write");
  const std::string url = resolve_url(options.database_url);
  auto target = pg::parse_target(url);
  MaintenanceReport r;
  r.action = maintenance_action_name(options.action);
  r.target = pg::redact(url);
  auto conn = pg::Connection::open(target.conninfo, ctx);
  r.database = conn.exec("SELECT current_database()").text(0, 0);

  if (options.action != MaintenanceAction::Status) require_alter_right(conn, r.database);
  if (options.action == MaintenanceAction::On) open_window(conn, options, r, ctx);
  if (options.action == MaintenanceAction::Off) close_window(conn, r, ctx);

  auto setting = database_setting(conn);
  r.read_only = setting_is_on(setting);
  if (options.action == MaintenanceAction::Status) {
    auto rec = read_record(conn);
    fill_record(r, rec);
    if (rec && !r.read_only)
      r.warnings.push_back(
          "a window is recorded but the database is not read-only: someone changed the setting "
          "by hand; `dbsafe maintenance off` clears the record");
  }
  if (r.read_only) {
    if (!r.recorded)
      r.warnings.push_back(
          "the database is read-only by a setting dbsafe did not record: every other session is "
          "listed, since any of them may have connected before it was set");
    r.writers = list_writers(conn, r.recorded ? std::optional<std::string>(r.since) : std::nullopt,
                             r.warnings);
    if (options.terminate_writers) terminate(conn, r, ctx);
  }
  r.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  return r;
}

std::string MaintenanceReport::to_json() const {
  util::JsonWriter w;
  w.begin_object()
      .field("schema_version", 1)
      .field("kind", "dbsafe-maintenance")
      .field("action", action)
      .field("database", database)
      .field("target", target)
      .field("read_only", read_only)
      .field("changed", changed);
  w.key("window");
  if (!recorded) {
    w.null();
  } else {
    w.begin_object()
        .field("since", since)
        .field("opened_by", opened_by)
        .field("opened_by_role", opened_by_role)
        .field("previous_setting", previous_setting)
        .end_object();
  }
  if (action == "off") w.field("restored_setting", restored_setting);
  w.key("writers").begin_array();
  for (const auto &s : writers) {
    w.begin_object()
        .field("pid", s.pid)
        .field("user", s.user)
        .field("application_name", s.application_name)
        .field("client_addr", s.client_addr.empty() ? std::optional<std::string>()
                                                    : std::optional<std::string>(s.client_addr))
        .field("backend_start", s.backend_start.empty()
                                    ? std::optional<std::string>()
                                    : std::optional<std::string>(s.backend_start))
        .field("state", s.state);
    if (!s.outcome.empty()) w.field("outcome", s.outcome);
    if (!s.error.empty()) w.field("error", s.error);
    w.end_object();
  }
  w.end_array();
  w.field("terminated", terminated).field("not_terminated", not_terminated);
  w.key("warnings").begin_array();
  for (const auto &s : warnings) w.value(s);
  w.end_array();
  w.field("duration_ms", static_cast<std::int64_t>(duration_ms));
  return w.end_object().take();
}

}  // namespace v1
}  // namespace dbsafe
