// The local provider: any PostgreSQL server you own. The one "branch" is the
// database of options.database_url (the source); a snapshot or a created
// branch is a copy of it in another database on the same server, made with
// CREATE DATABASE ... TEMPLATE or with pg_dump | pg_restore.
//
// The registry of copies (dbsafe.snapshots) lives in the server's `postgres`
// maintenance database, not in the source: a restore swaps the source
// database by renames, and a registry inside it would be swapped out with
// the data (and copied, stale, into every snapshot). In the maintenance
// database it is untouched by restores and never part of a copy.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include "pg/connection.hpp"
#include "pg/tools.hpp"
#include "provider/factory.hpp"
#include "util/failpoint.hpp"
#include "util/random.hpp"

extern char **environ;

namespace dbsafe::provider {

namespace {

namespace fs = std::filesystem;

constexpr const char *kMaintenanceDb = "postgres";
constexpr std::size_t kMaxIdentifier = 63;  // NAMEDATALEN - 1

// Lower-case letters, digits and '_' only, so the database name needs no
// quoting in anything a person types.
std::string sanitize(const std::string &name, std::size_t max) {
  std::string out;
  for (unsigned char c : name) {
    if (out.size() >= max) break;
    if (std::isalnum(c) && c < 128)
      out += static_cast<char>(std::tolower(c));
    else if (!out.empty() && out.back() != '_')
      out += '_';
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out.empty() ? "x" : out;
}

std::string utc_stamp() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
  return buf;
}

// The database name a conninfo / URL connects to.
std::string database_of(const std::string &conninfo) {
  char *parse_error = nullptr;
  PQconninfoOption *opts = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (opts == nullptr) {
    if (parse_error) PQfreemem(parse_error);
    throw Error(ErrorCode::Invalid, "local provider: the database URL is not valid");
  }
  std::string db, user;
  for (auto *o = opts; o->keyword; ++o) {
    if (!o->val) continue;
    if (std::string(o->keyword) == "dbname") db = o->val;
    if (std::string(o->keyword) == "user") user = o->val;
  }
  PQconninfoFree(opts);
  if (db.empty()) db = user;
  if (db.empty())
    if (const char *env = std::getenv("PGDATABASE")) db = env;
  if (db.empty())
    if (const char *env = std::getenv("PGUSER")) db = env;
  if (db.empty())
    throw Error(ErrorCode::Invalid, "local provider: the database URL names no database");
  return db;
}

// `conninfo` for database `db` without its password (returned apart), so a
// child process gets the password in its environment, not on a command line
// every user of the machine can read.
std::string without_password(const std::string &conninfo, const std::string &db,
                             std::string &password) {
  char *parse_error = nullptr;
  PQconninfoOption *opts = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (opts == nullptr) {
    if (parse_error) PQfreemem(parse_error);
    throw Error(ErrorCode::Invalid, "local provider: the database URL is not valid");
  }
  for (auto *o = opts; o->keyword; ++o)
    if (std::string(o->keyword) == "password" && o->val) password = o->val;
  PQconninfoFree(opts);
  std::string clean = pg::with_database(conninfo, db);
  // with_database writes every set keyword; drop password='...'.
  auto at = clean.find("password='");
  if (at != std::string::npos) {
    auto end = at + 10;
    while (end < clean.size() && clean[end] != '\'') end += clean[end] == '\\' ? 2 : 1;
    clean.erase(at, end + 2 - at);
  }
  return clean;
}

// A postgres:// URL with its database replaced; key=value strings go
// through with_database.
std::string url_with_database(const std::string &url, const std::string &db) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return pg::with_database(url, db);
  std::size_t start = scheme + 3;
  auto query = url.find_first_of("?#", start);
  auto at = url.rfind('@', query == std::string::npos ? url.size() : query);
  if (at != std::string::npos && at >= start) start = at + 1;
  auto path = url.find_first_of("/?#", start);
  std::string encoded;
  for (unsigned char c : db) {
    if (std::isalnum(c) || c == '_' || c == '-' || c == '.') {
      encoded += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      encoded += buf;
    }
  }
  if (path == std::string::npos) return url + "/" + encoded;
  auto path_end = url.find_first_of("?#", path);
  if (url[path] != '/') path_end = path;
  return url.substr(0, path) + "/" + encoded +
         (path_end == std::string::npos ? "" : url.substr(path_end));
}

std::string find_pg_bindir(const std::string &configured) {
  const auto tools = {"pg_dump", "pg_restore"};
  if (!configured.empty()) {
    if (pg::holds_programs(configured, tools)) return configured;
    throw Error(ErrorCode::NotFound, "pg_bindir " + configured + " holds no pg_dump / pg_restore");
  }
  if (const char *env = std::getenv("PG_BINDIR"); env && *env && pg::holds_programs(env, tools))
    return env;
  if (auto found = pg::newest_installed_bindir(tools); !found.empty()) return found;
  for (const char *dir : {"/usr/local/bin", "/usr/bin"})
    if (pg::holds_programs(dir, tools)) return dir;
  throw Error(ErrorCode::NotFound,
              "the \"dump\" method needs pg_dump and pg_restore: install the PostgreSQL client "
              "tools or set pg_bindir (PG_BINDIR)");
}

// Starts `argv` (no shell) with stdin/stdout on the given descriptors (-1:
// /dev/null) and stderr appended to `log`; `env` is its whole environment.
pid_t spawn(const std::vector<std::string> &argv, const std::vector<std::string> &env, int in,
            int out, const std::string &log, const std::vector<int> &close_in_child) {
  // Everything the child needs is built before fork: only async-signal-safe
  // calls happen between fork and exec.
  std::vector<char *> args, envp;
  for (const auto &a : argv) args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);
  for (const auto &e : env) envp.push_back(const_cast<char *>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw Error(ErrorCode::Io, "cannot start " + argv[0]);
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(in >= 0 ? in : null, 0);
    ::dup2(out >= 0 ? out : null, 1);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(fd >= 0 ? fd : null, 2);
    for (int c : close_in_child) ::close(c);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

struct Session {
  std::string pid, user, application, client, state;
};

}  // namespace

class LocalProvider final : public Provider {
 public:
  explicit LocalProvider(const ProviderOptions &options) : options_(options) {
    if (options_.database_url.empty()) {
      if (const char *env = std::getenv("DATABASE_URL"); env && *env)
        options_.database_url = env;
      else
        throw Error(ErrorCode::Invalid,
                    "local provider: no database URL (set database_url or DATABASE_URL)");
    }
    if (options_.local_method != "template" && options_.local_method != "dump")
      throw Error(ErrorCode::Invalid, "local provider: method \"" + options_.local_method +
                                          "\" is not \"template\" or \"dump\"");
    target_ = pg::parse_target(options_.database_url);
    source_ = database_of(target_.conninfo);
    if (source_ == kMaintenanceDb)
      throw Error(ErrorCode::Invalid,
                  "local provider: the source database cannot be \"postgres\", which holds the "
                  "snapshot registry; snapshot an application database");
    admin_conninfo_ = pg::with_database(target_.conninfo, kMaintenanceDb);
  }

