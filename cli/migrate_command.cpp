// `dbsafe migrate deploy | status | resolve | baseline`: the runner alone,
// named like Prisma's `migrate` verbs (docs/migrate.md).
#include "cli/migrate_command.hpp"

#include <simdjson.h>
#include <unistd.h>

#include <iostream>
#include <memory>

#include "cli/exit_codes.hpp"
#include "cli/interrupt.hpp"
#include "dbsafe/migrate.hpp"
#include "dbsafe/schema.hpp"

namespace dbsafe::cli {

namespace {

struct MigrateArgs {
  std::string migrations = "prisma/migrations";
  std::string database_url;
  std::string mode = "safe";
  std::string format = "text";
  std::string schema;
  std::string layout = "auto";
  long lock_timeout_ms = 5000;
  long statement_timeout_ms = -1;
  int lock_retries = 3;
  long advisory_lock_timeout_ms = 60000;
  long connect_retry_ms = 20000;
  bool allow_modified = false;
  bool dry_run = false;
  bool quiet = false;
  std::string applied, rolled_back;  // resolve
  std::string baseline_name;
  // baseline --from-url: the database whose schema becomes the baseline.
  std::string from_url;
  std::string baseline_dir_name;  // --name
  std::vector<std::string> schemas, exclude_schemas;
};

MigrateOptions to_options(const MigrateArgs &a) {
  MigrateOptions o;
  o.database_url = a.database_url;
  o.mode = a.mode == "prisma" ? Runner::Prisma : Runner::Safe;
  o.schema = a.schema;
  o.source.layout = *layout_from_name(a.layout);
  o.lock_timeout = std::chrono::milliseconds(a.lock_timeout_ms);
  if (a.statement_timeout_ms >= 0)
    o.statement_timeout = std::chrono::milliseconds(a.statement_timeout_ms);
  o.lock_retries = a.lock_retries;
  o.advisory_lock_timeout = std::chrono::milliseconds(a.advisory_lock_timeout_ms);
  o.connect_retry_budget = std::chrono::milliseconds(a.connect_retry_ms);
  o.allow_modified = a.allow_modified;
  o.dry_run = a.dry_run;
  return o;
}

// Progress on a terminal: one line per migration with its time.
CallOptions call_options(const MigrateArgs &a, std::shared_ptr<CancelToken> cancel) {
  CallOptions call;
  call.cancel = std::move(cancel);
  bool tty = isatty(STDERR_FILENO) && a.format == "text" && !a.quiet;
  call.log = [quiet = a.quiet](LogLevel level, std::string_view component,
                               std::string_view message) {
    if (quiet || level < LogLevel::Info) return;
    if (component == "postgres" && level < LogLevel::Warning) return;
    std::cerr << "dbsafe: " << message << "\n";
  };
  if (tty) {
    call.progress = [](std::string_view event_json) {
      simdjson::dom::parser parser;
      simdjson::dom::element e;
      if (parser.parse(event_json.data(), event_json.size()).get(e)) return true;
      std::string_view kind, name;
      if (e["event"].get(kind) || e["migration"].get(name)) return true;
      if (kind == "migration-start") {
        int64_t index = 0, total = 0;
        if (e["index"].get(index) || e["total"].get(total)) return true;
        std::cerr << "  [" << index << "/" << total << "] " << name << " … " << std::flush;
      } else if (kind == "migration-finish") {
        double ms = 0;
        if (e["elapsed_ms"].get(ms)) return true;
        std::cerr << "done in " << static_cast<long>(ms) << " ms\n";
      }
      return true;
    };
  }
  return call;
}

const char *state_label(MigrationState s) {
  switch (s) {
    case MigrationState::Applied:
      return "applied";
    case MigrationState::Pending:
      return "pending";
    case MigrationState::Failed:
      return "FAILED";
    case MigrationState::Modified:
      return "MODIFIED";
    case MigrationState::Missing:
      return "MISSING";
    case MigrationState::OutOfOrder:
      return "pending (out of order)";
  }
  return "?";
}

void print_text(std::ostream &out, const MigrateReport &r) {
  const auto &plan = r.plan;
  if (r.command == "status" || r.dry_run) {
    out << plan.migrations.size() << " migrations in " << plan.root << "; history "
        << plan.history_table << (plan.history_exists ? "" : " (not created yet)") << "\n";
    for (const auto &m : plan.migrations) {
      if (m.state == MigrationState::Applied && r.command == "status" && !r.dry_run) continue;
      out << "  " << state_label(m.state) << "  " << m.name << "\n";
      for (const auto &s : m.steps) {
        out << "      step at line " << s.line
            << (s.transactional ? ", in a transaction" : ", outside any transaction") << ":\n";
        // The SQL indented under its step, trailing blank lines dropped.
        std::string_view sql = s.sql;
        while (!sql.empty() && (sql.back() == '\n' || sql.back() == ' ')) sql.remove_suffix(1);
        std::size_t pos = 0;
        while (pos <= sql.size()) {
          auto nl = sql.find('\n', pos);
          out << "        " << sql.substr(pos, nl == std::string_view::npos ? nl : nl - pos)
              << "\n";
          if (nl == std::string_view::npos) break;
          pos = nl + 1;
        }
      }
    }
  }
  if (r.command == "deploy" && !r.dry_run) {
    if (r.applied.empty())
      out << "No pending migrations to apply.\n";
    else {
      out << "Applied " << r.applied.size() << " migration" << (r.applied.size() == 1 ? "" : "s")
          << " in " << static_cast<long>(r.elapsed_ms) << " ms ("
          << (r.mode == Runner::Safe ? "safe" : "prisma") << " mode).\n";
    }
  }
  if (r.command == "resolve" || r.command == "baseline") {
    for (const auto &n : r.resolved)
      out << "Recorded " << n
          << (r.command == "baseline" ? " as applied (baseline)" : " as resolved") << ".\n";
    if (r.resolved.empty()) out << "Nothing to record: every migration up to it is applied.\n";
  }
  auto pending = plan.count(MigrationState::Pending) + plan.count(MigrationState::OutOfOrder);
  if (r.command == "status") {
    int code = plan.status_code();
    if (code == 0)
      out << "Database schema is up to date: " << plan.count(MigrationState::Applied)
          << " migrations applied.\n";
    else if (code == 1)
      out << pending << " migration" << (pending == 1 ? "" : "s")
          << " not yet applied. Run `dbsafe migrate deploy`.\n";
    else
      out << "The history needs a person first: see the warnings below.\n";
  }
  for (const auto &w : r.warnings) std::cerr << "dbsafe: warning: " << w << "\n";
}

int finish(const MigrateArgs &a, const MigrateReport &r, int exit_code) {
  if (a.format == "json")
    std::cout << r.to_json() << "\n";
  else
    print_text(std::cout, r);
  return exit_code;
}

// Runs a migrate verb with the shared error handling: a failed deploy
// prints its report (JSON) or its message, and maps to the exit codes.
template <typename Fn>
int run_verb(const MigrateArgs &a, Fn &&fn) {
  auto cancel = std::make_shared<CancelToken>();
  InterruptScope interrupts(cancel);
  auto call = call_options(a, cancel);
  try {
    return fn(to_options(a), call);
  } catch (const Error &e) {
    if (a.format == "json" && e.detail_json() != "{}") std::cout << e.detail_json() << "\n";
    std::cerr << "dbsafe: error: " << e.message() << "\n";
    return exit_code_for(e.code());
  }
}

void add_common(CLI::App *cmd, MigrateArgs &a) {
  cmd->add_option("--migrations", a.migrations,
                  "migration directory (default: prisma/migrations, like Prisma)");
  cmd->add_option("--database-url", a.database_url,
                  "PostgreSQL URL (default: DIRECT_URL, else DATABASE_URL)");
  cmd->add_option("--schema", a.schema,
                  "schema of _prisma_migrations (default: the URL's schema parameter, else "
                  "public)");
  cmd->add_option("--format", a.format, "output: text or json")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--layout", a.layout, "migration layout")
      ->check(CLI::IsMember({"auto", "prisma", "plain", "flyway", "dbmate", "golang-migrate"}));
  cmd->add_option("--connect-retry-ms", a.connect_retry_ms,
                  "keep retrying a refused connection this long (a waking Neon compute)");
  cmd->add_option("--advisory-lock-timeout-ms", a.advisory_lock_timeout_ms,
                  "wait this long for another deploy's migration lock");
  cmd->add_flag("-q,--quiet", a.quiet, "no progress or log lines");
}

}  // namespace

void add_migrate_command(CLI::App &app, std::ostream &, int &exit_code) {
  auto a = std::make_shared<MigrateArgs>();
  auto *migrate = app.add_subcommand(
      "migrate", "apply and inspect migrations, interchangeable with Prisma Migrate");
  migrate->require_subcommand(1);

  auto *deploy = migrate->add_subcommand("deploy", "apply every pending migration, in order");
  add_common(deploy, *a);
  deploy
      ->add_option("--mode", a->mode,
                   "safe: each file in a transaction, non-transactional statements apart "
                   "(default); prisma: each file as one query, like Prisma")
      ->check(CLI::IsMember({"safe", "prisma"}));
  deploy->add_option("--lock-timeout-ms", a->lock_timeout_ms, "lock_timeout per statement");
  deploy->add_option("--statement-timeout-ms", a->statement_timeout_ms,
                     "statement_timeout per statement (default: the server's)");
  deploy->add_option("--lock-retries", a->lock_retries,
                     "retries of a statement that hit lock_timeout");
  deploy->add_flag("--allow-modified", a->allow_modified,
                   "deploy although an applied migration's file changed");
  deploy->add_flag("--dry-run", a->dry_run, "print the plan and the SQL; change nothing");
  deploy->callback([a, &exit_code] {
    exit_code = run_verb(*a, [&](const MigrateOptions &o, const CallOptions &call) {
      auto r = migrate_deploy(a->migrations, o, call);
      return finish(*a, r, r.dry_run ? r.plan.status_code() == 1 ? kExitFound : kExitOk : kExitOk);
    });
  });

  auto *status = migrate->add_subcommand(
      "status",
      "compare the history with the directory (exit 0 up to date, 1 pending, 2 "
      "failed, modified or missing)");
  add_common(status, *a);
  status->callback([a, &exit_code] {
    exit_code = run_verb(*a, [&](const MigrateOptions &o, const CallOptions &call) {
      auto r = migrate_status(a->migrations, o, call);
      return finish(*a, r, r.plan.status_code());
    });
  });

  auto *resolve = migrate->add_subcommand(
      "resolve", "record a failed migration as rolled back, or a migration as applied");
  add_common(resolve, *a);
  auto *applied =
      resolve->add_option("--applied", a->applied, "record NAME as applied without running it");
  auto *rolled = resolve->add_option("--rolled-back", a->rolled_back,
                                     "record the failed migration NAME as rolled back");
  applied->excludes(rolled);
  resolve->callback([a, &exit_code] {
    if (a->applied.empty() == a->rolled_back.empty())
      throw CLI::ValidationError("resolve", "pass --applied NAME or --rolled-back NAME");
    exit_code = run_verb(*a, [&](const MigrateOptions &o, const CallOptions &call) {
      auto r =
          a->applied.empty()
              ? migrate_resolve(a->migrations, a->rolled_back, ResolveAction::RolledBack, o, call)
              : migrate_resolve(a->migrations, a->applied, ResolveAction::Applied, o, call);
      return finish(*a, r, kExitOk);
    });
  });

  auto *baseline = migrate->add_subcommand(
      "baseline",
      "record every migration up to NAME as applied without running it (adopt a database), "
      "or with --from-url write the database's schema as a new baseline migration and record "
      "it");
  add_common(baseline, *a);
  auto *name_arg =
      baseline->add_option("name", a->baseline_name, "the last migration the database already has");
  auto *from_url = baseline->add_option(
      "--from-url", a->from_url,
      "the database to baseline: its schema is written to <migrations>/<name>/migration.sql "
      "and recorded as applied there");
  baseline
      ->add_option("--name", a->baseline_dir_name,
                   "with --from-url: the migration's directory name (default "
                   "<UTC yyyymmddHHMMSS>_baseline)")
      ->needs(from_url);
  baseline
      ->add_option("--schemas", a->schemas, "with --from-url: only these schemas (comma-separated)")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->needs(from_url);
  baseline
      ->add_option("--exclude-schemas", a->exclude_schemas,
                   "with --from-url: leave these schemas out (comma-separated)")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->needs(from_url);
  name_arg->excludes(from_url);
  baseline->callback([a, &exit_code] {
    if (a->baseline_name.empty() && a->from_url.empty())
      throw CLI::ValidationError("baseline",
                                 "pass NAME (the last migration the database has) or --from-url "
                                 "URL (write the database's schema as the baseline)");
    if (!a->from_url.empty() && !a->database_url.empty() && a->database_url != a->from_url)
      throw CLI::ValidationError("baseline",
                                 "--from-url names the database to baseline; leave out "
                                 "--database-url or give it the same URL");
    exit_code = run_verb(*a, [&](const MigrateOptions &o, const CallOptions &call) {
      if (a->from_url.empty()) {
        auto r = migrate_baseline(a->migrations, a->baseline_name, o, call);
        return finish(*a, r, kExitOk);
      }
      BaselineFromDatabaseOptions options;
      options.migrate = o;
      options.migrate.database_url = a->from_url;
      options.migration_name = a->baseline_dir_name;
      options.filter.include = a->schemas;
      options.filter.exclude = a->exclude_schemas;
      auto r = migrate_baseline_from_database(a->migrations, options, call);
      if (a->format != "json")
        for (const auto &name : r.resolved)
          std::cout << "Wrote " << r.plan.root << "/" << name << "/migration.sql from the "
                    << "database's schema.\n";
      return finish(*a, r, kExitOk);
    });
  });
}

}  // namespace dbsafe::cli
