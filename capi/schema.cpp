#include <simdjson.h>

#include <string>
#include <vector>

#include "capi/internal.hpp"
#include "dbsafe/schema.hpp"

namespace {

using dbsafe::Error;
using dbsafe::ErrorCode;

using dbsafe::capi::bad_option;
using dbsafe::capi::require_text;

// The keys every schema call takes that pick the schemas of a model.
bool filter_option(dbsafe::SchemaFilter &f, const std::string &k, simdjson::dom::element value) {
  if (k == "schemas") {
    f.include = dbsafe::capi::option_strings(value, k);
  } else if (k == "exclude_schemas") {
    f.exclude = dbsafe::capi::option_strings(value, k);
  } else if (k == "include_history") {
    bool b;
    if (value.get_bool().get(b)) bad_option("include_history must be true or false");
    f.include_history = b;
  } else {
    return false;
  }
  return true;
}

// The options document of dump, render, diff, drift and verify (c/schema.h).
// One document for all five, so a binding can pass the same options to each;
// dump reads only the filter.
dbsafe::DiffOptions parse_diff_options(const char *json) {
  dbsafe::DiffOptions o;
  dbsafe::capi::each_option(json, {}, [&](const std::string &k, simdjson::dom::element value) {
    std::string_view s;
    int64_t i;
    if (filter_option(o.filter, k, value)) return true;
    if (k == "shadow_database_url") {
      if (value.get_string().get(s)) bad_option("shadow_database_url must be a string");
      o.shadow.shadow_database_url = std::string(s);
    } else if (k == "server_url") {
      if (value.get_string().get(s)) bad_option("server_url must be a string");
      o.shadow.server_url = std::string(s);
    } else if (k == "schema") {
      if (value.get_string().get(s)) bad_option("schema must be a string");
      o.shadow.schema = std::string(s);
    } else if (k == "mode") {
      if (value.get_string().get(s) || (s != "safe" && s != "prisma"))
        bad_option("mode must be \"safe\" or \"prisma\"");
      o.shadow.mode = s == "safe" ? dbsafe::Runner::Safe : dbsafe::Runner::Prisma;
    } else if (k == "layout") {
      o.shadow.source.layout = dbsafe::capi::layout_option(value);
    } else if (k == "cache_dir") {
      if (value.get_string().get(s)) bad_option("cache_dir must be a string");
      o.shadow.cache_dir = std::string(s);
    } else if (k == "renames") {
      for (const auto &spec : dbsafe::capi::option_strings(value, k)) {
        try {
          o.renames.push_back(dbsafe::RenameHint::parse(spec));
        } catch (const Error &e) {
          bad_option("renames: " + e.message());
        }
      }
    } else if (k == "pg_version") {
      if (value.get_int64().get(i) || i < 9 || i > 99)
        bad_option("pg_version must be a PostgreSQL major version such as 15");
      o.check.pg_version = static_cast<int>(i);
    } else {
      return false;
    }
    return true;
  });
  return o;
}

// migrate baseline from a database: the filter, "migration_name" and the
// migrate options of c/migrate.h ("schema" is _prisma_migrations' schema).
dbsafe::BaselineFromDatabaseOptions parse_baseline_options(const char *json) {
  dbsafe::BaselineFromDatabaseOptions o;
  dbsafe::capi::each_option(json, {}, [&](const std::string &k, simdjson::dom::element value) {
    std::string_view s;
    if (filter_option(o.filter, k, value)) return true;
    if (k == "migration_name") {
      if (value.get_string().get(s)) bad_option("migration_name must be a string");
      o.migration_name = std::string(s);
      return true;
    }
    return dbsafe::capi::migrate_option(o.migrate, k, value);
  });
  return o;
}

dbsafe::SchemaFormat schema_format(int format) {
  if (format == DBSAFE_SCHEMA_SQL) return dbsafe::SchemaFormat::Sql;
  if (format == DBSAFE_SCHEMA_JSON) return dbsafe::SchemaFormat::Json;
  throw Error(ErrorCode::Invalid, "format is " + std::to_string(format) +
                                      "; pass DBSAFE_SCHEMA_SQL or DBSAFE_SCHEMA_JSON");
}

dbsafe::SchemaSource source_argument(const char *spec, const char *what) {
  return dbsafe::SchemaSource::parse(
      require_text(spec, what,
                   "pass \"url:postgresql://...\", \"migrations:DIR\", \"empty\" or a saved model "
                   "(\"file:PATH\" or a .json path)"));
}

// drift and verify: a live database against a migration directory.
struct LiveAgainstMigrations {
  std::string database_url;
  std::string migrations_dir;
  dbsafe::DiffOptions options;
  dbsafe::CallOptions call;
};

LiveAgainstMigrations live_against_migrations(const char *database_url, const char *migrations_dir,
                                              const char *options_json,
                                              const dbsafe_call_options *call) {
  LiveAgainstMigrations args;
  args.database_url =
      require_text(database_url, "database_url", "pass the PostgreSQL URL of the database");
  args.migrations_dir =
      require_text(migrations_dir, "migrations_dir", "pass the migration directory");
  args.options = parse_diff_options(options_json);
  args.call = dbsafe::capi::to_call_options(call);
  return args;
}

}  // namespace

