#include <simdjson.h>

#include <cstring>

#include "capi/internal.hpp"
#include "dbsafe/migrate.hpp"

namespace {

using dbsafe::Error;
using dbsafe::ErrorCode;

using dbsafe::capi::bad_option;
using dbsafe::capi::require_text;

std::chrono::milliseconds millis(simdjson::dom::element value, const std::string &key) {
  int64_t i;
  if (value.get_int64().get(i) || i < 0) bad_option(key + " must be a non-negative integer");
  return std::chrono::milliseconds(i);
}

}  // namespace

namespace dbsafe::capi {

bool migrate_option(dbsafe::MigrateOptions &o, const std::string &k, simdjson::dom::element value,
                    bool deploy) {
  std::string_view s;
  bool b;
  int64_t i;
  if (k == "database_url") {
    if (value.get_string().get(s)) bad_option("database_url must be a string");
    o.database_url = std::string(s);
  } else if (k == "mode") {
    if (value.get_string().get(s) || (s != "safe" && s != "prisma"))
      bad_option("mode must be \"safe\" or \"prisma\"");
    o.mode = s == "safe" ? dbsafe::Runner::Safe : dbsafe::Runner::Prisma;
  } else if (k == "schema") {
    if (value.get_string().get(s)) bad_option("schema must be a string");
    o.schema = std::string(s);
  } else if (k == "layout") {
    o.source.layout = dbsafe::capi::layout_option(value);
  } else if (k == "lock_timeout_ms") {
    o.lock_timeout = millis(value, k);
  } else if (k == "statement_timeout_ms") {
    o.statement_timeout = millis(value, k);
  } else if (k == "lock_retries") {
    if (value.get_int64().get(i) || i < 0 || i > 100)
      bad_option("lock_retries must be an integer from 0 to 100");
    o.lock_retries = static_cast<int>(i);
  } else if (k == "lock_retry_backoff_ms") {
    o.lock_retry_backoff = millis(value, k);
  } else if (k == "advisory_lock_timeout_ms") {
    o.advisory_lock_timeout = millis(value, k);
  } else if (k == "connect_retry_ms") {
    o.connect_retry_budget = millis(value, k);
  } else if (k == "dry_run" && !deploy) {
    bad_option("dry_run applies to deploy only");
  } else if (k == "allow_modified" || k == "dry_run") {
    if (value.get_bool().get(b)) bad_option(k + " must be true or false");
    (k == "allow_modified" ? o.allow_modified : o.dry_run) = b;
  } else if (k == "migrations") {
    simdjson::dom::object per;
    if (value.get_object().get(per)) bad_option("migrations must be an object");
    for (auto [name, t] : per) {
      simdjson::dom::object fields;
      std::string where = "migrations." + std::string(name);
      if (t.get_object().get(fields)) bad_option(where + " must be an object");
      dbsafe::MigrationTimeouts timeouts;
      for (auto [field, v] : fields) {
        if (field == "lock_timeout_ms")
          timeouts.lock_timeout = millis(v, where + ".lock_timeout_ms");
        else if (field == "statement_timeout_ms")
          timeouts.statement_timeout = millis(v, where + ".statement_timeout_ms");
        else
          bad_option("unknown option \"" + where + "." + std::string(field) + "\"");
      }
      o.migration_timeouts[std::string(name)] = timeouts;
    }
  } else {
    return false;
  }
  return true;
}

}  // namespace dbsafe::capi

namespace {

// The options document of the migrate calls (documented in c/migrate.h).
dbsafe::MigrateOptions parse_options(const char *json, bool deploy = false) {
  dbsafe::MigrateOptions o;
  dbsafe::capi::each_option(json, {}, [&](const std::string &k, simdjson::dom::element value) {
    return dbsafe::capi::migrate_option(o, k, value, deploy);
  });
  return o;
}

// status and deploy: a directory and options in, the report out.
int run_on_directory(dbsafe_buf *out_report_json, const char *migrations_dir,
                     const char *options_json, const dbsafe_call_options *call, bool deploy) {
  dbsafe::capi::require_empty_buf(out_report_json, "out_report_json");
  auto dir = require_text(migrations_dir, "migrations_dir", "pass the migration directory");
  auto options = parse_options(options_json, deploy);
  auto call_options = dbsafe::capi::to_call_options(call);
  auto report = deploy ? dbsafe::migrate_deploy(dir, options, call_options)
                       : dbsafe::migrate_status(dir, options, call_options);
  dbsafe::capi::fill_buf(out_report_json, report.to_json());
  return DBSAFE_OK;
}

}  // namespace

extern "C" {

int dbsafe_migrate_status(dbsafe_buf *out_report_json, const char *migrations_dir,
                          const char *options_json, const dbsafe_call_options *call,
                          dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  return run_on_directory(out_report_json, migrations_dir, options_json, call, false);
  DBSAFE_CAPI_END(out_err)
}

int dbsafe_migrate_deploy(dbsafe_buf *out_report_json, const char *migrations_dir,
                          const char *options_json, const dbsafe_call_options *call,
                          dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  return run_on_directory(out_report_json, migrations_dir, options_json, call, true);
  DBSAFE_CAPI_END(out_err)
}

int dbsafe_migrate_resolve(dbsafe_buf *out_report_json, const char *migrations_dir,
                           const char *migration_name, int action, const char *options_json,
                           const dbsafe_call_options *call, dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  dbsafe::capi::require_empty_buf(out_report_json, "out_report_json");
  auto dir = require_text(migrations_dir, "migrations_dir", "pass the migration directory");
  auto name = require_text(migration_name, "migration_name", "pass the migration to resolve");
  if (action != DBSAFE_RESOLVE_APPLIED && action != DBSAFE_RESOLVE_ROLLED_BACK)
    throw Error(ErrorCode::Invalid, "action is " + std::to_string(action) +
                                        "; pass DBSAFE_RESOLVE_APPLIED or "
                                        "DBSAFE_RESOLVE_ROLLED_BACK");
  auto options = parse_options(options_json);
  auto report =
      dbsafe::migrate_resolve(dir, name,
                              action == DBSAFE_RESOLVE_APPLIED ? dbsafe::ResolveAction::Applied
                                                               : dbsafe::ResolveAction::RolledBack,
                              options, dbsafe::capi::to_call_options(call));
  dbsafe::capi::fill_buf(out_report_json, report.to_json());
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

int dbsafe_migrate_baseline(dbsafe_buf *out_report_json, const char *migrations_dir,
                            const char *migration_name, const char *options_json,
                            const dbsafe_call_options *call, dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  dbsafe::capi::require_empty_buf(out_report_json, "out_report_json");
  auto dir = require_text(migrations_dir, "migrations_dir", "pass the migration directory");
  auto name = require_text(migration_name, "migration_name",
                           "pass the last migration the database already has");
  auto options = parse_options(options_json);
  auto report = dbsafe::migrate_baseline(dir, name, options, dbsafe::capi::to_call_options(call));
  dbsafe::capi::fill_buf(out_report_json, report.to_json());
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

}  // extern "C"
