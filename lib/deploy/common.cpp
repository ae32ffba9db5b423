// Helpers shared by the deploy pipeline and the guarded restore: the
// environment, identities, and the connect-and-validate step both start with.
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <thread>

#include "dbsafe/migrate.hpp"
#include "deploy/deploy_internal.hpp"
#include "pg/connection.hpp"
#include "util/failpoint.hpp"
#include "util/json_writer.hpp"
#include "util/random.hpp"

namespace dbsafe {
inline namespace v1 {
namespace deploy_detail {

std::string env(const std::string &name) {
  if (name.empty()) return {};
  const char *v = std::getenv(name.c_str());
  return v ? v : "";
}

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

std::string new_id() {
  return util::random_uuid();
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

std::string shell_quote(const std::string &s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string git_sha(const std::string &dir) {
  for (const char *name : {"GITHUB_SHA", "VERCEL_GIT_COMMIT_SHA"})
    if (auto v = env(name); !v.empty()) return v;
  std::string out;
  std::string cmd =
      "git -C " + shell_quote(dir.empty() ? "." : dir) + " rev-parse HEAD 2>/dev/null";
  if (FILE *pipe = popen(cmd.c_str(), "r")) {
    char buf[128];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
    if (pclose(pipe) != 0) out.clear();
  }
  return trim(out);
}

std::string git_branch(const std::string &dir) {
  for (const char *name : {"VERCEL_GIT_COMMIT_REF", "GITHUB_HEAD_REF", "GITHUB_REF_NAME"})
    if (auto v = env(name); !v.empty()) return v;
  std::string out;
  std::string cmd =
      "git -C " + shell_quote(dir.empty() ? "." : dir) + " rev-parse --abbrev-ref HEAD 2>/dev/null";
  if (FILE *pipe = popen(cmd.c_str(), "r")) {
    char buf[256];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
    if (pclose(pipe) != 0) out.clear();
  }
  out = trim(out);
  return out == "HEAD" ? std::string() : out;  // a detached HEAD names no branch
}

std::string actor() {
  for (const char *name : {"GITHUB_ACTOR", "VERCEL_GIT_COMMIT_AUTHOR_LOGIN", "USER"})
    if (auto v = env(name); !v.empty()) return v;
  // A container or a service often has no USER: the account's own name.
  if (const struct passwd *pw = ::getpwuid(::geteuid()); pw && pw->pw_name && *pw->pw_name)
    return pw->pw_name;
  return "unknown";
}

std::vector<std::string> split_names(const std::string &list) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= list.size()) {
    auto comma = list.find(',', pos);
    auto name =
        trim(list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    if (!name.empty()) out.push_back(name);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

bool truthy(const std::string &v) {
  std::string l;
  for (char c : v) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return l == "1" || l == "true" || l == "yes";
}

// The message of the exception being handled.
std::string current_message() {
  try {
    throw;
  } catch (const Error &e) {
    return e.message();
  } catch (const std::exception &e) {
    return std::string("internal error: ") + e.what();
  } catch (...) {
    return "internal error: unknown exception";
  }
}

void run_step(CallContext &ctx, DeployReport &r, const std::string &operation,
              const std::string &name, bool arm_failpoint,
              const std::function<void(DeployStep &)> &fn) {
  ctx.checkpoint();
  DeployStep s{name, "ok", 0, ""};
  auto start = Clock::now();
  try {
    if (arm_failpoint) util::failpoint(operation + "." + name);
    fn(s);
  } catch (...) {
    s.status = "failed";
    s.duration_ms = ms_since(start);
    s.detail = current_message();
    r.steps.push_back(s);
    throw;
  }
  s.duration_ms = ms_since(start);
  r.steps.push_back(s);
  if (ctx.has_progress()) {
    util::JsonWriter w;
    w.begin_object().field("event", operation + "-step").field("step", s.name);
    w.field("status", s.status).field("detail", s.detail).end_object();
    ctx.progress(w.str());
  }
  ctx.log(LogLevel::Info, operation,
          s.name + ": " + s.status + (s.detail.empty() ? "" : ": ") + s.detail);
}

MigrateOptions migrate_options(const DeployTarget &t, const std::string &apply_url,
                               std::chrono::milliseconds lock_timeout,
                               std::chrono::milliseconds connect_retry_budget) {
  MigrateOptions o;
  o.database_url = apply_url;
  o.mode = t.runner;
  o.lock_timeout = lock_timeout;
  o.connect_retry_budget = connect_retry_budget;
  // The lock was free when the step connected; a deploy that started since
  // is waited for briefly, never for minutes.
  o.advisory_lock_timeout = std::chrono::milliseconds(10000);
  return o;
}

void connect_target(const DeployTarget &t_, std::chrono::milliseconds retry_budget,
                    CallContext &ctx_, DeployReport &r_, DeployStep &s, ConnectedTarget &out) {
  std::string db_url = t_.database_url.empty() ? env(t_.url_env) : t_.database_url;
  std::string direct = t_.direct_url.empty() ? env(t_.direct_url_env) : t_.direct_url;
  if (db_url.empty() && direct.empty())
    throw Error(ErrorCode::Invalid, "target " + t_.name + " has no database URL: set " +
                                        t_.url_env + " (and " + t_.direct_url_env + " when " +
                                        t_.url_env + " goes through a pooler)");
  out.apply_url = direct.empty() ? db_url : direct;
  out.url_from_env = direct.empty() ? t_.database_url.empty() : t_.direct_url.empty();
  out.url_env_used = direct.empty() ? t_.url_env : t_.direct_url_env;
  auto target = pg::parse_target(out.apply_url);
  r_.database = pg::redact(out.apply_url);
  util::failpoint("deploy.connect");
  if (!target.pooler_reason.empty()) {
    if (direct.empty())
      throw Error(ErrorCode::Invalid,
                  "refusing to deploy through a transaction-mode connection pooler: " + t_.url_env +
                      " goes through one (" + target.pooler_reason + ") and " + t_.direct_url_env +
                      " is not set. The migration lock needs one server session for the "
                      "whole deploy: set " +
                      t_.direct_url_env +
                      " to the direct (non-pooled) URL, as Prisma's "
                      "directUrl.");
    throw Error(ErrorCode::Invalid, "refusing to deploy: " + t_.direct_url_env +
                                        " goes through a transaction-mode connection pooler (" +
                                        target.pooler_reason +
                                        "); set it to the direct (non-pooled) URL");
  }
  // A Neon compute wakes up in seconds: retry refused connections within
  // the budget.
  auto started = Clock::now();
  auto delay = std::chrono::milliseconds(250);
  std::optional<pg::Connection> conn;
  for (int attempt = 1; !conn; ++attempt) {
    try {
      conn.emplace(pg::Connection::open(target.conninfo, ctx_));
    } catch (const Error &e) {
      if (e.code() != ErrorCode::Connect || ms_since(started) + static_cast<double>(delay.count()) >
                                                static_cast<double>(retry_budget.count()))
        throw;
      ctx_.log(LogLevel::Warning, "deploy",
               "the database did not accept the connection (attempt " + std::to_string(attempt) +
                   "); retrying in " + std::to_string(delay.count()) + " ms: " + e.message());
      auto until = Clock::now() + delay;
      while (Clock::now() < until) {
        ctx_.checkpoint();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      delay = std::min(delay * 2, std::chrono::milliseconds(4000));
    }
  }
  r_.server_version_num = conn->server_version();
  std::string schema = target.schema.empty() ? "public" : target.schema;
  auto who = conn->exec(
      "SELECT current_user, current_setting('server_version'), "
      "(SELECT has_schema_privilege(current_user, n.oid, 'CREATE') FROM pg_namespace n "
      "WHERE n.nspname = $1), has_database_privilege(current_database(), 'CREATE')",
      {schema});
  std::string role = who.text(0, 0);
  bool schema_exists = !who.is_null(0, 2);
  bool can_create = schema_exists ? who.text(0, 2) == "t" : who.text(0, 3) == "t";
  if (!can_create)
    throw Error(ErrorCode::Auth,
                "role " + role + " may not CREATE in " +
                    (schema_exists ? "schema " + schema
                                   : "this database (schema " + schema + " does not exist yet)") +
                    ", so the migrations cannot run; grant it (GRANT CREATE ON SCHEMA " +
                    // Quoted: the hint is SQL someone will paste, and the
                    // names come from the configuration and the server.
                    conn->quote_identifier(schema) + " TO " + conn->quote_identifier(role) +
                    ") or deploy as the schema's owner");
  const std::string key = std::to_string(kMigrationLockKey);
  if (conn->exec("SELECT pg_try_advisory_lock($1::bigint)", {key}).text(0, 0) == "t") {
    conn->exec("SELECT pg_advisory_unlock($1::bigint)", {key});
  } else {
    auto h = conn->exec(
        "SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.state, ''), "
        "to_char(coalesce(a.xact_start, a.backend_start) AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM pg_locks l JOIN pg_stat_activity a ON a.pid = "
        "l.pid WHERE l.locktype = 'advisory' AND l.classid = 0 AND l.objid = $1::bigint::oid "
        "AND l.objsubid = 1 AND l.granted",
        {key});
    std::string holders;
    for (int i = 0; i < h.rows(); ++i)
      holders += (holders.empty() ? "" : "; ") + std::string("pid ") + h.text(i, 0) +
                 " (application \"" + h.text(i, 1) + "\", " + h.text(i, 2) + ", since " +
                 h.text(i, 3) + ")";
    throw Error(
        ErrorCode::State,
        "another deploy holds the migration lock (advisory lock " + key +
            ", Prisma's too): " + (holders.empty() ? "a session that has since ended" : holders) +
            ". Wait for it to finish, or end a stuck session with SELECT "
            "pg_terminate_backend(pid).");
  }
  s.detail = "PostgreSQL " + who.text(0, 1) + " at " + r_.database + " as " + role +
             (direct.empty() ? " (" + t_.url_env + ")" : " (direct, " + t_.direct_url_env + ")") +
             "; may CREATE in " + schema + "; the migration lock is free";
}

}  // namespace deploy_detail
}  // namespace v1
}  // namespace dbsafe