  std::string kind() const override { return "local"; }

  // --- branches ------------------------------------------------------------

  std::vector<BranchInfo> list_branches(const CallOptions &call) override {
    CallContext ctx(call);
    auto conn = admin(ctx);
    std::vector<BranchInfo> out{source_branch()};
    for (const auto &row : rows(conn, "branch", std::nullopt)) out.push_back(to_branch(row));
    return out;
  }

  std::optional<BranchInfo> find_branch(const std::string &name_or_id,
                                        const CallOptions &call) override {
    if (name_or_id == source_) return source_branch();
    CallContext ctx(call);
    auto conn = admin(ctx);
    auto found = rows(conn, "branch", name_or_id);
    if (found.empty()) return std::nullopt;
    return to_branch(found.front());
  }

  BranchInfo default_branch(const CallOptions &) override { return source_branch(); }

  BranchInfo create_branch(const CreateBranchOptions &options, const CallOptions &call) override {
    CallContext ctx(call);
    if (options.name.empty()) throw Error(ErrorCode::Invalid, "create_branch: the name is empty");
    require_source(options.parent, "create_branch");
    require_now(options.at_timestamp, options.at_lsn);
    auto conn = admin(ctx);
    if (!rows(conn, "branch", options.name).empty() || options.name == source_)
      throw Error(ErrorCode::State, "a branch named \"" + options.name + "\" already exists");
    auto row = make_copy(conn, ctx, "branch", options.name, options.expires_at);
    return to_branch(row);
  }

