#include "drift/shadow.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>

#include "dbsafe/migrate.hpp"
#include "dbsafe/version.hpp"
#include "pg/connection.hpp"
#include "pg/tools.hpp"

namespace dbsafe::diff {

namespace fs = std::filesystem;

namespace {

std::string random_suffix() {
  std::random_device rd;
  std::uniform_int_distribution<unsigned> dist(0, 0xffffff);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%06x", dist(rd));
  return std::to_string(::getpid()) + "_" + buf;
}

// --- a database named by the user ------------------------------------------

class GivenDatabase final : public ShadowDatabase {
 public:
  GivenDatabase(const std::string &url, const CallContext &ctx) : ctx_(ctx) {
    conninfo_ = pg::parse_target(url).conninfo;
    auto conn = pg::Connection::open(conninfo_, ctx);
    auto r = conn.exec(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE "
        "c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname NOT IN ('pg_catalog', "
        "'information_schema') AND n.nspname NOT LIKE 'pg\\_%'");
    if (r.text(0, 0) != "0")
      throw Error(ErrorCode::Invalid,
                  "the shadow database holds " + r.text(0, 0) +
                      " tables or views; dbsafe replays migrations only on an empty database "
                      "(it empties it again afterwards): give an empty one with "
                      "--shadow-database-url");
    // What was there before (so only what the replay made is removed).
    auto s = conn.exec(
        "SELECT nspname, pg_get_userbyid(nspowner), obj_description(oid, 'pg_namespace') FROM "
        "pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT "
        "LIKE 'pg\\_%'");
    for (int i = 0; i < s.rows(); ++i) {
      before_.push_back(s.text(i, 0));
      // Recreated as they were: owner and comment (public's is standard).
      restore_ += "ALTER SCHEMA " + conn.quote_identifier(s.text(i, 0)) + " OWNER TO " +
                  conn.quote_identifier(s.text(i, 1)) + ";";
      if (!s.is_null(i, 2))
        restore_ += "COMMENT ON SCHEMA " + conn.quote_identifier(s.text(i, 0)) + " IS " +
                    conn.quote_literal(s.text(i, 2)) + ";";
    }
  }
  ~GivenDatabase() override {
    try {
      // A fresh context: the call may have been cancelled, the clean-up must still run.
      CallContext cleanup;
      auto conn = pg::Connection::open(conninfo_, cleanup);
      auto s = conn.exec(
          "SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', "
          "'information_schema') AND nspname NOT LIKE 'pg\\_%'");
      std::string sql;
      for (int i = 0; i < s.rows(); ++i) {
        std::string name = s.text(i, 0);
        sql += "DROP SCHEMA " + conn.quote_identifier(name) + " CASCADE;";
        if (std::find(before_.begin(), before_.end(), name) != before_.end())
          sql += "CREATE SCHEMA " + conn.quote_identifier(name) + ";";
      }
      auto e = conn.exec("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'");
      for (int i = 0; i < e.rows(); ++i)
        sql = "DROP EXTENSION IF EXISTS " + conn.quote_identifier(e.text(i, 0)) + " CASCADE;" + sql;
      conn.simple(sql + restore_);
    } catch (const std::exception &e) {
      ctx_.log(LogLevel::Warning, "shadow",
               std::string("could not empty the shadow database: ") + e.what());
    }
  }
  const std::string &conninfo() const override { return conninfo_; }
  std::string describe() const override { return "the shadow database given"; }