extern "C" {

int dbsafe_schema_dump(dbsafe_buf *out, const char *database_url, int format,
                       const char *options_json, const dbsafe_call_options *call,
                       dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  dbsafe::capi::require_empty_buf(out, "out");
  auto url = require_text(database_url, "database_url", "pass the PostgreSQL URL to dump");
  auto fmt = schema_format(format);
  auto options = parse_diff_options(options_json);
  auto call_options = dbsafe::capi::to_call_options(call);
  dbsafe::capi::fill_buf(out, dbsafe::schema_dump(url, fmt, options.filter, call_options));
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

int dbsafe_schema_render(dbsafe_buf *out, const char *source, int format, const char *options_json,
                         const dbsafe_call_options *call, dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  dbsafe::capi::require_empty_buf(out, "out");
  auto from = source_argument(source, "source");
  auto fmt = schema_format(format);
  auto options = parse_diff_options(options_json);
  auto call_options = dbsafe::capi::to_call_options(call);
  dbsafe::capi::fill_buf(out, dbsafe::schema_render(from, fmt, options, call_options));
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

int dbsafe_schema_diff(dbsafe_buf *out_report_json, const char *from, const char *to,
                       const char *options_json, const dbsafe_call_options *call,
                       dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  dbsafe::capi::require_empty_buf(out_report_json, "out_report_json");
  auto source = source_argument(from, "from");
  auto target = source_argument(to, "to");
  auto options = parse_diff_options(options_json);
  auto call_options = dbsafe::capi::to_call_options(call);
  auto report = dbsafe::schema_diff(source, target, options, call_options);
  dbsafe::capi::fill_buf(out_report_json, report.to_json());
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

int dbsafe_drift(dbsafe_buf *out_report_json, const char *database_url, const char *migrations_dir,
                 const char *options_json, const dbsafe_call_options *call,
                 dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  dbsafe::capi::require_empty_buf(out_report_json, "out_report_json");
  auto args = live_against_migrations(database_url, migrations_dir, options_json, call);
  auto report = dbsafe::drift(args.database_url, args.migrations_dir, args.options, args.call);
  dbsafe::capi::fill_buf(out_report_json, report.to_json());
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

int dbsafe_verify(dbsafe_buf *out_report_json, const char *database_url, const char *migrations_dir,
                  const char *options_json, const dbsafe_call_options *call,
                  dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  dbsafe::capi::require_empty_buf(out_report_json, "out_report_json");
  auto args = live_against_migrations(database_url, migrations_dir, options_json, call);
  auto report = dbsafe::verify(args.database_url, args.migrations_dir, args.options, args.call);
  dbsafe::capi::fill_buf(out_report_json, report.to_json());
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

int dbsafe_migrate_baseline_from_database(dbsafe_buf *out_report_json, const char *migrations_dir,
                                          const char *options_json, const dbsafe_call_options *call,
                                          dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  dbsafe::capi::require_empty_buf(out_report_json, "out_report_json");
  auto dir = require_text(migrations_dir, "migrations_dir",
                          "pass the migration directory to write the baseline into");
  auto options = parse_baseline_options(options_json);
  auto call_options = dbsafe::capi::to_call_options(call);
  auto report = dbsafe::migrate_baseline_from_database(dir, options, call_options);
  dbsafe::capi::fill_buf(out_report_json, report.to_json());
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

}  // extern "C"