  void delete_branch(const std::string &name_or_id, const CallOptions &call) override {
    if (name_or_id == source_)
      throw Error(ErrorCode::State, "\"" + source_ +
                                        "\" is the source database (the default branch) and is "
                                        "never deleted");
    CallContext ctx(call);
    auto conn = admin(ctx);
    auto found = rows(conn, "branch", name_or_id);
    if (found.empty()) throw Error(ErrorCode::NotFound, "no branch \"" + name_or_id + "\"");
    drop_copy(conn, ctx, found.front(), "branch");
  }

  RestoreResult restore_branch(const std::string &, const std::string &, const std::string &,
                               const CallOptions &) override {
    throw Error(ErrorCode::Invalid,
                "point-in-time restore is not possible with the local provider: it needs WAL "
                "archiving, which a database copy does not have; restore a snapshot instead");
  }

  std::string connection_url(const std::string &name_or_id, bool,
                             const CallOptions &call) override {
    // Pooled or direct: the local provider knows no pooler, so both are the same.
    if (name_or_id.empty() || name_or_id == source_) return options_.database_url;
    CallContext ctx(call);
    auto conn = admin(ctx);
    auto found = rows(conn, "branch", name_or_id);
    if (found.empty()) throw Error(ErrorCode::NotFound, "no branch \"" + name_or_id + "\"");
    return url_with_database(options_.database_url, found.front().database);
  }

  // --- snapshots -----------------------------------------------------------

  std::vector<SnapshotInfo> list_snapshots(const CallOptions &call) override {
    CallContext ctx(call);
    auto conn = admin(ctx);
    std::vector<SnapshotInfo> out;
    for (const auto &row : rows(conn, "snapshot", std::nullopt)) out.push_back(to_snapshot(row));
    return out;
  }

  std::optional<SnapshotInfo> find_snapshot(const std::string &name_or_id,
                                            const CallOptions &call) override {
    CallContext ctx(call);
    auto conn = admin(ctx);
    auto found = rows(conn, "snapshot", name_or_id);
    if (found.empty()) return std::nullopt;
    return to_snapshot(found.front());  // the newest of that name
  }

  SnapshotInfo create_snapshot(const CreateSnapshotOptions &options,
                               const CallOptions &call) override {
    CallContext ctx(call);
    if (options.name.empty()) throw Error(ErrorCode::Invalid, "create_snapshot: the name is empty");
    require_source(options.branch, "create_snapshot");
    require_now(options.at_timestamp, options.at_lsn);
    auto conn = admin(ctx);
    return to_snapshot(make_copy(conn, ctx, "snapshot", options.name, options.expires_at));
  }

  void delete_snapshot(const std::string &name_or_id, const CallOptions &call) override {
    CallContext ctx(call);
    auto conn = admin(ctx);
    auto found = rows(conn, "snapshot", name_or_id);
    if (found.empty()) throw Error(ErrorCode::NotFound, "no snapshot \"" + name_or_id + "\"");
    drop_copy(conn, ctx, found.front(), "snapshot");
  }