 private:
  const CallContext &ctx_;
  std::string conninfo_;
  std::vector<std::string> before_;
  std::string restore_;
};

// --- a temporary database on the target's server ---------------------------

class TemporaryDatabase final : public ShadowDatabase {
 public:
  TemporaryDatabase(std::string server_conninfo, std::string name, const CallContext &ctx)
      : ctx_(ctx), server_(std::move(server_conninfo)), name_(std::move(name)) {
    conninfo_ = pg::with_database(server_, name_);
  }
  ~TemporaryDatabase() override {
    try {
      // A fresh context: the call may have been cancelled, the drop must still run.
      CallContext cleanup;
      auto conn = pg::Connection::open(server_, cleanup);
      conn.exec("DROP DATABASE IF EXISTS " + conn.quote_identifier(name_) + " WITH (FORCE)");
    } catch (const std::exception &e) {
      ctx_.log(LogLevel::Warning, "shadow",
               "could not drop the temporary shadow database " + name_ + ": " + e.what() +
                   "; drop it by hand");
    }
  }
  const std::string &conninfo() const override { return conninfo_; }
  std::string describe() const override {
    return "temporary database " + name_ + " on the target's server";
  }

  // nullptr when the role may not create databases.
  static std::unique_ptr<ShadowDatabase> create(const std::string &server_url,
                                                const CallContext &ctx) {
    std::string server = pg::parse_target(server_url).conninfo;
    auto conn = pg::Connection::open(server, ctx);
    auto r = conn.exec("SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user");
    if (r.rows() == 0 || r.text(0, 0) != "t") return nullptr;
    std::string name = "dbsafe_shadow_" + random_suffix();
    try {
      // template0: nothing added to template1 by hand leaks into the model.
      conn.exec("CREATE DATABASE " + conn.quote_identifier(name) + " TEMPLATE template0");
    } catch (const Error &e) {
      ctx.log(LogLevel::Info, "shadow",
              "cannot create a temporary database on the server: " + e.message());
      return nullptr;
    }
    ctx.log(LogLevel::Info, "shadow", "replaying on temporary database " + name);
    return std::make_unique<TemporaryDatabase>(server, name, ctx);
  }

