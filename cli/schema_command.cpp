// `dbsafe drift`, `dbsafe diff`, `dbsafe schema dump | render` and
// `dbsafe verify`.
#include "cli/schema_command.hpp"

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/exit_codes.hpp"
#include "cli/interrupt.hpp"
#include "dbsafe/schema.hpp"

namespace dbsafe::cli {

namespace {

const std::vector<std::string> kLayouts = {"auto",   "prisma", "plain",
                                           "flyway", "dbmate", "golang-migrate"};

// The flags that say how a model is built: which schemas, how migrations
// are replayed, which objects were renamed.
struct ModelArgs {
  std::vector<std::string> schemas, exclude_schemas;
  bool include_history = false;
  std::string shadow_database_url;
  std::string cache_dir;
  std::string server_url;
  std::string schema;
  std::string mode = "safe";
  std::string layout = "auto";
  std::vector<std::string> renames;
  int pg_version = 0;
  bool quiet = false;
};

void add_filter_flags(CLI::App *cmd, ModelArgs &a) {
  cmd->add_option("--schemas", a.schemas,
                  "only these schemas (comma-separated; default: all but PostgreSQL's own)")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_option("--exclude-schemas", a.exclude_schemas,
                  "leave these schemas out (comma-separated)")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_flag("--include-history", a.include_history,
                "keep _prisma_migrations and the dbsafe schema in the model");
  cmd->add_flag("-q,--quiet", a.quiet, "no log lines on stderr");
}

// `server_flag`: whether the command may create its shadow database on a
// server it names with --server-url (diff and render; drift and verify use
// the database they check).
void add_model_flags(CLI::App *cmd, ModelArgs &a, bool server_flag) {
  add_filter_flags(cmd, a);
  cmd->add_option("--shadow-database-url", a.shadow_database_url,
                  "an empty database to replay migrations on (default: a temporary database "
                  "on the server when its role may create one, else a throwaway cluster)");
  if (server_flag)
    cmd->add_option("--server-url", a.server_url,
                    "create the temporary shadow database on this server");
  cmd->add_option("--schema", a.schema,
                  "the schema the migrations run in (default: the URL's schema parameter, else "
                  "public)");
  cmd->add_option("--mode", a.mode, "how migrations are replayed: safe (default) or prisma")
      ->check(CLI::IsMember({"safe", "prisma"}));
  cmd->add_option("--layout", a.layout, "migration layout")->check(CLI::IsMember(kLayouts));
  cmd->add_option("--cache-dir", a.cache_dir,
                  "keep replayed schemas here and reuse them while the migrations are unchanged "
                  "(default: DBSAFE_CACHE_DIR; none: always replay)");
  cmd->add_option("--rename", a.renames,
                  "an object that was renamed, so it is renamed rather than dropped and added: "
                  "'table s.Old=s.New' or 'column s.Table.old=new' (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--pg-version", a.pg_version,
                  "PostgreSQL major version the SQL is classified for (default 15)")
      ->check(CLI::Range(9, 30));
}

DiffOptions to_diff_options(const ModelArgs &a) {
  DiffOptions o;
  o.filter.include = a.schemas;
  o.filter.exclude = a.exclude_schemas;
  o.filter.include_history = a.include_history;
  o.shadow.shadow_database_url = a.shadow_database_url;
  o.shadow.server_url = a.server_url;
  o.shadow.schema = a.schema;
  o.shadow.mode = a.mode == "prisma" ? Runner::Prisma : Runner::Safe;
  o.shadow.source.layout = *layout_from_name(a.layout);
  o.shadow.cache_dir = a.cache_dir;
  if (o.shadow.cache_dir.empty())
    if (const char *env = std::getenv("DBSAFE_CACHE_DIR")) o.shadow.cache_dir = env;
  for (const auto &spec : a.renames) o.renames.push_back(RenameHint::parse(spec));
  if (a.pg_version != 0) o.check.pg_version = a.pg_version;
  return o;
}

// Log lines go to stderr, so stdout holds only the result (`--format sql`
// output can be piped to `psql -f -`).
CallOptions call_options(bool quiet, std::shared_ptr<CancelToken> cancel) {
  CallOptions call;
  call.cancel = std::move(cancel);
  call.log = [quiet](LogLevel level, std::string_view component, std::string_view message) {
    if (quiet || level < LogLevel::Info) return;
    if (component == "postgres" && level < LogLevel::Warning) return;
    std::cerr << "dbsafe: " << message << "\n";
  };
  return call;
}

// Runs one command with Ctrl-C cancelling it; a library error is printed
// and mapped to its exit code.
template <typename Fn>
int run_command(bool quiet, Fn &&fn) {
  auto cancel = std::make_shared<CancelToken>();
  InterruptScope interrupts(cancel);
  try {
    return fn(call_options(quiet, cancel));
  } catch (const Error &e) {
    std::cerr << "dbsafe: error: " << e.message() << "\n";
    return exit_code_for(e.code());
  }
}

// The flag's value, else the first of `variables` set in the environment.
std::string database_url(const std::string &flag, const std::vector<const char *> &variables,
                         const std::string &flag_name) {
  if (!flag.empty()) return flag;
  std::string names;
  for (const char *name : variables) {
    const char *value = std::getenv(name);
    if (value != nullptr && *value != '\0') return value;
    names += names.empty() ? name : std::string(" or ") + name;
  }
  throw Error(ErrorCode::Invalid, "no database: pass " + flag_name + " URL or set " + names);
}

void print_report(std::ostream &out, const DiffReport &r, const std::string &format) {
  if (format == "json") {
    out << r.to_json() << "\n";
  } else if (format == "markdown") {
    out << r.to_markdown();
  } else if (format == "sql") {
    out << r.sql();  // nothing at all when there is no change: a no-op for psql
  } else {
    out << r.to_text();
  }
  out.flush();
}

SchemaFormat schema_format(const std::string &format) {
  return format == "json" ? SchemaFormat::Json : SchemaFormat::Sql;
}

struct DriftArgs {
  ModelArgs model;
  std::string database_url;
  std::string migrations = "prisma/migrations";
  std::string format = "text";
};

void add_drift(CLI::App &app, std::ostream &out, int &exit_code) {
  auto a = std::make_shared<DriftArgs>();
  auto *cmd = app.add_subcommand(
      "drift",
      "compare the live database with what its migrations produce (exit 0 none, 1 drift); "
      "prints the SQL that brings the database back to the migrations");
  cmd->add_option("--database-url", a->database_url,
                  "the database to check (default: DIRECT_URL, else DATABASE_URL)");
  cmd->add_option("--migrations", a->migrations,
                  "migration directory (default: prisma/migrations, like Prisma)");
  cmd->add_option("--format", a->format,
                  "text (default), sql (only the reconcile SQL, for psql -f), json or markdown")
      ->check(CLI::IsMember({"text", "sql", "json", "markdown"}));
  add_model_flags(cmd, a->model, false);
  cmd->callback([a, &out, &exit_code] {
    exit_code = run_command(a->model.quiet, [&](const CallOptions &call) {
      auto url = database_url(a->database_url, {"DIRECT_URL", "DATABASE_URL"}, "--database-url");
      auto report = drift(url, a->migrations, to_diff_options(a->model), call);
      print_report(out, report, a->format);
      return report.empty() ? kExitOk : kExitFound;
    });
  });
}

struct DiffArgs {
  ModelArgs model;
  std::string from, to;
  std::string format = "sql";
  bool exit_zero = false;
};

void add_diff(CLI::App &app, std::ostream &out, int &exit_code) {
  auto a = std::make_shared<DiffArgs>();
  auto *cmd = app.add_subcommand(
      "diff",
      "the SQL that turns one schema into another (exit 0 no changes, 1 changes). A source is "
      "url:postgresql://... (or a bare URL), migrations:DIR, empty, or a saved JSON model "
      "(file:PATH or PATH.json)");
  cmd->add_option("--from", a->from, "the schema to start from")->required();
  cmd->add_option("--to", a->to, "the schema to arrive at")->required();
  cmd->add_option("--format", a->format, "sql (default), json, markdown or text")
      ->check(CLI::IsMember({"sql", "json", "markdown", "text"}));
  cmd->add_flag("--exit-zero", a->exit_zero, "exit 0 when the diff succeeds, changes or not");
  add_model_flags(cmd, a->model, true);
  cmd->callback([a, &out, &exit_code] {
    exit_code = run_command(a->model.quiet, [&](const CallOptions &call) {
      auto from = SchemaSource::parse(a->from);
      auto to = SchemaSource::parse(a->to);
      auto report = schema_diff(from, to, to_diff_options(a->model), call);
      print_report(out, report, a->format);
      return report.empty() || a->exit_zero ? kExitOk : kExitFound;
    });
  });
}

struct SchemaArgs {
  ModelArgs model;
  std::string target;  // dump: URL; render: source
  std::string format = "sql";
};

void add_schema(CLI::App &app, std::ostream &out, int &exit_code) {
  auto *schema = app.add_subcommand("schema", "read a schema model and write it as DDL or JSON");
  schema->require_subcommand(1);

  auto dump_args = std::make_shared<SchemaArgs>();
  auto *dump = schema->add_subcommand(
      "dump", "introspect a live database (read-only; a pooler is fine) and write its schema");
  dump->add_option("url", dump_args->target, "the database (default: DATABASE_URL)");
  dump->add_option("--format", dump_args->format, "sql (DDL, default) or json (the model)")
      ->check(CLI::IsMember({"sql", "json"}));
  add_filter_flags(dump, dump_args->model);
  dump->callback([a = dump_args, &out, &exit_code] {
    exit_code = run_command(a->model.quiet, [&](const CallOptions &call) {
      auto url = database_url(a->target, {"DATABASE_URL"}, "the URL argument");
      auto filter = to_diff_options(a->model).filter;
      out << schema_dump(url, schema_format(a->format), filter, call);
      if (a->format == "json") out << "\n";
      out.flush();
      return kExitOk;
    });
  });

  auto render_args = std::make_shared<SchemaArgs>();
  auto *render = schema->add_subcommand(
      "render",
      "load a model from any source (migrations:DIR, a saved JSON model, a URL) and write it");
  render->add_option("source", render_args->target, "the source, as `dbsafe diff` takes it")
      ->required();
  render->add_option("--format", render_args->format, "sql (DDL, default) or json (the model)")
      ->check(CLI::IsMember({"sql", "json"}));
  add_model_flags(render, render_args->model, true);
  render->callback([a = render_args, &out, &exit_code] {
    exit_code = run_command(a->model.quiet, [&](const CallOptions &call) {
      auto source = SchemaSource::parse(a->target);
      out << schema_render(source, schema_format(a->format), to_diff_options(a->model), call);
      if (a->format == "json") out << "\n";
      out.flush();
      return kExitOk;
    });
  });
}

void add_verify(CLI::App &app, std::ostream &out, int &exit_code) {
  auto a = std::make_shared<DriftArgs>();
  auto *cmd = app.add_subcommand(
      "verify",
      "after a deploy: every table, index and constraint the migrations define is present and "
      "valid (exit 0 ok, 1 problems)");
  cmd->add_option("--database-url", a->database_url,
                  "the database to verify (default: DIRECT_URL, else DATABASE_URL)");
  cmd->add_option("--migrations", a->migrations,
                  "migration directory (default: prisma/migrations, like Prisma)");
  cmd->add_option("--format", a->format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  add_model_flags(cmd, a->model, false);
  cmd->callback([a, &out, &exit_code] {
    exit_code = run_command(a->model.quiet, [&](const CallOptions &call) {
      auto url = database_url(a->database_url, {"DIRECT_URL", "DATABASE_URL"}, "--database-url");
      auto report = verify(url, a->migrations, to_diff_options(a->model), call);
      if (a->format == "json")
        out << report.to_json() << "\n";
      else
        out << report.to_text();
      out.flush();
      return report.ok() ? kExitOk : kExitFound;
    });
  });
}

}  // namespace

void add_schema_commands(CLI::App &app, std::ostream &out, int &exit_code) {
  add_drift(app, out, exit_code);
  add_diff(app, out, exit_code);
  add_schema(app, out, exit_code);
  add_verify(app, out, exit_code);
}

}  // namespace dbsafe::cli