  RestoreResult restore_snapshot(const std::string &name_or_id, const RestoreOptions &options,
                                 const CallOptions &call) override {
    CallContext ctx(call);
    require_source(options.target_branch, "restore_snapshot");
    auto conn = admin(ctx);
    auto found = rows(conn, "snapshot", name_or_id);
    if (found.empty()) throw Error(ErrorCode::NotFound, "no snapshot \"" + name_or_id + "\"");
    const Row snap = found.front();
    const std::string stamp = utc_stamp();
    std::string old_db = options.preserve_under_name;
    if (old_db.empty()) {
      // Stamped to the second: a second restore within that second (a
      // restore, then one with reapply) takes the next number rather than
      // failing on the database the first one kept.
      for (int n = 1;; ++n) {
        std::string suffix = "_old_" + stamp + (n > 1 ? "_" + std::to_string(n) : "");
        old_db = source_.substr(0, kMaxIdentifier - suffix.size()) + suffix;
        if (n == 100 || !database_exists(conn, old_db)) break;
      }
    }
    if (old_db.size() > kMaxIdentifier)
      throw Error(ErrorCode::Invalid, "\"" + old_db + "\" is longer than 63 bytes");
    if (database_exists(conn, old_db))
      throw Error(ErrorCode::State, "database \"" + old_db + "\" already exists");

    // 1. A fresh copy of the snapshot, so the snapshot itself stays reusable.
    // Named after the source, so whoever looks at the server (or a test)
    // can tell which restore a leftover copy belongs to.
    const std::string copy = "dbsafe_restore_" + source_.substr(0, 30) + "_" + util::random_hex(8);
    ctx.checkpoint();
    ctx.log(LogLevel::Info, "provider.local",
            "copying snapshot database \"" + snap.database + "\" into \"" + copy + "\"");
    clear_sessions(conn, ctx, snap.database, "copy it");
    create_from_template(conn, ctx, copy, snap.database);
    auto drop_quietly = [&](const std::string &db) {
      try {
        conn.exec("DROP DATABASE IF EXISTS " + conn.quote_identifier(db));
      } catch (const std::exception &) {
      }
    };

    // 2. The source moves aside; it needs to be free of sessions.
    ctx.log(LogLevel::Info, "provider.local",
            "renaming \"" + source_ + "\" to \"" + old_db + "\" and \"" + copy + "\" to \"" +
                source_ + "\"");
    try {
      ctx.checkpoint();
      clear_sessions(conn, ctx, source_, "rename it");
      conn.exec("ALTER DATABASE " + conn.quote_identifier(source_) + " RENAME TO " +
                conn.quote_identifier(old_db));
    } catch (const pg::ServerError &e) {
      drop_quietly(copy);
      if (e.sqlstate() == "55006") blocked(conn, source_, "rename it", e);
      throw;
    } catch (...) {
      drop_quietly(copy);
      throw;
    }

    // 3. The copy takes the source's name. Should that fail, the old
    // database goes back under its name: nothing is lost either way.
    try {
      util::failpoint("provider.local.restore.between_renames");
      conn.exec("ALTER DATABASE " + conn.quote_identifier(copy) + " RENAME TO " +
                conn.quote_identifier(source_));
    } catch (const std::exception &e) {
      try {
        util::failpoint("provider.local.restore.rename_back");
        conn.exec("ALTER DATABASE " + conn.quote_identifier(old_db) + " RENAME TO " +
                  conn.quote_identifier(source_));
      } catch (const std::exception &back) {
        throw Error(ErrorCode::State, std::string("restore failed half-way: ") + e.what() +
                                          "; renaming the original database back failed too (" +
                                          back.what() + "): its data is intact in database \"" +
                                          old_db + "\"; run ALTER DATABASE \"" + old_db +
                                          "\" RENAME TO \"" + source_ +
                                          "\" (the restored copy is in \"" + copy + "\")");
      }
      drop_quietly(copy);
      throw Error(ErrorCode::State, std::string("restore failed half-way: ") + e.what() +
                                        "; the original database is back under its name \"" +
                                        source_ + "\", unchanged");
    }

    RestoreResult result;
    result.branch = source_branch();
    result.replaced_by = old_db;
    result.notes.push_back("restored snapshot \"" + snap.name + "\" (" + snap.id + ") into \"" +
                           source_ + "\"");
    result.notes.push_back("the previous data is kept in database \"" + old_db + "\"");
    // The replaced database becomes a branch "<source> (old ...)", so it is
    // listed, can be connected to, and is pruned like Neon's "(old)" branches.
    try {
      Row row;
      row.id = util::random_hex(8);
      row.kind = "branch";
      row.name = options.preserve_under_name.empty() ? source_ + " (old " + stamp + ")"
                                                     : options.preserve_under_name;
      row.database = old_db;
      row.method = "restore";
      insert(conn, row, std::nullopt);
    } catch (const std::exception &e) {
      result.notes.push_back(std::string("the kept database is not registered as a branch: ") +
                             e.what());
    }
    return result;
  }

