// The migration runner: plan, deploy, resolve, baseline (docs/migrate.md).
//
// How a deploy stays describable by its history whatever happens:
// - A migration that runs in one transaction (the usual case) commits
//   together with its _prisma_migrations row: a crash or kill leaves no
//   trace, and the next deploy simply applies it.
// - A migration in several steps (statements that refuse a transaction)
//   first commits its row as started (what Prisma shows as failed while it
//   runs) plus a step-0 record in dbsafe.migration_steps, then one record per
//   committed step. After a crash the next deploy resumes at the first step
//   without a record; a step that may have committed without its record is
//   only re-run when that is harmless (a concurrent index build is checked
//   first: kept when valid, dropped when INVALID).
// - An SQL error leaves the row exactly as Prisma would (finished_at NULL,
//   logs set), so Prisma and dbsafe both refuse to go on until a person
//   resolves it; the error names the file, line, column and the command.
#include <chrono>
#include <cstdlib>
#include <set>
#include <thread>

#include "analyze/sql_parser.hpp"
#include "dbsafe/migrate.hpp"
#include "pg/connection.hpp"
#include "runner/history.hpp"
#include "runner/steps.hpp"
#include "util/failpoint.hpp"
#include "util/json_writer.hpp"
#include "util/random.hpp"
#include "util/utf8.hpp"

