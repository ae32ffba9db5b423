// The public schema API: dump, render, diff, drift, verify, and a baseline
// taken from a live database.
#include <simdjson.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "dbsafe/schema.hpp"
#include "drift/diff.hpp"
#include "drift/drift.hpp"
#include "drift/shadow.hpp"
#include "pg/connection.hpp"
#include "schema/model.hpp"
#include "util/json_writer.hpp"

namespace dbsafe {
inline namespace v1 {

namespace fs = std::filesystem;

namespace {

constexpr int kReportSchemaVersion = 1;

bool starts_with(const std::string &s, std::string_view prefix) {
  return s.rfind(prefix, 0) == 0;
}

bool ends_with(const std::string &s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

double millis_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

std::string read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(ErrorCode::NotFound, path + ": cannot read the schema model file").with_file(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The schema a URL's Prisma `schema` parameter names, or "".
std::string url_schema(const std::string &url) {
  if (url.empty()) return {};
  return pg::parse_target(url).schema;
}

ShadowOptions shadow_for(const DiffOptions &options, const std::string &server_url) {
  ShadowOptions s = options.shadow;
  if (s.server_url.empty()) s.server_url = server_url;
  if (s.schema.empty()) s.schema = url_schema(server_url);
  return s;
}

schema::Model load(const SchemaSource &source, const DiffOptions &options,
                   const SchemaFilter &filter, const CallOptions &call, const CallContext &ctx) {
  switch (source.kind) {
    case SchemaSource::Kind::Empty:
      return schema::empty_model();
    case SchemaSource::Kind::File:
      return schema::from_json(read_file(source.location), source.location);
    case SchemaSource::Kind::Url:
      return schema::introspect(source.location, filter, ctx);
    case SchemaSource::Kind::Migrations:
      return diff::replay_migrations(source.location,
                                     shadow_for(options, options.shadow.server_url), filter, call);
  }
  return {};
}

std::string render(const schema::Model &model, SchemaFormat format) {
  return format == SchemaFormat::Json ? schema::to_json(model) : schema::render_sql(model);
}

// The schemas a drift or verify looks at: the user's list, else those the
// migrations create plus the URL's schema (never the rest of a shared
// database, which the migrations do not own).
SchemaFilter scope(const SchemaFilter &user, const schema::Model &expected,
                   const std::string &url) {
  if (!user.include.empty()) return user;
  SchemaFilter f = user;
  for (const auto &s : expected.schemas) f.include.push_back(s.name);
  std::string s = url_schema(url);
  f.include.push_back(s.empty() ? "public" : s);
  return f;
}

DiffReport make_report(const schema::Model &from, const schema::Model &to,
                       const DiffOptions &options) {
  DiffReport report;
  auto result = diff::diff_models(from, to, options.renames);
  report.changes = std::move(result.changes);
  report.warnings = std::move(result.warnings);
  // Definitions are compared as each server prints them; another major
  // version may print the same object differently.
  if (from.server_version_num && to.server_version_num &&
      from.server_version_num / 10000 != to.server_version_num / 10000)
    report.warnings.push_back(
        "the two sides come from PostgreSQL " + std::to_string(from.server_version_num / 10000) +
        " and " + std::to_string(to.server_version_num / 10000) +
        "; definitions may differ only in how each version prints them "
        "(give a shadow server of the same version with --shadow-database-url)");
  std::string sql = report.sql();
  if (!sql.empty()) {
    CheckOptions check = options.check;
    check.config_path = "-";
    report.check = check_sql(sql, "reconcile", check);
  }
  return report;
}

void markdown_escape_cell(std::string &out, const std::string &text) {
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
}

}  // namespace

// --- sources and hints -----------------------------------------------------

SchemaSource SchemaSource::parse(const std::string &spec) {
  SchemaSource s;
  if (spec == "empty") return s;
  if (starts_with(spec, "url:")) {
    s.kind = Kind::Url;
    s.location = spec.substr(4);
  } else if (starts_with(spec, "postgres://") || starts_with(spec, "postgresql://")) {
    s.kind = Kind::Url;
    s.location = spec;
  } else if (starts_with(spec, "migrations:")) {
    s.kind = Kind::Migrations;
    s.location = spec.substr(11);
  } else if (starts_with(spec, "file:")) {
    s.kind = Kind::File;
    s.location = spec.substr(5);
  } else if (ends_with(spec, ".json")) {
    s.kind = Kind::File;
    s.location = spec;
  } else {
    throw Error(ErrorCode::Invalid,
                "schema source \"" + pg::redact(spec) +
                    "\" is not one of url:URL, migrations:DIR, empty, or a .json model "
                    "file (file:PATH)");
  }
  if (s.location.empty())
    throw Error(ErrorCode::Invalid,
                "schema source \"" + pg::redact(spec) + "\" names nothing after the colon");
  return s;
}

std::string SchemaSource::describe() const {
  switch (kind) {
    case Kind::Empty:
      return "empty";
    case Kind::Url:
      return "url:" + pg::redact(location);
    case Kind::Migrations:
      return "migrations:" + location;
    case Kind::File:
      return "file:" + location;
  }
  return {};
}

RenameHint RenameHint::parse(const std::string &spec) {
  RenameHint h;
  std::string rest;
  if (starts_with(spec, "table ")) {
    h.kind = Kind::Table;
    rest = spec.substr(6);
  } else if (starts_with(spec, "column ")) {
    h.kind = Kind::Column;
    rest = spec.substr(7);
  } else {
    throw Error(ErrorCode::Invalid,
                "rename hint \"" + spec +
                    "\": write \"table schema.old=schema.new\" or \"column schema.table.old=new\"");
  }
  auto eq = rest.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == rest.size())
    throw Error(ErrorCode::Invalid, "rename hint \"" + spec + "\" needs old=new");
  h.from = rest.substr(0, eq);
  h.to = rest.substr(eq + 1);
  std::size_t dots = std::count(h.from.begin(), h.from.end(), '.');
  if ((h.kind == Kind::Table && dots != 1) || (h.kind == Kind::Column && dots != 2))
    throw Error(ErrorCode::Invalid,
                "rename hint \"" + spec + "\": the old name must be qualified (" +
                    (h.kind == Kind::Table ? "schema.table" : "schema.table.column") + ")");
  return h;
}

// --- reports -----------------------------------------------------------------

std::string DiffReport::sql() const {
  if (changes.empty()) return {};
  std::string out = "-- dbsafe: SQL that turns " + from + " into " + to + "\n";
  bool needs_autocommit = false;
  for (const auto &c : changes)
    for (const auto &s : c.sql)
      needs_autocommit = needs_autocommit || s.find(" ADD VALUE ") != std::string::npos;
  if (needs_autocommit)
    out +=
        "-- Adds enum values: run it statement by statement (psql -f), not in one transaction.\n";
  for (const auto &c : changes) {
    out += "\n-- " + c.description + (c.destructive ? " (destructive)" : "") + "\n";
    for (const auto &s : c.sql) out += s + "\n";
  }
  return out;
}

std::string DiffReport::to_json() const {
  util::JsonWriter w;
  std::size_t destructive = 0;
  for (const auto &c : changes) destructive += c.destructive;
  w.begin_object().field("schema_version", kReportSchemaVersion);
  w.field("kind", kind);
  w.field("from", from).field("to", to).field("drift", !changes.empty());
  w.key("changes").begin_array();
  for (const auto &c : changes) {
    w.begin_object()
        .field("action", c.action)
        .field("object_type", c.object_type)
        .field("object", c.object)
        .field("description", c.description);
    w.key("sql").begin_array();
    for (const auto &s : c.sql) w.value(s);
    w.end_array().field("destructive", c.destructive).end_object();
  }
  w.end_array().key("warnings").begin_array();
  for (const auto &s : warnings) w.value(s);
  w.end_array().field("sql", sql());
  // The findings of the check report over sql(), as check-report.v1 writes them.
  w.key("findings");
  std::string check_json = check.to_json();
  simdjson::dom::parser parser;
  simdjson::dom::element root, findings;
  if (!parser.parse(check_json).get(root) && !root["findings"].get(findings))
    w.raw(simdjson::minify(findings));
  else
    w.begin_array().end_array();
  w.key("summary")
      .begin_object()
      .field("changes", static_cast<std::uint64_t>(changes.size()))
      .field("destructive", static_cast<std::uint64_t>(destructive))
      .field("errors", static_cast<std::uint64_t>(check.summary.errors))
      .field("warnings", static_cast<std::uint64_t>(check.summary.warnings))
      .field("infos", static_cast<std::uint64_t>(check.summary.infos))
      .end_object();
  w.key("elapsed_ms").raw(std::to_string(static_cast<std::int64_t>(elapsed_ms)));
  w.end_object();
  return w.take();
}

std::string DiffReport::to_text() const {
  std::string out;
  if (changes.empty()) {
    out = "No differences: " + from + " matches " + to + ".\n";
  } else {
    std::size_t destructive = 0;
    for (const auto &c : changes) destructive += c.destructive;
    out = std::to_string(changes.size()) + " difference(s) between " + from + " and " + to;
    if (destructive) out += " (" + std::to_string(destructive) + " destructive)";
    out += ":\n";
    for (const auto &c : changes)
      out += "  " + std::string(c.destructive ? "! " : "- ") + c.description + "\n";
  }
  for (const auto &w : warnings) out += "warning: " + w + "\n";
  for (const auto &f : check.findings)
    out += std::string(level_name(f.level)) + " [" + f.rule + "] line " + std::to_string(f.line) +
           ": " + f.message + "\n";
  if (!changes.empty()) out += "\n" + sql();
  return out;
}

std::string DiffReport::to_markdown() const {
  std::string out = "### Schema " + std::string(kind == "drift" ? "drift" : "diff") + "\n\n";
  if (changes.empty()) return out + "No differences: `" + from + "` matches `" + to + "`.\n";
  out +=
      "From `" + from + "` to `" + to + "`: " + std::to_string(changes.size()) + " change(s).\n\n";
  out += "| | change | object |\n|---|---|---|\n";
  for (const auto &c : changes) {
    out += std::string("| ") + (c.destructive ? ":warning:" : "") + " | ";
    markdown_escape_cell(out, c.description);
    out += " | `";
    markdown_escape_cell(out, c.object);
    out += "` |\n";
  }
  if (!warnings.empty()) {
    out += "\n";
    for (const auto &w : warnings) out += "> **Warning:** " + w + "\n";
  }
  if (!check.findings.empty()) {
    out += "\n**Risk findings in this SQL**\n\n";
    for (const auto &f : check.findings)
      out += "- `" + f.rule + "` (" + level_name(f.level) + ", line " + std::to_string(f.line) +
             "): " + f.message + "\n";
  }
  out += "\n<details><summary>SQL</summary>\n\n```sql\n" + sql() + "```\n\n</details>\n";
  return out;
}

std::string VerifyReport::to_json() const {
  util::JsonWriter w;
  w.begin_object().field("schema_version", kReportSchemaVersion).field("ok", ok());
  w.key("checked")
      .begin_object()
      .field("tables", static_cast<std::uint64_t>(tables))
      .field("indexes", static_cast<std::uint64_t>(indexes))
      .field("foreign_keys", static_cast<std::uint64_t>(foreign_keys))
      .field("constraints", static_cast<std::uint64_t>(constraints))
      .end_object();
  w.key("problems").begin_array();
  for (const auto &p : problems)
    w.begin_object()
        .field("object_type", p.object_type)
        .field("object", p.object)
        .field("problem", p.problem)
        .field("detail", p.detail)
        .end_object();
  w.end_array();
  w.key("elapsed_ms").raw(std::to_string(static_cast<std::int64_t>(elapsed_ms)));
  w.end_object();
  return w.take();
}

std::string VerifyReport::to_text() const {
  std::string out = "Checked " + std::to_string(tables) + " tables, " + std::to_string(indexes) +
                    " indexes, " + std::to_string(foreign_keys) + " foreign keys and " +
                    std::to_string(constraints) + " other constraints: ";
  if (ok()) return out + "all present and valid.\n";
  out += std::to_string(problems.size()) + " problem(s).\n";
  for (const auto &p : problems)
    out += "  " + p.object_type + " " + p.object + ": " + p.problem +
           (p.detail.empty() ? "" : " (" + p.detail + ")") + "\n";
  return out;
}

// --- commands ----------------------------------------------------------------

std::string schema_dump(const std::string &database_url, SchemaFormat format,
                        const SchemaFilter &filter, const CallOptions &call) {
  CallContext ctx(call);
  SchemaFilter f = filter;
  if (f.include.empty() && !url_schema(database_url).empty())
    f.include.push_back(url_schema(database_url));
  return render(schema::introspect(database_url, f, ctx), format);
}

std::string schema_render(const SchemaSource &source, SchemaFormat format,
                          const DiffOptions &options, const CallOptions &call) {
  CallContext ctx(call);
  return render(load(source, options, options.filter, call, ctx), format);
}

DiffReport schema_diff(const SchemaSource &from, const SchemaSource &to, const DiffOptions &options,
                       const CallOptions &call) {
  auto start = std::chrono::steady_clock::now();
  CallContext ctx(call);
  auto a = load(from, options, options.filter, call, ctx);
  ctx.checkpoint();
  auto b = load(to, options, options.filter, call, ctx);
  DiffReport report = make_report(a, b, options);
  report.from = from.describe();
  report.to = to.describe();
  report.elapsed_ms = millis_since(start);
  return report;
}

namespace {

// What drift and verify compare: the live database and what its migrations
// produce, over the same schemas.
struct LiveAndExpected {
  schema::Model live, expected;
};

LiveAndExpected live_and_expected(const std::string &database_url,
                                  const std::string &migrations_dir, const DiffOptions &options,
                                  const CallOptions &call, const CallContext &ctx) {
  // Reach the database first: an unreachable one must fail fast (exit 4),
  // before minutes of replay, and never look like drift.
  pg::Connection::open(pg::parse_target(database_url).conninfo, ctx);
  LiveAndExpected out;
  out.expected = diff::replay_migrations(migrations_dir, shadow_for(options, database_url),
                                         options.filter, call);
  out.live =
      schema::introspect(database_url, scope(options.filter, out.expected, database_url), ctx);
  return out;
}

}  // namespace

namespace {

// Every object `expected` defines, present and valid in `live`.
VerifyReport verify_models(const schema::Model &live, const schema::Model &expected) {
  VerifyReport report;
  std::map<std::string, const schema::Table *> live_tables;
  for (const auto &t : live.tables) live_tables[t.key()] = &t;
  std::map<std::string, const schema::Index *> live_indexes;
  for (const auto &i : live.indexes) live_indexes[i.key()] = &i;
  for (const auto &t : expected.tables) {
    ++report.tables;
    auto lt = live_tables.find(t.key());
    for (const auto &c : t.constraints)
      (c.type == 'f' ? report.foreign_keys : report.constraints)++;
    if (lt == live_tables.end()) {
      report.problems.push_back({"table", t.key(), "missing", "the migrations create it"});
      continue;
    }
    for (const auto &c : t.constraints) {
      std::string type = c.type == 'f' ? "foreign key" : "constraint";
      const schema::Constraint *found = nullptr;
      for (const auto &lc : lt->second->constraints)
        if (lc.name == c.name) found = &lc;
      if (!found) {
        report.problems.push_back({type, t.key() + "." + c.name, "missing", c.definition});
      } else if (c.validated && !found->validated) {
        report.problems.push_back({type, t.key() + "." + c.name, "not valid",
                                   "left NOT VALID; run ALTER TABLE " +
                                       schema::quote(t.schema, t.name) + " VALIDATE CONSTRAINT " +
                                       schema::quote(c.name)});
      } else if (found->definition != c.definition &&
                 found->definition != c.definition + " NOT VALID" &&
                 found->definition + " NOT VALID" != c.definition) {
        report.problems.push_back({type, t.key() + "." + c.name, "different",
                                   "expected " + c.definition + ", found " + found->definition});
      }
    }
  }
  for (const auto &i : expected.indexes) {
    ++report.indexes;
    auto li = live_indexes.find(i.key());
    if (li == live_indexes.end()) {
      report.problems.push_back({"index", i.key(), "missing", i.definition});
    } else if (!li->second->valid) {
      report.problems.push_back(
          {"index", i.key(), "invalid",
           "INVALID (a failed CREATE INDEX CONCURRENTLY); drop it and create it again"});
    } else if (li->second->definition != i.definition) {
      report.problems.push_back({"index", i.key(), "different",
                                 "expected " + i.definition + ", found " + li->second->definition});
    }
  }
  std::set<std::string> expected_indexes;
  for (const auto &i : expected.indexes) expected_indexes.insert(i.key());
  for (const auto &i : live.indexes)
    if (!i.valid && !expected_indexes.count(i.key()))
      report.problems.push_back(
          {"index", i.key(), "invalid",
           "INVALID and not defined by the migrations (left by a failed build); drop it"});
  return report;
}

DiffReport drift_report(const schema::Model &live, const schema::Model &expected,
                        const std::string &database_url, const std::string &migrations_dir,
                        const DiffOptions &options) {
  DiffReport report = make_report(live, expected, options);
  report.kind = "drift";
  report.from = "database " + pg::redact(database_url);
  report.to = "migrations " + migrations_dir;
  return report;
}

}  // namespace

DiffReport drift(const std::string &database_url, const std::string &migrations_dir,
                 const DiffOptions &options, const CallOptions &call) {
  auto start = std::chrono::steady_clock::now();
  CallContext ctx(call);
  auto sides = live_and_expected(database_url, migrations_dir, options, call, ctx);
  DiffReport report =
      drift_report(sides.live, sides.expected, database_url, migrations_dir, options);
  report.elapsed_ms = millis_since(start);
  return report;
}

VerifyReport verify(const std::string &database_url, const std::string &migrations_dir,
                    const DiffOptions &options, const CallOptions &call) {
  auto start = std::chrono::steady_clock::now();
  CallContext ctx(call);
  auto [live, expected] = live_and_expected(database_url, migrations_dir, options, call, ctx);
  VerifyReport report = verify_models(live, expected);
  report.elapsed_ms = millis_since(start);
  return report;
}

MigrateReport migrate_baseline_from_database(const std::string &migrations_dir,
                                             const BaselineFromDatabaseOptions &options,
                                             const CallOptions &call) {
  CallContext ctx(call);
  std::string url = options.migrate.database_url;
  if (url.empty())
    for (const char *var : {"DIRECT_URL", "DATABASE_URL"})
      if (const char *v = std::getenv(var); v && *v) {
        url = v;
        break;
      }
  MigrateOptions migrate = options.migrate;
  migrate.database_url = url;
  std::error_code ec;
  fs::create_directories(migrations_dir, ec);
  if (ec)
    throw Error(ErrorCode::Io,
                migrations_dir + ": cannot create the migrations directory: " + ec.message());
  // Prisma (and dbsafe) recognise a migration directory by this file.
  fs::path lock = fs::path(migrations_dir) / "migration_lock.toml";
  if (!fs::exists(lock)) {
    std::ofstream out(lock, std::ios::binary);
    out << "# Written by dbsafe migrate baseline: Prisma reads the database provider here.\n"
           "provider = \"postgresql\"\n";
  }
  // Nothing on disk may be left unapplied: the baseline marks everything up
  // to it as applied, which would skip those migrations forever.
  auto status = migrate_status(migrations_dir, migrate, call);
  for (const auto &m : status.plan.migrations)
    if (m.state != MigrationState::Applied)
      throw Error(ErrorCode::State,
                  "migration " + m.name + " in " + migrations_dir + " is " +
                      migration_state_name(m.state) +
                      " on the database; a baseline must come after every migration on disk: "
                      "deploy or remove it first");
  std::string name = options.migration_name;
  if (name.empty()) {
    std::time_t now = std::time(nullptr);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", std::gmtime(&now));
    name = std::string(stamp) + "_baseline";
  }
  if (name.find('/') != std::string::npos || name == "." || name == "..")
    throw Error(ErrorCode::Invalid,
                "baseline name \"" + name + "\" must be a plain directory name");
  fs::path dir = fs::path(migrations_dir) / name;
  if (fs::exists(dir))
    throw Error(ErrorCode::Invalid, dir.string() + " already exists; choose another name");
  SchemaFilter f = options.filter;
  std::string s = migrate.schema.empty() ? url_schema(url) : migrate.schema;
  if (f.include.empty() && !s.empty()) f.include.push_back(s);
  auto model = schema::introspect(url, f, ctx);
  schema::RenderOptions render_options;
  std::string sql = schema::render_sql(model, render_options);
  fs::create_directories(dir, ec);
  if (ec) throw Error(ErrorCode::Io, dir.string() + ": cannot create: " + ec.message());
  fs::path file = dir / "migration.sql";
  {
    std::ofstream out(file, std::ios::binary);
    out << sql;
    if (!out) throw Error(ErrorCode::Io, file.string() + ": cannot write");
  }
  ctx.log(LogLevel::Info, "baseline", "wrote " + file.string() + " from the live schema");
  MigrateReport report = migrate_baseline(migrations_dir, name, migrate, call);
  report.command = "baseline";
  return report;
}

}  // namespace v1
}  // namespace dbsafe

namespace dbsafe::diff {

DriftAndVerify drift_and_verify(const std::string &database_url, const std::string &migrations_dir,
                                const DiffOptions &options, const CallOptions &call) {
  auto start = std::chrono::steady_clock::now();
  CallContext ctx(call);
  using namespace dbsafe::v1;
  auto [live, expected] = live_and_expected(database_url, migrations_dir, options, call, ctx);
  DriftAndVerify out;
  out.drift = drift_report(live, expected, database_url, migrations_dir, options);
  out.verify = verify_models(live, expected);
  out.drift.elapsed_ms = out.verify.elapsed_ms = millis_since(start);
  return out;
}

}  // namespace dbsafe::diff