 private:
  const CallContext &ctx_;
  std::string server_, name_, conninfo_;
};

// --- an embedded throwaway cluster -----------------------------------------

std::string find_bindir() {
  const auto server = {"initdb", "pg_ctl"};
  if (const char *env = std::getenv("PG_BINDIR"); env && *env) {
    if (pg::holds_programs(env, server)) return env;
    throw Error(ErrorCode::NotFound,
                std::string("PG_BINDIR=") + env + " does not hold initdb and pg_ctl");
  }
  if (FILE *p = ::popen("pg_config --bindir 2>/dev/null", "r")) {
    char buf[4096];
    std::string out;
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    ::pclose(p);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    if (!out.empty() && pg::holds_programs(out, server)) return out;
  }
  std::string found = pg::newest_installed_bindir(server);
  if (found.empty())
    throw Error(
        ErrorCode::NotFound,
        "no shadow database: the target's role may not create databases and this machine has no "
        "PostgreSQL server binaries (initdb, pg_ctl) for a throwaway cluster; install postgresql, "
        "set PG_BINDIR, or pass --shadow-database-url");
  return found;
}

struct Account {
  bool drop = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

// Runs a program (no shell), its output appended to `log`; returns its exit status.
int run(const std::vector<std::string> &argv, const Account &as, const std::string &log) {
  pid_t pid = ::fork();
  if (pid < 0) throw Error(ErrorCode::Io, "cannot start " + argv[0]);
  if (pid == 0) {
    if (as.drop && (::setgroups(0, nullptr) != 0 || ::setgid(as.gid) != 0 || ::setuid(as.uid) != 0))
      ::_exit(126);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    std::vector<char *> args;
    for (const auto &a : argv) args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

class EmbeddedCluster final : public ShadowDatabase {
 public:
  explicit EmbeddedCluster(const CallContext &ctx) {
    bindir_ = find_bindir();
    if (::geteuid() == 0) {
      // initdb refuses to run as root: the cluster belongs to `nobody`.
      struct passwd *pw = ::getpwnam("nobody");
      if (!pw)
        throw Error(ErrorCode::NotFound,
                    "running as root and there is no `nobody` account to own the shadow cluster");
      as_ = {true, pw->pw_uid, pw->pw_gid};
    }
    const char *tmp = ::geteuid() == 0 ? nullptr : std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/dbsafe-shadow-XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data()))
      throw Error(ErrorCode::Io, "cannot create a directory for the shadow cluster in " + templ);
    dir_ = buf.data();
    if (as_.drop && ::chown(dir_.c_str(), as_.uid, as_.gid) != 0)
      throw Error(ErrorCode::Io, "cannot hand " + dir_ + " to the shadow cluster's account");
    log_ = dir_ + "/server.log";
    std::string data = dir_ + "/data";
    ctx.log(LogLevel::Info, "shadow", "starting a throwaway PostgreSQL cluster in " + dir_);
    if (run({bindir_ + "/initdb", "-D", data, "-U", "dbsafe", "-A", "trust", "-E", "UTF8",
             "--locale=C", "--no-sync"},
            as_, log_) != 0) {
      std::string why = pg::log_tail(log_);
      cleanup();
      throw Error(ErrorCode::Internal, "initdb failed for the shadow cluster: " + why);
    }
    started_ = true;
    if (run({bindir_ + "/pg_ctl", "-D", data, "-l", log_, "-w", "-t", "60", "-o",
             "-c listen_addresses='' -k " + dir_ +
                 " -p 5432 -c fsync=off -c full_page_writes=off "
                 "-c synchronous_commit=off -c max_connections=20",
             "start"},
            as_, log_) != 0) {
      std::string why = pg::log_tail(log_);
      cleanup();
      throw Error(ErrorCode::Internal, "the shadow cluster did not start: " + why);
    }
    conninfo_ = "host='" + dir_ + "' port=5432 user=dbsafe dbname=postgres";
  }
  ~EmbeddedCluster() override { cleanup(); }
  const std::string &conninfo() const override { return conninfo_; }
  std::string describe() const override { return "a throwaway cluster in " + dir_; }
  bool owns_server() const override { return true; }

 private:
  void cleanup() noexcept {
    try {
      if (started_)
        run({bindir_ + "/pg_ctl", "-D", dir_ + "/data", "-m", "immediate", "-w", "stop"}, as_,
            log_);
      started_ = false;
      std::error_code ec;
      if (!dir_.empty()) fs::remove_all(dir_, ec);
    } catch (...) {
    }
  }

  std::string bindir_, dir_, log_, conninfo_;
  Account as_;
  bool started_ = false;
};

// --- the replay cache --------------------------------------------------------

// A replayed model saved under a key made of everything the replay's result
// depends on: the bytes of every migration (by checksum), the runner's mode,
// the schema and filter, the dbsafe version, and the server it replays on
// (its major version, or the embedded cluster's binaries). A changed file,
// a new migration or another server major gives another key; a stale entry
// is never read, only left behind.
class ReplayCache {
 public:
  ReplayCache(const std::string &migrations_dir, const ShadowOptions &options,
              const SchemaFilter &filter, const CallOptions &call, const CallContext &ctx)
      : ctx_(ctx) {
    auto set = MigrationSet::open(migrations_dir, options.source, call);
    std::string identity;
    if (!options.shadow_database_url.empty() || !options.server_url.empty()) {
      const std::string &url =
          !options.shadow_database_url.empty() ? options.shadow_database_url : options.server_url;
      auto conn = pg::Connection::open(pg::parse_target(url).conninfo, ctx);
      major_ = std::stoi(conn.exec("SHOW server_version_num").text(0, 0)) / 10000;
      identity = "server major " + std::to_string(major_);
    } else {
      identity = "embedded " + find_bindir();
    }
    std::string key = "dbsafe replay cache 1\n";
    key += std::string(version()) + "\n" + identity + "\n";
    key += std::string(options.mode == Runner::Prisma ? "prisma" : "safe") + "\n";
    key += "schema " + options.schema + "\n";
    key += "layout " + std::string(layout_name(set.layout())) + "\n";
    key += "include";
    for (const auto &name : filter.include) key += " " + name;
    key += "\nexclude";
    for (const auto &name : filter.exclude) key += " " + name;
    key += filter.include_history ? "\nhistory\n" : "\n";
    auto add = [&](const Migration &m) {
      key += m.name + " " + m.checksum + (m.transactional ? "" : " notx") + "\n";
    };
    for (const auto &m : set.migrations()) add(m);
    key += "repeatables\n";
    for (const auto &m : set.repeatables()) add(m);
    path_ = fs::path(options.cache_dir) / ("replay-" + sha256_hex(key).substr(0, 40) + ".json");
  }