 private:
  struct Row {
    std::string id, kind, name, database, source, created_at;
    std::optional<std::string> expires_at;
    bool is_protected = false;
    std::string method;
  };

  pg::Connection admin(const CallContext &ctx) {
    auto conn = pg::Connection::open(admin_conninfo_, ctx);
    // Created only when missing: CREATE SCHEMA checks the CREATE privilege on
    // the database even when the schema exists, and a role may be given an
    // existing registry without that privilege.
    if (!registry_ready_ &&
        conn.exec("SELECT to_regclass('dbsafe.snapshots') IS NOT NULL").text(0, 0) == "t")
      registry_ready_ = true;
    if (!registry_ready_) {
      // Serialised by an advisory lock: concurrent first uses would
      // otherwise race on CREATE SCHEMA IF NOT EXISTS.
      try {
        conn.simple(
            "BEGIN; SELECT pg_advisory_xact_lock(hashtext('dbsafe.snapshots'));"
            "CREATE SCHEMA IF NOT EXISTS dbsafe;"
            "CREATE TABLE IF NOT EXISTS dbsafe.snapshots ("
            " id text PRIMARY KEY,"
            " kind text NOT NULL DEFAULT 'snapshot' CHECK (kind IN ('snapshot', 'branch')),"
            " name text NOT NULL,"
            " database text NOT NULL UNIQUE,"
            " source_database text NOT NULL,"
            " created_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
            " expires_at timestamptz,"
            " protected boolean NOT NULL DEFAULT false,"
            " method text NOT NULL);"
            "COMMIT;");
      } catch (const pg::ServerError &e) {
        if (e.sqlstate() != "42501") throw;
        Error error(ErrorCode::Invalid,
                    "the local provider keeps its snapshot registry in the table "
                    "dbsafe.snapshots of the \"postgres\" database, and this role may not create "
                    "it (" +
                        e.primary() +
                        "); have an administrator run there: CREATE SCHEMA dbsafe AUTHORIZATION "
                        "<this role>");
        error.with_sqlstate(e.sqlstate());
        throw error;
      }
      registry_ready_ = true;
    }
    return conn;
  }