namespace dbsafe {
inline namespace v1 {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

const char *mode_name(Runner mode) {
  return mode == Runner::Safe ? "safe" : "prisma";
}

std::string resolve_url(const MigrateOptions &options) {
  if (!options.database_url.empty()) return options.database_url;
  for (const char *name : {"DIRECT_URL", "DATABASE_URL"})
    if (const char *v = std::getenv(name); v && *v) return v;
  throw Error(ErrorCode::Invalid,
              "no database URL: pass --database-url (database_url) or set DIRECT_URL or "
              "DATABASE_URL");
}

// The command a user runs to clear a failed migration.
std::string resolve_command(const std::string &root, const std::string &name, bool rolled_back) {
  return std::string("dbsafe migrate resolve --") + (rolled_back ? "rolled-back " : "applied ") +
         name + " --migrations " + root;
}

std::string progress_event(std::string_view event,
                           std::initializer_list<std::pair<std::string_view, std::string>> text,
                           std::initializer_list<std::pair<std::string_view, double>> numbers) {
  util::JsonWriter w;
  w.begin_object().field("event", event);
  for (const auto &[k, v] : text) w.field(k, v);
  for (const auto &[k, v] : numbers) {
    w.key(k);
    if (v == static_cast<double>(static_cast<std::int64_t>(v)))
      w.value(static_cast<std::int64_t>(v));
    else
      w.raw(std::to_string(v));
  }
  return w.end_object().take();
}

// One open session on the target, with what the runner learned about it.
struct Session {
  pg::Target target;
  pg::Connection conn;
  std::string schema;
  int server_pid = 0;
};

[[noreturn]] void refuse_pooler(const std::string &verb, const std::string &why) {
  throw Error(ErrorCode::Invalid,
              "refusing to " + verb + " through a transaction-mode connection pooler (" + why +
                  "): the migration advisory lock needs one server session for the whole "
                  "command. Use the direct URL: set DIRECT_URL (Prisma's directUrl), or pass "
                  "--database-url with the non-pooled host. Read-only commands (status, "
                  "check) work through the pooler.");
}

// `writes`: the session will change the database under the migration lock,
// so a URL that names a transaction-mode pooler is refused before connecting.
// `verb`: the command when it changes the database under the migration
// lock (then a URL that names a transaction-mode pooler is refused before
// connecting); empty for read-only work.
Session open_session(const MigrateOptions &options, const CallContext &ctx,
                     const std::string &verb) {
  auto target = pg::parse_target(resolve_url(options));
  if (!verb.empty() && !target.pooler_reason.empty()) refuse_pooler(verb, target.pooler_reason);
  std::string conninfo = target.conninfo;
  // Name the session in pg_stat_activity unless the URL does: a deploy that
  // waits on the lock names the holder by it.
  conninfo += (conninfo.find("://") != std::string::npos
                   ? (conninfo.find('?') == std::string::npos ? "?" : "&")
                   : " ") +
              std::string("fallback_application_name=dbsafe");
  // A Neon compute wakes up in seconds: retry refused and unanswered
  // connections with backoff, within a bounded total time.
  auto started = Clock::now();
  auto delay = milliseconds(250);
  for (int attempt = 1;; ++attempt) {
    try {
      auto conn = pg::Connection::open(conninfo, ctx);
      std::string schema = !options.schema.empty()  ? options.schema
                           : !target.schema.empty() ? target.schema
                                                    : "public";
      Session s{std::move(target), std::move(conn), schema, 0};
      // Like Prisma, which always sets the search path to the URL's schema
      // (default public): unqualified names in migrations land there, and
      // never in a schema named like the user (such as dbsafe's own).
      s.conn.exec("SELECT set_config('search_path', $1, false)", {s.conn.quote_identifier(schema)});
      s.server_pid = std::stoi(s.conn.exec("SELECT pg_backend_pid()").text(0, 0));
      return s;
    } catch (const Error &e) {
      if (e.code() != ErrorCode::Connect ||
          ms_since(started) + static_cast<double>(delay.count()) >
              static_cast<double>(options.connect_retry_budget.count()))
        throw;
      ctx.log(LogLevel::Warning, "runner",
              "the database did not accept the connection (attempt " + std::to_string(attempt) +
                  "); retrying in " + std::to_string(delay.count()) +
                  " ms, as a Neon compute may be waking up: " + e.message());
      ctx.progress(progress_event("connect-retry", {{"message", e.message()}},
                                  {{"attempt", attempt}, {"delay_ms", double(delay.count())}}));
      auto until = Clock::now() + delay;
      while (Clock::now() < until) {
        ctx.checkpoint();
        std::this_thread::sleep_for(milliseconds(50));
      }
      delay = std::min(delay * 2, milliseconds(4000));
    }
  }
}

// Refuses a deploy through a transaction-mode pooler, where the session
// advisory lock would not hold: by what the URL says, and by how the server
// answers (a pooler announces its own process id; a transaction-mode one
// hands two client connections the same server session).
void refuse_transaction_pooler(Session &s, const CallContext &ctx, const std::string &verb) {
  if (s.conn.announced_backend_pid() == s.server_pid) return;
  ctx.log(LogLevel::Info, "runner",
          "a proxy sits between dbsafe and the server (it announced process " +
              std::to_string(s.conn.announced_backend_pid()) + ", the server runs " +
              std::to_string(s.server_pid) + "); checking whether it keeps sessions");
  auto second = pg::Connection::open(s.target.conninfo, ctx);
  int first_pid = std::stoi(s.conn.exec("SELECT pg_backend_pid()").text(0, 0));
  int second_pid = std::stoi(second.exec("SELECT pg_backend_pid()").text(0, 0));
  if (first_pid == second_pid)
    refuse_pooler(verb,
                  "two connections through it were served by the same server session, process " +
                      std::to_string(first_pid));
  s.server_pid = first_pid;
}

std::string lock_holders(pg::Connection &conn) {
  auto r = conn.exec(
      "SELECT a.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'local'), "
      "coalesce(a.state, ''), to_char(coalesce(a.backend_start, now()) AT TIME ZONE 'UTC', "
      "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
      "WHERE l.locktype = 'advisory' AND l.classid = 0 AND l.objid = $1::bigint::oid AND "
      "l.objsubid = 1 AND l.granted AND l.pid <> pg_backend_pid()",
      {std::to_string(kMigrationLockKey)});
  std::string out;
  for (int i = 0; i < r.rows(); ++i) {
    out += (out.empty() ? "" : "; ") + std::string("pid ") + r.text(i, 0) + " (application \"" +
           r.text(i, 1) + "\", client " + r.text(i, 2) + ", state " + r.text(i, 3) +
           ", connected since " + r.text(i, 4) + ")";
  }
  return out.empty() ? "a session that has since ended" : out;
}

// Takes Prisma's migration advisory lock on this session, waiting up to the
// timeout; on timeout names the session that holds it.
void take_migration_lock(Session &s, const MigrateOptions &options, const CallContext &ctx) {
  const std::string key = std::to_string(kMigrationLockKey);
  auto started = Clock::now();
  bool reported = false;
  for (;;) {
    if (s.conn.exec("SELECT pg_try_advisory_lock($1::bigint)", {key}).text(0, 0) == "t") return;
    if (!reported) {
      reported = true;
      std::string holder = lock_holders(s.conn);
      ctx.log(LogLevel::Info, "runner",
              "waiting for the migration lock (advisory lock " + key + "), held by " + holder);
      ctx.progress(progress_event("lock-wait", {{"holder", holder}}, {}));
    }
    if (ms_since(started) >= static_cast<double>(options.advisory_lock_timeout.count()))
      throw Error(ErrorCode::Timeout,
                  "another deploy holds the migration lock (advisory lock " + key +
                      ", Prisma's too) and did not release it within " +
                      std::to_string(options.advisory_lock_timeout.count()) +
                      " ms: it is held by " + lock_holders(s.conn) +
                      ". Wait for that deploy to finish, or end that session if it is stuck "
                      "(SELECT pg_terminate_backend(pid)).");
    for (int i = 0; i < 5; ++i) {
      ctx.checkpoint();
      std::this_thread::sleep_for(milliseconds(40));
    }
  }
}

MigrationSet load_set(const std::string &dir, const MigrateOptions &options,
                      const CallOptions &call) {
  if (dir.empty()) throw Error(ErrorCode::Invalid, "no migration directory; pass --migrations DIR");
  return MigrationSet::open(dir, options.source, call);
}

Runner mode_from_name(const std::string &name) {
  return name == "prisma" ? Runner::Prisma : Runner::Safe;
}

// Whether a deploy can continue an attempt that stopped without an SQL
// error: the file is unchanged, and the first step without a record is
// harmless to run again (it may have committed just before the stop).
bool can_resume(const Migration &m, const runner::HistoryRow &row,
                const runner::History::StepRecords &records, int pg_version) {
  if (row.logs || !records.steps.count(0)) return false;
  if (!(m.checksum == row.checksum || checksum_matches(m.sql, row.checksum))) return false;
  auto program = runner::plan_program(m.sql, mode_from_name(records.mode), pg_version);
  for (std::size_t i = 0; i < program.steps.size(); ++i)
    if (!records.steps.count(static_cast<int>(i + 1))) return program.steps[i].rerunnable;
  return true;  // every step done: only the row's completion is missing
}

// Classifies every migration against the history rows.
MigrationPlan make_plan(const MigrationSet &set, const std::string &table, bool exists,
                        const std::vector<runner::HistoryRow> &rows,
                        const std::map<std::string, runner::History::StepRecords> &steps,
                        int pg_version) {
  MigrationPlan plan;
  plan.root = set.root();
  plan.history_table = table;
  plan.history_exists = exists;
  std::map<std::string, std::vector<const runner::HistoryRow *>> by_name;
  for (const auto &r : rows) by_name[r.migration_name].push_back(&r);
  std::set<std::string> on_disk;
  for (const auto &m : set.migrations()) {
    on_disk.insert(m.name);
    PlannedMigration p;
    p.name = m.name;
    p.path = m.path;
    p.checksum = m.checksum;
    p.state = MigrationState::Pending;
    const runner::HistoryRow *applied = nullptr, *failed = nullptr;
    for (const auto *r : by_name[m.name]) {
      if (r->applied()) applied = r;
      if (r->failed()) failed = r;
    }
    if (const auto *r = failed ? failed : applied) {
      p.recorded_checksum = r->checksum;
      p.started_at = r->started_at;
      p.finished_at = r->finished_at;
      p.logs = r->logs;
    }
    if (failed) {
      p.state = MigrationState::Failed;
      auto it = steps.find(failed->id);
      p.resumable = it != steps.end() && can_resume(m, *failed, it->second, pg_version);
    } else if (applied) {
      p.state = (m.checksum == applied->checksum || checksum_matches(m.sql, applied->checksum))
                    ? MigrationState::Applied
                    : MigrationState::Modified;
    }
    plan.migrations.push_back(std::move(p));
  }
  // Pending before an applied one: merged late.
  bool later_applied = false;
  for (auto it = plan.migrations.rbegin(); it != plan.migrations.rend(); ++it) {
    if (it->state == MigrationState::Applied || it->state == MigrationState::Modified)
      later_applied = true;
    else if (it->state == MigrationState::Pending && later_applied)
      it->state = MigrationState::OutOfOrder;
  }
  std::set<std::string> missing_seen;
  for (const auto &r : rows) {
    if (on_disk.count(r.migration_name) || r.rolled_back_at) continue;
    if (!missing_seen.insert(r.migration_name).second) continue;
    PlannedMigration p;
    p.name = r.migration_name;
    p.state = r.failed() ? MigrationState::Failed : MigrationState::Missing;
    p.recorded_checksum = r.checksum;
    p.started_at = r.started_at;
    p.finished_at = r.finished_at;
    p.logs = r.logs;
    plan.migrations.push_back(std::move(p));
  }
  return plan;
}

MigrationPlan read_plan(Session &s, const MigrationSet &set,
                        std::vector<runner::HistoryRow> *rows) {
  runner::History history(s.conn, s.schema);
  bool exists = history.exists();
  std::vector<runner::HistoryRow> r;
  if (exists) r = history.rows();
  auto steps = history.step_records();
  auto plan = make_plan(set, history.table(), exists, r, steps, s.conn.server_version() / 10000);
  if (rows) *rows = std::move(r);
  return plan;
}

// The line of a recorded failure log that says what went wrong: the
// database's "ERROR:" line when there is one (Prisma's logs and dbsafe's
// both hold it), else the first non-empty line.
std::string log_summary(const std::string &text) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    lines.push_back(text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  auto pick = [&]() -> std::string {
    for (const auto &l : lines)
      if (l.starts_with("ERROR:")) return l;
    for (const auto &l : lines)  // "…error: <what>", not a bare "Database error:" heading
      if (auto at = l.find("error:"); at != std::string::npos && at + 6 < l.size()) return l;
    for (const auto &l : lines)
      if (l.find_first_not_of(" \t\r") != std::string::npos) return l;
    return {};
  };
  std::string line = pick();
  return line.size() > 300 ? line.substr(0, 300) + "…" : line;
}

// Refuses to deploy over a history that needs a person first.
void refuse_unresolved(const MigrationPlan &plan, const MigrateOptions &options) {
  for (const auto &m : plan.migrations) {
    if (m.state == MigrationState::Failed && !m.resumable) {
      std::string logs = m.logs ? " Its log says: " + log_summary(*m.logs) + "." : std::string();
      throw Error(ErrorCode::State,
                  "migration " + m.name + " failed" +
                      (m.started_at ? " (started " + *m.started_at + ")" : std::string()) +
                      " and is recorded as failed in " + plan.history_table +
                      " (what Prisma reports as P3009); no migration runs until it is resolved." +
                      logs + " If its changes are not in the database, fix the file and run `" +
                      resolve_command(plan.root, m.name, true) +
                      "`, then deploy again; if you completed it by hand, run `" +
                      resolve_command(plan.root, m.name, false) + "`.");
    }
    if (m.state == MigrationState::Modified && !options.allow_modified) {
      throw Error(ErrorCode::State,
                  "migration " + m.name + " was applied with checksum " + m.recorded_checksum +
                      " but " + plan.root + "/" + m.path + " now has checksum " + m.checksum +
                      ": the file was edited after it ran, so the database may not match it "
                      "(Prisma's deploy and status do not notice this). Restore the file as "
                      "applied (git log -p -- " +
                      m.path +
                      "), or put the change in a new migration; pass --allow-modified to deploy "
                      "anyway.");
    }
  }
}

std::string position_text(const std::string &file, std::uint32_t line, std::uint32_t column) {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

// Runs the pending migrations of a plan (see the file comment).
class Deployer {
 public:
  Deployer(Session &s, const MigrationSet &set, const MigrateOptions &options,
           const CallContext &ctx, MigrateReport &report)
      : s_(s),
        set_(set),
        options_(options),
        ctx_(ctx),
        report_(report),
        history_(s.conn, s.schema) {
    pg_version_ = s.conn.server_version() / 10000;
  }

  void run(const MigrationPlan &plan, const std::map<std::string, std::string> &resume_ids) {
    std::vector<const Migration *> todo;
    std::map<std::string, const PlannedMigration *> planned;
    for (const auto &p : plan.migrations) planned[p.name] = &p;
    for (const auto &m : set_.migrations()) {
      auto state = planned[m.name]->state;
      if (state == MigrationState::Pending || state == MigrationState::OutOfOrder ||
          (state == MigrationState::Failed && planned[m.name]->resumable))
        todo.push_back(&m);
    }
    for (std::size_t i = 0; i < todo.size(); ++i) {
      const Migration &m = *todo[i];
      auto it = resume_ids.find(m.name);
      apply(m, i, todo.size(), it == resume_ids.end() ? std::string() : it->second);
    }
  }

 private:
  struct Timeouts {
    milliseconds lock, statement;
  };

  Timeouts timeouts_for(const std::string &name) const {
    Timeouts t{options_.lock_timeout, options_.statement_timeout.value_or(milliseconds(0))};
    if (auto it = options_.migration_timeouts.find(name); it != options_.migration_timeouts.end()) {
      if (it->second.lock_timeout) t.lock = *it->second.lock_timeout;
      if (it->second.statement_timeout) t.statement = *it->second.statement_timeout;
    }
    return t;
  }

  // The session's timeouts for the next migration, and a check that this
  // session still holds the migration lock (a pooler nobody announced would
  // have moved it): SQL that rides at the head of the migration's first
  // round trip. Four statements.
  std::string preamble(const std::string &name) const {
    auto t = timeouts_for(name);
    // Division by zero (SQLSTATE 22012) in the third statement when the lock
    // is gone: cheaper per migration than a PL/pgSQL block.
    return "SET lock_timeout = " + std::to_string(t.lock.count()) +
           "; SET statement_timeout = " + std::to_string(t.statement.count()) +
           "; SELECT 1 / count(*)::int FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND "
           "classid = 0 AND objid = " +
           std::to_string(kMigrationLockKey) +
           " AND objsubid = 1 AND granted AND pid = pg_catalog.pg_backend_pid()";
  }
  static constexpr int kPreambleStatements = 3;
  static bool lost_lock_error(const pg::ServerError &e, bool in_preamble) {
    return in_preamble && e.sqlstate() == "22012";
  }

  [[noreturn]] void lost_lock(const std::string &name) {
    if (s_.conn.in_transaction()) s_.conn.simple("ROLLBACK");
    throw Error(ErrorCode::State,
                "this session no longer holds the migration lock before " + name +
                    ": the connection goes through a pooler that moved it to another server "
                    "session. Deploy with the direct URL (DIRECT_URL); nothing of " +
                    name + " was run.");
  }

  // Runs the preamble (and `then`) on its own.
  void prepare(const std::string &name, const std::string &then = "") {
    try {
      s_.conn.simple(preamble(name) + (then.empty() ? "" : "; " + then));
    } catch (const pg::ServerError &e) {
      if (lost_lock_error(e, e.statements_done < kPreambleStatements)) lost_lock(name);
      throw;
    }
  }

  std::string file_of(const Migration &m) const { return set_.root() + "/" + m.path; }

  // Where a server error points in the file: the statement that failed
  // (counted from the results before it) refined by the server's position.
  std::pair<std::uint32_t, std::uint32_t> locate(const Migration &m, const runner::Step &step,
                                                 const pg::ServerError &e) const {
    analyze::LineIndex index(m.sql);
    std::size_t offset = step.begin;
    if (e.position() > 0) {
      // The position counts characters of the text sent, which starts at
      // the step's first byte.
      offset = step.begin + util::utf8_byte_offset(
                                std::string_view(m.sql).substr(step.begin, step.end - step.begin),
                                static_cast<std::size_t>(e.position() - 1));
    } else if (e.statements_done >= 0 &&
               static_cast<std::size_t>(e.statements_done) < step.statement_begins.size()) {
      offset = step.statement_begins[static_cast<std::size_t>(e.statements_done)];
    }
    auto lc = index.at(offset);
    return {lc.line, lc.column};
  }

  std::string logs_for(const Migration &m, const pg::ServerError &e, std::uint32_t line,
                       std::uint32_t column, bool rolled_back, std::size_t steps_done,
                       std::size_t steps) const {
    std::string text = "Migration name: " + m.name + "\n\nDatabase error code: " + e.sqlstate() +
                       "\n\nDatabase error:\nERROR: " + e.primary() +
                       "\n\nPosition: " + position_text(file_of(m), line, column) + "\n\n";
    if (rolled_back)
      text += "dbsafe rolled the migration back: nothing of it is in the database.";
    else
      text += "dbsafe committed " + std::to_string(steps_done) + " of " + std::to_string(steps) +
              " steps before the error; they are in the database.";
    return text;
  }

  [[noreturn]] void fail(const Migration &m, const runner::Step &step, const pg::ServerError &e,
                         const std::string &id, bool row_exists, bool rolled_back,
                         std::size_t steps_done, std::size_t steps) {
    auto [line, column] = locate(m, step, e);
    std::string logs = logs_for(m, e, line, column, rolled_back, steps_done, steps);
    if (s_.conn.in_transaction()) s_.conn.simple("ROLLBACK");
    if (row_exists)
      s_.conn.exec(history_.set_logs(id, logs));
    else
      s_.conn.exec(history_.insert_failed(id, m.name, m.checksum, logs));
    MigrationFailure f;
    f.migration = m.name;
    f.file = file_of(m);
    f.line = line;
    f.column = column;
    f.sqlstate = e.sqlstate();
    f.message = e.primary();
    f.rolled_back = rolled_back;
    f.steps_done = steps_done;
    f.resolve_command = resolve_command(set_.root(), m.name, true);
    std::string message = position_text(f.file, line, column) + ": migration " + m.name +
                          " failed: " + e.message() + " [SQLSTATE " + e.sqlstate() + "]. ";
    if (rolled_back)
      message +=
          "Its transaction was rolled back: nothing of it is in the database, and it is "
          "recorded as failed (Prisma's P3009 until resolved). Fix the file, run `" +
          f.resolve_command + "`, then deploy again.";
    else
      message += std::to_string(steps_done) + " of " + std::to_string(steps) +
                 " steps committed before the error and remain in the database. Either undo them "
                 "and run `" +
                 f.resolve_command + "`, or finish the migration by hand and run `" +
                 resolve_command(set_.root(), m.name, false) + "`.";
    report_.failure = f;
    Error err(ErrorCode::Database, message);
    err.with_file(f.file, line, column).with_sqlstate(e.sqlstate());
    throw err;
  }

  // Finds who blocks this session while a statement waits, for the log and
  // the error (pg_blocking_pids on a second connection).
  std::string blockers() {
    try {
      if (!monitor_) monitor_.emplace(pg::Connection::open(s_.target.conninfo, CallContext()));
      auto r = monitor_->exec(
          "SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.state, ''), "
          "left(regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g'), 120) "
          "FROM pg_stat_activity a WHERE a.pid = ANY (pg_blocking_pids($1::int))",
          {std::to_string(s_.server_pid)});
      std::string out;
      for (int i = 0; i < r.rows(); ++i)
        out += (out.empty() ? "" : "; ") + std::string("pid ") + r.text(i, 0) + " (application \"" +
               r.text(i, 1) + "\", " + r.text(i, 2) + ": " + r.text(i, 3) + ")";
      return out;
    } catch (const Error &) {
      return {};
    }
  }

  // Runs one step's SQL, reporting each statement; retries a statement that
  // hit lock_timeout (SQLSTATE 55P03) with backoff when `retry` allows.
  // Bookkeeping sent in the same round trip as a step: `statements` of SQL
  // before it, and SQL after it.
  struct Wrap {
    std::string prefix;
    int prefix_statements = 0;
    std::string suffix;
  };

  // Runs one step's SQL, reporting each statement. The wrap's prefix and
  // suffix ride in the same simple query (one round trip per migration in
  // the usual case); a server error is translated back so its statement
  // index and position count from the step's first byte. A failure inside
  // the prefix throws Error(State) when the lock check failed.
  void send(const Migration &m, const runner::Step &step, std::size_t step_no, std::size_t steps,
            const Wrap &wrap) {
    std::string sql = m.sql.substr(step.begin, step.end - step.begin);
    const int script_statements = static_cast<int>(step.statement_begins.size());
    std::size_t prefix_chars = 0;
    if (!wrap.prefix.empty() || !wrap.suffix.empty()) {
      std::string head = wrap.prefix.empty() ? std::string() : wrap.prefix + ";\n";
      prefix_chars = util::utf8_length(head);
      // The newline ends a trailing `--` comment of the file before the
      // suffix; the file has no transaction control (atomic steps only).
      sql = head + sql + (wrap.suffix.empty() ? std::string() : "\n;\n" + wrap.suffix);
    }
    pg::ScriptObserver observer;
    auto started = Clock::now();
    auto last = started;
    std::optional<analyze::LineIndex> lines;  // built once, on the first event
    observer.statement_done = [&](int raw_index) {
      int index = raw_index - wrap.prefix_statements;
      if (!ctx_.has_progress() || index < 0 || index >= script_statements) return;
      auto now = Clock::now();
      if (!lines) lines.emplace(m.sql);
      auto lc = lines->at(step.statement_begins[static_cast<std::size_t>(index)]);
      ctx_.progress(progress_event(
          "statement-finish", {{"migration", m.name}},
          {{"step", double(step_no)},
           {"statement", double(index + 1)},
           {"line", double(lc.line)},
           {"elapsed_ms", std::chrono::duration<double, std::milli>(now - last).count()}}));
      last = now;
    };
    auto lock_ms = timeouts_for(m.name).lock;
    observer.slow_after = std::max(milliseconds(500), lock_ms / 2);
    observer.on_slow = [&] {
      last_blockers_ = blockers();
      if (!last_blockers_.empty())
        ctx_.log(LogLevel::Warning, "runner",
                 m.name + " step " + std::to_string(step_no) + "/" + std::to_string(steps) +
                     " (line " + std::to_string(step.line) + ") waits on a lock held by " +
                     last_blockers_);
    };
    last_blockers_.clear();
    try {
      s_.conn.exec_script(sql, ctx_, observer);
    } catch (pg::ServerError &e) {
      int position = e.position() > 0 ? e.position() - static_cast<int>(prefix_chars) : 0;
      bool in_prefix =
          e.position() > 0 ? position <= 0 : e.statements_done < wrap.prefix_statements;
      if (lost_lock_error(e, in_prefix && e.statements_done < kPreambleStatements))
        lost_lock(m.name);
      if (in_prefix) throw;  // the bookkeeping itself failed: reported as it is
      pg::ServerError translated(e.message(), e.sqlstate(), e.primary(), std::max(position, 0));
      translated.statements_done = e.statements_done - wrap.prefix_statements;
      throw translated;
    }
    ctx_.progress(progress_event(
        "step-finish", {{"migration", m.name}},
        {{"step", double(step_no)}, {"steps", double(steps)}, {"elapsed_ms", ms_since(started)}}));
  }

  void send(const Migration &m, const runner::Step &step, std::size_t step_no, std::size_t steps) {
    send(m, step, step_no, steps, Wrap());
  }

  bool lock_timeout(const pg::ServerError &e) const { return e.sqlstate() == "55P03"; }

  void backoff(int attempt, const Migration &m, const runner::Step &step) {
    auto base = options_.lock_retry_backoff * (1 << std::min(attempt - 1, 6));
    auto jitter =
        milliseconds(util::random_u64() %
                     static_cast<std::uint64_t>(std::max<std::int64_t>(1, base.count() / 2) + 1));
    auto delay = base + jitter;
    std::string who = last_blockers_.empty() ? "" : " held by " + last_blockers_;
    ctx_.log(LogLevel::Warning, "runner",
             position_text(file_of(m), step.line, step.column) + ": lock_timeout hit" + who +
                 "; retry " + std::to_string(attempt) + " of " +
                 std::to_string(options_.lock_retries) + " in " + std::to_string(delay.count()) +
                 " ms");
    ctx_.progress(progress_event("lock-timeout-retry", {{"migration", m.name}, {"blocking", who}},
                                 {{"attempt", attempt}, {"delay_ms", double(delay.count())}}));
    auto until = Clock::now() + delay;
    while (Clock::now() < until) {
      ctx_.checkpoint();
      std::this_thread::sleep_for(milliseconds(20));
    }
  }

  // A concurrent index step that is about to run (again): keeps a valid
  // index an earlier attempt built, drops an INVALID one it left.
  bool reconcile_index(const runner::Step &step, const Migration &m) {
    if (step.index_name.empty()) return false;
    auto r = s_.conn.exec(
        "SELECT i.indisvalid, quote_ident(n.nspname) || '.' || quote_ident(c.relname) "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relname = $1 AND "
        "CASE WHEN $2 = '' THEN n.oid = ANY (current_schemas(false)::regnamespace[]) "
        "ELSE n.nspname = $2 END",
        {step.index_name, step.index_schema});
    if (step.drops_index) return r.rows() == 0;  // already gone: the step is done
    if (r.rows() == 0) return false;
    if (r.text(0, 0) == "t") return true;  // built before the interruption
    ctx_.log(LogLevel::Warning, "runner",
             m.name + ": dropping the INVALID index " + r.text(0, 1) +
                 " left by an interrupted or failed concurrent build before building it again");
    s_.conn.exec_script("DROP INDEX CONCURRENTLY IF EXISTS " + r.text(0, 1), ctx_);
    return false;
  }

  void apply(const Migration &m, std::size_t index, std::size_t total,
             const std::string &resume_id) {
    ctx_.checkpoint();
    auto started = Clock::now();
    // A resumed attempt is cut into steps as it was when it started.
    Runner mode = options_.mode;
    runner::History::StepRecords resumed;
    if (!resume_id.empty()) {
      resumed = history_.step_records()[resume_id];
      mode = mode_from_name(resumed.mode);
    }
    auto program = runner::plan_program(m.sql, mode, pg_version_);
    std::size_t steps = program.steps.size();
    ctx_.progress(progress_event(
        "migration-start", {{"migration", m.name}},
        {{"index", double(index + 1)}, {"total", double(total)}, {"steps", double(steps)}}));
    bool atomic = program.atomic && resume_id.empty();
    util::failpoint("runner.before_migration");
    AppliedMigration done;
    done.name = m.name;
    done.steps = steps;
    if (atomic)
      apply_atomic(m, program);
    else
      done.resumed = apply_steps(m, program, mode, resume_id, resumed.steps);
    done.elapsed_ms = ms_since(started);
    report_.applied.push_back(done);
    ctx_.progress(progress_event("migration-finish", {{"migration", m.name}},
                                 {{"elapsed_ms", done.elapsed_ms}}));
  }

  // One transaction and one round trip: the preamble, the history row, the
  // migration, its completion.
  void apply_atomic(const Migration &m, const runner::Program &program) {
    runner::Step empty;  // a file of comments only still gets its row
    const runner::Step &step = program.steps.empty() ? empty : program.steps[0];
    for (int attempt = 0;; ++attempt) {
      std::string id = runner::History::new_id();
      Wrap wrap;
      // The row is written at the end, in the same transaction: started_at
      // is now(), the transaction's start, as if it were written first.
      wrap.prefix = preamble(m.name) + "; BEGIN";
      wrap.prefix_statements = kPreambleStatements + 1;
      wrap.suffix = history_.insert_finished(id, m.name, m.checksum) + "; COMMIT";
      ctx_.progress(progress_event("step-start", {{"migration", m.name}},
                                   {{"step", 1}, {"steps", 1}, {"line", double(step.line)}}));
      try {
        send(m, step, 1, 1, wrap);
      } catch (const pg::ServerError &e) {
        if (s_.conn.in_transaction()) s_.conn.simple("ROLLBACK");
        if (lock_timeout(e) && attempt < options_.lock_retries) {
          backoff(attempt + 1, m, step);
          continue;
        }
        fail(m, step, e, id, false, true, 0, 1);
      } catch (...) {
        // Cancelled, timed out or lost: the open transaction rolls back with
        // the session; nothing of the migration or its row remains.
        if (PQstatus(s_.conn.raw()) == CONNECTION_OK && s_.conn.in_transaction())
          s_.conn.simple("ROLLBACK");
        throw;
      }
      return;
    }
  }

  // Several transactions, each step recorded in dbsafe.migration_steps.
  // Returns whether it resumed an interrupted attempt.
  bool apply_steps(const Migration &m, const runner::Program &program, Runner mode,
                   const std::string &resume_id, std::set<int> recorded) {
    if (!steps_table_ready_) {
      bool existed = history_.steps_table_exists();
      history_.create_steps_table();
      steps_table_ready_ = true;
      // A role named dbsafe resolves "$user" in the default search path to
      // dbsafe's own schema from now on: say so once.
      if (!existed &&
          s_.conn.exec("SELECT count(*) FROM pg_roles WHERE rolname = 'dbsafe'").text(0, 0) != "0")
        report_.warnings.push_back(
            "a role named dbsafe exists: with the default search_path (\"$user\", public) its "
            "unqualified names now resolve to dbsafe's own schema \"dbsafe\", which drift checks "
            "ignore; give that role its own search_path (ALTER ROLE dbsafe SET search_path = "
            "public)");
    }
    std::size_t steps = program.steps.size();
    std::string id = resume_id;
    if (id.empty()) {
      id = runner::History::new_id();
      prepare(m.name, "BEGIN; " + history_.insert_started(id, m.name, m.checksum) + "; " +
                          history_.record_step(id, m.name, 0, static_cast<int>(steps), 1,
                                               mode == Runner::Safe ? "safe" : "prisma") +
                          "; COMMIT");
    } else {
      prepare(m.name);
      ctx_.log(LogLevel::Warning, "runner",
               m.name + " was interrupted after " + std::to_string(recorded.size() - 1) + " of " +
                   std::to_string(steps) + " steps; resuming at step " +
                   std::to_string(recorded.size()));
    }
    std::size_t steps_done = 0;
    bool finished = false;  // the last step's record also marked the row finished
    for (std::size_t i = 0; i < steps; ++i) {
      const auto &step = program.steps[i];
      int no = static_cast<int>(i + 1);
      if (recorded.count(no)) {
        ++steps_done;
        continue;
      }
      ctx_.checkpoint();
      // The step an interruption may have left committed without its record.
      bool uncertain = !resume_id.empty() && steps_done + 1 == recorded.size();
      if (uncertain && !step.rerunnable) {
        throw Error(ErrorCode::State,
                    position_text(file_of(m), step.line, step.column) + ": migration " + m.name +
                        " was interrupted during step " + std::to_string(no) + " of " +
                        std::to_string(steps) +
                        ", which runs outside dbsafe's control of transactions, so dbsafe "
                        "cannot tell whether it committed. Check the database: if that step "
                        "and the rest of the file are in it, run `" +
                        resolve_command(set_.root(), m.name, false) +
                        "`; otherwise undo the committed steps and run `" +
                        resolve_command(set_.root(), m.name, true) + "`.");
      }
      ctx_.progress(progress_event(
          "step-start", {{"migration", m.name}},
          {{"step", double(no)}, {"steps", double(steps)}, {"line", double(step.line)}}));
      bool last = i + 1 == steps;
      for (int attempt = 0;; ++attempt) {
        try {
          run_step(m, step, no, steps, id, last, uncertain || attempt > 0);
          finished = last;
          break;
        } catch (const pg::ServerError &e) {
          bool in_txn = step.kind == runner::StepKind::Wrapped;
          if (s_.conn.in_transaction()) s_.conn.simple("ROLLBACK");
          if (lock_timeout(e) && attempt < options_.lock_retries &&
              step.kind != runner::StepKind::SelfManaged) {
            backoff(attempt + 1, m, step);
            prepare(m.name);
            continue;
          }
          if (step.creates_index) reconcile_index(step, m);  // drop what the failure left
          fail(m, step, e, id, true, steps_done == 0 && (in_txn || step.creates_index), steps_done,
               steps);
        } catch (...) {
          if (PQstatus(s_.conn.raw()) == CONNECTION_OK && s_.conn.in_transaction())
            s_.conn.simple("ROLLBACK");
          throw;
        }
      }
      ++steps_done;
      util::failpoint("runner.steps.after_step");
    }
    if (!finished) s_.conn.exec(history_.mark_finished(id));
    return !resume_id.empty();
  }

  // Runs step `no` and records it; the last step's record also marks the
  // history row finished, in the same transaction. `check_first`: a previous
  // attempt may have done a concurrent index step already.
  void run_step(const Migration &m, const runner::Step &step, int no, std::size_t steps,
                const std::string &id, bool last, bool check_first) {
    std::string record =
        history_.record_step(id, m.name, no, static_cast<int>(steps), static_cast<int>(step.line)) +
        (last ? "; " + history_.mark_finished(id) : std::string());
    auto step_no = static_cast<std::size_t>(no);
    switch (step.kind) {
      case runner::StepKind::Wrapped:
        send(m, step, step_no, steps, Wrap{"BEGIN", 1, record + "; COMMIT"});
        return;
      case runner::StepKind::SelfManaged:
        send(m, step, step_no, steps);
        s_.conn.simple(record);  // one implicit transaction
        return;
      case runner::StepKind::NonTransactional:
        if (check_first && (step.creates_index || step.drops_index) && reconcile_index(step, m)) {
          ctx_.log(LogLevel::Info, "runner",
                   m.name + " step " + std::to_string(no) + ": " +
                       (step.creates_index ? "the index is already built and valid"
                                           : "the index is already dropped") +
                       ", so the step is recorded as done");
        } else {
          send(m, step, step_no, steps);  // alone: it refuses any transaction
        }
        util::failpoint("runner.steps.before_record");
        s_.conn.simple(record);
        return;
    }
  }

  Session &s_;
  const MigrationSet &set_;
  const MigrateOptions &options_;
  const CallContext &ctx_;
  MigrateReport &report_;
  runner::History history_;
  int pg_version_ = 15;
  bool steps_table_ready_ = false;
  std::optional<pg::Connection> monitor_;
  std::string last_blockers_;
};

void add_plan_warnings(MigrateReport &report) {
  for (const auto &m : report.plan.migrations) {
    if (m.state == MigrationState::Missing)
      report.warnings.push_back("migration " + m.name + " is recorded as applied in " +
                                report.plan.history_table + " but is not in " + report.plan.root +
                                ": restore it from version control, or this checkout is older "
                                "than the database");
    if (m.state == MigrationState::OutOfOrder)
      report.warnings.push_back("migration " + m.name +
                                " is pending although later migrations are applied (merged "
                                "late): it runs after them, check that it does not depend on "
                                "running first");
    if (m.state == MigrationState::Modified)
      report.warnings.push_back("migration " + m.name + " was edited after it was applied (" +
                                "checksum " + m.recorded_checksum + " recorded, " + m.checksum +
                                " on disk)");
    if (m.state == MigrationState::Failed)
      report.warnings.push_back(
          "migration " + m.name +
          (m.resumable
               ? " was interrupted part-way; the next deploy resumes it"
               : " failed; resolve it with `" + resolve_command(report.plan.root, m.name, true) +
                     "` or `" + resolve_command(report.plan.root, m.name, false) + "`"));
  }
}

MigrateReport start_report(const char *command, const MigrateOptions &options) {
  MigrateReport report;
  report.command = command;
  report.mode = options.mode;
  report.dry_run = options.dry_run;
  return report;
}

}  // namespace

const char *migration_state_name(MigrationState state) noexcept {
  switch (state) {
    case MigrationState::Applied:
      return "applied";
    case MigrationState::Pending:
      return "pending";
    case MigrationState::Failed:
      return "failed";
    case MigrationState::Modified:
      return "modified";
    case MigrationState::Missing:
      return "missing";
    case MigrationState::OutOfOrder:
      return "out-of-order";
  }
  return "unknown";
}

std::size_t MigrationPlan::count(MigrationState state) const {
  std::size_t n = 0;
  for (const auto &m : migrations) n += m.state == state;
  return n;
}

int MigrationPlan::status_code() const {
  bool resumable = false, stuck = false;
  for (const auto &m : migrations) {
    if (m.state == MigrationState::Failed) (m.resumable ? resumable : stuck) = true;
    if (m.state == MigrationState::Modified || m.state == MigrationState::Missing) stuck = true;
  }
  if (stuck) return 2;
  // An interrupted migration the next deploy continues by itself is pending.
  if (resumable || count(MigrationState::Pending) || count(MigrationState::OutOfOrder)) return 1;
  return 0;
}

MigrateReport migrate_status(const std::string &migrations_dir, const MigrateOptions &options,
                             const CallOptions &call) {
  CallContext ctx(call);
  auto started = Clock::now();
  auto report = start_report("status", options);
  auto set = load_set(migrations_dir, options, call);
  auto session = open_session(options, ctx, "");
  report.plan = read_plan(session, set, nullptr);
  add_plan_warnings(report);
  report.elapsed_ms = ms_since(started);
  return report;
}

MigrateReport migrate_deploy(const std::string &migrations_dir, const MigrateOptions &options,
                             const CallOptions &call) {
  CallContext ctx(call);
  auto started = Clock::now();
  auto report = start_report("deploy", options);
  auto set = load_set(migrations_dir, options, call);
  auto session = open_session(options, ctx, options.dry_run ? "" : "deploy");
  if (options.dry_run) {
    report.plan = read_plan(session, set, nullptr);
    try {
      refuse_unresolved(report.plan, options);
    } catch (Error &e) {
      add_plan_warnings(report);
      e.with_detail_json(report.to_json());
      throw;
    }
    int pg_version = session.conn.server_version() / 10000;
    std::map<std::string, const Migration *> by_name;
    for (const auto &m : set.migrations()) by_name[m.name] = &m;
    for (auto &p : report.plan.migrations)
      if (p.state == MigrationState::Pending || p.state == MigrationState::OutOfOrder ||
          p.resumable)
        p.steps = plan_steps(by_name[p.name]->sql, options.mode, pg_version);
    add_plan_warnings(report);
    report.elapsed_ms = ms_since(started);
    return report;
  }
  refuse_transaction_pooler(session, ctx, "deploy");
  take_migration_lock(session, options, ctx);
  runner::History history(session.conn, session.schema);
  history.create_if_missing();
  std::vector<runner::HistoryRow> rows;
  auto plan = read_plan(session, set, &rows);
  try {
    refuse_unresolved(plan, options);
  } catch (Error &e) {
    report.plan = plan;  // --format json and the bindings show what is in the way
    add_plan_warnings(report);
    report.elapsed_ms = ms_since(started);
    e.with_detail_json(report.to_json());
    throw;
  }
  std::map<std::string, std::string> resume_ids;
  for (const auto &r : rows)
    if (r.failed() && !r.logs) resume_ids[r.migration_name] = r.id;
  for (const auto &p : plan.migrations)
    if (!p.resumable) resume_ids.erase(p.name);
  Deployer deployer(session, set, options, ctx, report);
  try {
    deployer.run(plan, resume_ids);
  } catch (Error &e) {
    // Whatever stopped the deploy, the caller learns what was applied.
    if (e.detail_json() == "{}") {
      try {
        if (PQstatus(session.conn.raw()) == CONNECTION_OK && !session.conn.in_transaction())
          report.plan = read_plan(session, set, nullptr);
        else
          report.plan = plan;
      } catch (const Error &) {
        report.plan = plan;  // the session is gone: the plan as it was before
      }
      add_plan_warnings(report);
      report.elapsed_ms = ms_since(started);
      e.with_detail_json(report.to_json());
    }
    throw;
  }
  report.plan = read_plan(session, set, nullptr);
  add_plan_warnings(report);
  report.elapsed_ms = ms_since(started);
  return report;
}

namespace {

void require_on_disk(const MigrationSet &set, const std::string &name) {
  for (const auto &m : set.migrations())
    if (m.name == name) return;
  throw Error(ErrorCode::NotFound, "there is no migration named " + name + " in " + set.root() +
                                       "; `dbsafe list " + set.root() + "` shows their names");
}

}  // namespace

MigrateReport migrate_resolve(const std::string &migrations_dir, const std::string &migration_name,
                              ResolveAction action, const MigrateOptions &options,
                              const CallOptions &call) {
  CallContext ctx(call);
  auto started = Clock::now();
  auto report = start_report("resolve", options);
  auto set = load_set(migrations_dir, options, call);
  if (action == ResolveAction::Applied) require_on_disk(set, migration_name);
  auto session = open_session(options, ctx, "resolve");
  refuse_transaction_pooler(session, ctx, "resolve");
  take_migration_lock(session, options, ctx);
  runner::History history(session.conn, session.schema);
  history.create_if_missing();
  auto rows = history.rows();
  std::vector<const runner::HistoryRow *> failed;
  bool applied = false, known = false;
  for (const auto &r : rows) {
    if (r.migration_name != migration_name) continue;
    known = true;
    if (r.failed()) failed.push_back(&r);
    if (r.applied()) applied = true;
  }
  std::string sql = "BEGIN";
  if (action == ResolveAction::Applied) {
    if (applied)
      throw Error(ErrorCode::Invalid, "migration " + migration_name +
                                          " is already recorded as applied (Prisma's P3008); "
                                          "nothing to resolve");
    for (const auto *r : failed) sql += "; " + history.mark_rolled_back(r->id);
    const Migration *m = nullptr;
    for (const auto &x : set.migrations())
      if (x.name == migration_name) m = &x;
    sql += "; " + history.insert_applied(migration_name, m->checksum);
  } else {
    if (!known)
      throw Error(ErrorCode::NotFound, "migration " + migration_name +
                                           " was never applied, so it cannot be rolled back "
                                           "(Prisma's P3011)");
    if (failed.empty())
      throw Error(ErrorCode::Invalid, "migration " + migration_name +
                                          " is not in a failed state (Prisma's P3012): only a "
                                          "failed migration can be marked as rolled back");
    for (const auto *r : failed) sql += "; " + history.mark_rolled_back(r->id);
  }
  session.conn.simple(sql + "; COMMIT");
  report.resolved.push_back(migration_name);
  report.plan = read_plan(session, set, nullptr);
  add_plan_warnings(report);
  report.elapsed_ms = ms_since(started);
  return report;
}

MigrateReport migrate_baseline(const std::string &migrations_dir, const std::string &migration_name,
                               const MigrateOptions &options, const CallOptions &call) {
  CallContext ctx(call);
  auto started = Clock::now();
  auto report = start_report("baseline", options);
  auto set = load_set(migrations_dir, options, call);
  require_on_disk(set, migration_name);
  auto session = open_session(options, ctx, "baseline");
  refuse_transaction_pooler(session, ctx, "baseline");
  take_migration_lock(session, options, ctx);
  runner::History history(session.conn, session.schema);
  history.create_if_missing();
  auto rows = history.rows();
  std::string sql = "BEGIN";
  for (const auto &m : set.migrations()) {
    bool applied = false;
    for (const auto &r : rows)
      if (r.migration_name == m.name) {
        if (r.applied()) applied = true;
        if (r.failed())
          throw Error(ErrorCode::State,
                      "migration " + m.name +
                          " is recorded as failed; resolve it first (`dbsafe migrate resolve "
                          "--rolled-back " +
                          m.name + "`), then baseline");
      }
    if (!applied) {
      sql += "; " + history.insert_applied(m.name, m.checksum);
      report.resolved.push_back(m.name);
    }
    if (m.name == migration_name) break;
  }
  session.conn.simple(sql + "; COMMIT");
  report.plan = read_plan(session, set, nullptr);
  add_plan_warnings(report);
  report.elapsed_ms = ms_since(started);
  return report;
}

std::string MigrateReport::to_json() const {
  util::JsonWriter w;
  w.begin_object().field("schema_version", 1).field("command", command);
  w.field("mode", mode_name(mode)).field("dry_run", dry_run);
  w.field("root", plan.root).field("history_table", plan.history_table);
  w.field("history_exists", plan.history_exists).field("status_code", plan.status_code());
  w.key("summary").begin_object();
  w.field("applied", static_cast<std::uint64_t>(plan.count(MigrationState::Applied)));
  w.field("pending", static_cast<std::uint64_t>(plan.count(MigrationState::Pending)));
  w.field("failed", static_cast<std::uint64_t>(plan.count(MigrationState::Failed)));
  w.field("modified", static_cast<std::uint64_t>(plan.count(MigrationState::Modified)));
  w.field("missing", static_cast<std::uint64_t>(plan.count(MigrationState::Missing)));
  w.field("out_of_order", static_cast<std::uint64_t>(plan.count(MigrationState::OutOfOrder)));
  w.end_object();
  w.key("migrations").begin_array();
  for (const auto &m : plan.migrations) {
    w.begin_object().field("name", m.name).field("state", migration_state_name(m.state));
    w.field("path", m.path).field("checksum", m.checksum);
    w.field("recorded_checksum", m.recorded_checksum);
    w.field("started_at", m.started_at).field("finished_at", m.finished_at);
    w.field("logs", m.logs).field("resumable", m.resumable);
    if (!m.steps.empty()) {
      w.key("steps").begin_array();
      for (const auto &s : m.steps)
        w.begin_object()
            .field("line", s.line)
            .field("column", s.column)
            .field("transactional", s.transactional)
            .field("sql", s.sql)
            .end_object();
      w.end_array();
    }
    w.end_object();
  }
  w.end_array();
  auto number = [&](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", v);
    w.raw(buf);
  };
  w.key("applied").begin_array();
  for (const auto &a : applied) {
    w.begin_object().field("name", a.name).field("steps", static_cast<std::uint64_t>(a.steps));
    w.key("elapsed_ms");
    number(a.elapsed_ms);
    w.field("resumed", a.resumed).end_object();
  }
  w.end_array();
  w.key("resolved").begin_array();
  for (const auto &r : resolved) w.value(r);
  w.end_array();
  w.key("warnings").begin_array();
  for (const auto &r : warnings) w.value(r);
  w.end_array();
  if (failure) {
    const auto &f = *failure;
    w.key("failure").begin_object();
    w.field("migration", f.migration).field("file", f.file);
    w.field("line", f.line).field("column", f.column);
    w.field("sqlstate", f.sqlstate).field("message", f.message);
    w.field("rolled_back", f.rolled_back);
    w.field("steps_done", static_cast<std::uint64_t>(f.steps_done));
    w.field("resolve_command", f.resolve_command);
    w.end_object();
  }
  w.key("elapsed_ms");
  number(elapsed_ms);
  return w.end_object().take();
}

}  // namespace v1
}  // namespace dbsafe