  std::optional<schema::Model> load() const {
    std::error_code ec;
    if (!fs::exists(path_, ec)) return std::nullopt;
    std::ifstream in(path_, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    try {
      auto model = schema::from_json(text, path_.string());
      if (major_ && model.server_version_num / 10000 != major_) return std::nullopt;
      ctx_.log(LogLevel::Info, "shadow", "the migrations' schema comes from " + path_.string());
      return model;
    } catch (const Error &e) {
      ctx_.log(LogLevel::Warning, "shadow",
               "ignoring an unreadable replay cache entry (replaying instead): " + e.message());
      return std::nullopt;
    }
  }

  // Written to a temporary file and renamed, so a reader never sees half of
  // one. A cache that cannot be written costs the next run a replay; it is
  // only logged.
  void store(const schema::Model &model) const {
    // A temporary database the role could not create became an embedded
    // cluster of another major: such a model would never be read back.
    if (major_ && model.server_version_num / 10000 != major_) return;
    std::error_code ec;
    fs::create_directories(path_.parent_path(), ec);
    fs::path tmp = path_;
    tmp += ".tmp" + random_suffix();
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << schema::to_json(model);
      if (!out) ec = std::make_error_code(std::errc::io_error);
    }
    if (!ec) fs::rename(tmp, path_, ec);
    if (ec) {
      fs::remove(tmp, ec);
      ctx_.log(LogLevel::Warning, "shadow",
               "could not write the replay cache entry " + path_.string() + ": " + ec.message());
    }
  }

 private:
  const CallContext &ctx_;
  fs::path path_;
  int major_ = 0;  // the shadow server's major version; 0: the embedded cluster's
};

}  // namespace

std::unique_ptr<ShadowDatabase> ShadowDatabase::open(const ShadowOptions &options,
                                                     const CallContext &ctx) {
  if (!options.shadow_database_url.empty())
    return std::make_unique<GivenDatabase>(options.shadow_database_url, ctx);
  if (!options.server_url.empty())
    if (auto db = TemporaryDatabase::create(options.server_url, ctx)) return db;
  return std::make_unique<EmbeddedCluster>(ctx);
}

schema::Model replay_migrations(const std::string &migrations_dir, const ShadowOptions &options,
                                const SchemaFilter &filter, const CallOptions &call) {
  CallContext ctx(call);
  std::optional<ReplayCache> cache;
  if (!options.cache_dir.empty()) {
    cache.emplace(migrations_dir, options, filter, call, ctx);
    if (auto model = cache->load()) return std::move(*model);
  }
  auto shadow = ShadowDatabase::open(options, ctx);
  MigrateOptions m;
  m.database_url = shadow->conninfo();
  m.mode = options.mode;
  m.source = options.source;
  m.schema = options.schema;
  m.lock_timeout = std::chrono::milliseconds(60000);
  m.connect_retry_budget = std::chrono::milliseconds(2000);
  // The replay's own progress would read like a deploy: keep cancel, the
  // deadline and the log.
  CallOptions replay_call;
  replay_call.cancel = call.cancel;
  replay_call.timeout = call.timeout;
  replay_call.log = call.log;
  try {
    migrate_deploy(migrations_dir, m, replay_call);
  } catch (const Error &e) {
    if (e.code() != ErrorCode::Database) throw;
    Error out(ErrorCode::Invalid,
              "the migrations do not replay on " + shadow->describe() + ": " + e.message());
    out.with_file(e.file(), e.line(), e.column()).with_sqlstate(e.sqlstate());
    throw out;
  }
  auto model = schema::introspect(shadow->conninfo(), filter, ctx);
  if (cache) cache->store(model);
  return model;
}

}  // namespace dbsafe::diff