  // Registry rows of this source whose database still exists, newest first;
  // `match` selects by id, name or database name.
  std::vector<Row> rows(pg::Connection &conn, const std::string &kind,
                        const std::optional<std::string> &match) {
    auto r = conn.exec(
        "SELECT s.id, s.kind, s.name, s.database, s.source_database,"
        " to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
        " to_char(s.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
        " s.protected, s.method"
        " FROM dbsafe.snapshots s JOIN pg_database d ON d.datname = s.database"
        " WHERE s.source_database = $1 AND s.kind = $2"
        " AND ($3::text IS NULL OR $3 IN (s.id, s.name, s.database))"
        " ORDER BY s.created_at DESC, s.id DESC",
        {source_, kind, match});
    std::vector<Row> out;
    for (int i = 0; i < r.rows(); ++i) {
      Row row;
      row.id = r.text(i, 0);
      row.kind = r.text(i, 1);
      row.name = r.text(i, 2);
      row.database = r.text(i, 3);
      row.source = r.text(i, 4);
      row.created_at = r.text(i, 5);
      row.expires_at = r.optional_text(i, 6);
      row.is_protected = r.text(i, 7) == "t";
      row.method = r.text(i, 8);
      out.push_back(std::move(row));
    }
    return out;
  }

  void insert(pg::Connection &conn, const Row &row, const std::optional<std::string> &expires) {
    conn.exec(
        "INSERT INTO dbsafe.snapshots (id, kind, name, database, source_database, expires_at,"
        " method) VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7)",
        {row.id, row.kind, row.name, row.database, source_, expires, row.method});
  }

  BranchInfo source_branch() const {
    BranchInfo b;
    b.id = b.name = source_;
    b.state = "ready";
    b.is_default = true;
    return b;
  }

  BranchInfo to_branch(const Row &row) const {
    BranchInfo b;
    b.id = row.id;
    b.name = row.name;
    b.parent_id = source_;
    b.state = "ready";
    b.is_protected = row.is_protected;
    b.created_at = row.created_at;
    b.expires_at = row.expires_at;
    return b;
  }

  SnapshotInfo to_snapshot(const Row &row) const {
    SnapshotInfo s;
    s.id = row.id;
    s.name = row.name;
    s.source_branch_id = source_;
    s.created_at = row.created_at;
    s.expires_at = row.expires_at;
    s.is_protected = row.is_protected;
    return s;
  }

  void require_source(const std::string &branch, const char *what) const {
    if (!branch.empty() && branch != source_)
      throw Error(ErrorCode::Invalid, std::string(what) +
                                          ": the local provider works on its "
                                          "source database \"" +
                                          source_ + "\" only, not \"" + branch + "\"");
  }

  static void require_now(const std::string &at_timestamp, const std::string &at_lsn) {
    if (!at_timestamp.empty() || !at_lsn.empty())
      throw Error(ErrorCode::Invalid,
                  "the local provider copies the database as it is now: a copy at a past "
                  "timestamp or LSN needs WAL archiving (point-in-time recovery)");
  }

  static bool database_exists(pg::Connection &conn, const std::string &db) {
    return conn.exec("SELECT 1 FROM pg_database WHERE datname = $1", {db}).rows() > 0;
  }

  static std::vector<Session> sessions(pg::Connection &conn, const std::string &db) {
    auto r = conn.exec(
        "SELECT pid::text, coalesce(usename, ''), coalesce(application_name, ''),"
        " coalesce(host(client_addr), 'local socket'), coalesce(state, '')"
        " FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() ORDER BY pid",
        {db});
    std::vector<Session> out;
    for (int i = 0; i < r.rows(); ++i)
      out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4)});
    return out;
  }

  // Throws Error(State) naming the sessions connected to `db`.
  [[noreturn]] static void blocked(pg::Connection &conn, const std::string &db,
                                   const std::string &action,
                                   const std::optional<Error> &cause = std::nullopt) {
    auto list = sessions(conn, db);
    std::string names;
    for (const auto &s : list)
      names += (names.empty() ? "" : "; ") +
               ("pid " + s.pid + " (user " + s.user + ", application \"" + s.application +
                "\", client " + s.client + ", state " + s.state + ")");
    if (names.empty() && cause) names = cause->message();
    Error error(ErrorCode::State,
                "cannot " + action + ": database \"" + db + "\" has " +
                    std::to_string(list.size()) + " other session(s): " + names +
                    ". Close them (or stop the application), use the \"dump\" method for "
                    "snapshots, or set terminate_blockers to end them");
    if (cause) error.with_sqlstate(cause->sqlstate());
    throw error;
  }

  // Makes sure no other session is connected to `db`: terminates them when
  // terminate_blockers is set, otherwise fails naming them.
  void clear_sessions(pg::Connection &conn, const CallContext &ctx, const std::string &db,
                      const std::string &action) {
    if (sessions(conn, db).empty()) return;
    if (!options_.terminate_blockers) {
      // A client that has just disconnected stays listed until its backend
      // has exited: give those a moment before naming them as blockers.
      auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      while (!sessions(conn, db).empty()) {
        ctx.checkpoint();
        if (std::chrono::steady_clock::now() > until) blocked(conn, db, action);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      return;
    }
    for (const auto &s : sessions(conn, db)) {
      ctx.log(LogLevel::Warning, "provider.local",
              "terminating session pid " + s.pid + " (user " + s.user + ", application \"" +
                  s.application + "\") on database \"" + db + "\" to " + action);
      conn.exec("SELECT pg_terminate_backend($1::int)", {s.pid});
    }
    // Termination is asynchronous: wait until the backends are gone.
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!sessions(conn, db).empty()) {
      ctx.checkpoint();
      if (std::chrono::steady_clock::now() > until) blocked(conn, db, action);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  void create_from_template(pg::Connection &conn, const CallContext &ctx, const std::string &name,
                            const std::string &templ) {
    for (int attempt = 0;; ++attempt) {
      try {
        conn.exec("CREATE DATABASE " + conn.quote_identifier(name) + " TEMPLATE " +
                  conn.quote_identifier(templ));
        return;
      } catch (const pg::ServerError &e) {
        // 55006: a session connected in between the check and the copy.
        if (e.sqlstate() != "55006") throw;
        if (!options_.terminate_blockers || attempt >= 2) blocked(conn, templ, "copy it", e);
        clear_sessions(conn, ctx, templ, "copy it");
      }
    }
  }

  // Copies the source into a new database and registers it.
  Row make_copy(pg::Connection &conn, const CallContext &ctx, const std::string &kind,
                const std::string &name, const std::optional<std::string> &expires) {
    Row row;
    row.id = util::random_hex(8);
    row.kind = kind;
    row.name = name;
    const std::string prefix = kind == "snapshot" ? "dbsafe_snap_" : "dbsafe_branch_";
    row.database = prefix + sanitize(name, kMaxIdentifier - prefix.size() - 9) + "_" + row.id;
    row.method = options_.local_method;
    ctx.checkpoint();
    ctx.log(LogLevel::Info, "provider.local",
            "copying \"" + source_ + "\" into \"" + row.database + "\" (" + row.method + ")");
    if (row.method == "template") {
      clear_sessions(conn, ctx, source_, "copy it with TEMPLATE");
      create_from_template(conn, ctx, row.database, source_);
    } else {
      conn.exec("CREATE DATABASE " + conn.quote_identifier(row.database) + " TEMPLATE template0");
      try {
        dump_restore(ctx, row.database);
      } catch (...) {
        conn.exec("DROP DATABASE IF EXISTS " + conn.quote_identifier(row.database));
        throw;
      }
    }
    // Registered only once the copy is complete: a listed copy is a ready one.
    try {
      insert(conn, row, expires);
    } catch (...) {
      conn.exec("DROP DATABASE IF EXISTS " + conn.quote_identifier(row.database));
      throw;
    }
    auto found = rows(conn, kind, row.id);
    if (found.empty())
      throw Error(ErrorCode::Internal, "the new " + kind + " vanished from the registry");
    return found.front();
  }

  // pg_dump -Fc of the source streamed through a pipe into pg_restore.
  void dump_restore(const CallContext &ctx, const std::string &into) {
    const std::string bindir = find_pg_bindir(options_.pg_bindir);
    std::string password;
    const std::string from = without_password(target_.conninfo, source_, password);
    const std::string to = without_password(target_.conninfo, into, password);
    std::vector<std::string> env;
    for (char **e = environ; *e; ++e)
      if (std::string_view(*e).rfind("PGPASSWORD=", 0) != 0) env.emplace_back(*e);
    if (!password.empty()) env.push_back("PGPASSWORD=" + password);
    char log_template[] = "/tmp/dbsafe-dump-XXXXXX";
    int log_fd = ::mkstemp(log_template);
    if (log_fd < 0) throw Error(ErrorCode::Io, "cannot create a temporary file for pg_dump's log");
    ::close(log_fd);
    const std::string log = log_template;
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw Error(ErrorCode::Io, "cannot create a pipe");
    pid_t dump = -1, restore = -1;
    try {
      dump = spawn({bindir + "/pg_dump", "-Fc", "--dbname", from}, env, -1, pipe_fds[1], log,
                   {pipe_fds[0]});
      restore = spawn({bindir + "/pg_restore", "--exit-on-error", "--dbname", to}, env, pipe_fds[0],
                      -1, log, {pipe_fds[1]});
    } catch (...) {
      ::close(pipe_fds[0]);
      ::close(pipe_fds[1]);
      if (dump > 0) {
        ::kill(dump, SIGKILL);
        ::waitpid(dump, nullptr, 0);
      }
      fs::remove(log);
      throw;
    }
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    // Poll both so a cancel or deadline stops them.
    int dump_status = -1, restore_status = -1;
    std::optional<Error> stopped;
    while (dump_status < 0 || restore_status < 0) {
      int status = 0;
      if (dump_status < 0 && ::waitpid(dump, &status, WNOHANG) == dump) dump_status = status;
      if (restore_status < 0 && ::waitpid(restore, &status, WNOHANG) == restore)
        restore_status = status;
      if (dump_status >= 0 && restore_status >= 0) break;
      try {
        ctx.checkpoint();
      } catch (const Error &e) {
        if (dump_status < 0) ::kill(dump, SIGTERM);
        if (restore_status < 0) ::kill(restore, SIGTERM);
        if (dump_status < 0) ::waitpid(dump, nullptr, 0);
        if (restore_status < 0) ::waitpid(restore, nullptr, 0);
        fs::remove(log);
        throw;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    auto ok = [](int s) { return WIFEXITED(s) && WEXITSTATUS(s) == 0; };
    std::string output = pg::log_tail(log);
    fs::remove(log);
    if (!ok(dump_status) || !ok(restore_status))
      throw Error(ErrorCode::Io, std::string("copying the database with pg_dump | pg_restore "
                                             "failed (") +
                                     (ok(dump_status) ? "pg_restore" : "pg_dump") + "): " + output);
  }

  void drop_copy(pg::Connection &conn, const CallContext &ctx, const Row &row,
                 const std::string &what) {
    if (row.is_protected)
      throw Error(ErrorCode::State, "the " + what + " \"" + row.name + "\" (" + row.id +
                                        ") is protected and is not deleted");
    ctx.checkpoint();
    clear_sessions(conn, ctx, row.database, "drop it");
    conn.exec("DROP DATABASE IF EXISTS " + conn.quote_identifier(row.database));
    conn.exec("DELETE FROM dbsafe.snapshots WHERE id = $1", {row.id});
  }

  ProviderOptions options_;
  pg::Target target_;
  std::string source_;
  std::string admin_conninfo_;
  bool registry_ready_ = false;
};

std::unique_ptr<Provider> make_local_provider(const ProviderOptions &options) {
  return std::make_unique<LocalProvider>(options);
}

}  // namespace dbsafe::provider
