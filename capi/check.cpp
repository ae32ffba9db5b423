#include <simdjson.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "capi/internal.hpp"
#include "dbsafe/check.hpp"

namespace {

using dbsafe::Error;
using dbsafe::ErrorCode;

using dbsafe::capi::bad_option;

dbsafe::Level level_of(std::string_view v, const std::string &where) {
  auto level = dbsafe::level_from_name(v);
  if (!level) bad_option(where + " must be \"off\", \"info\", \"warning\" or \"error\"");
  return *level;
}

// The options document of dbsafe_check (documented in c/check.h).
// "database_url" is returned apart: its stats are read with the call's
// cancel token and deadline.
dbsafe::CheckOptions parse_options(const char *json, std::string *database_url = nullptr) {
  dbsafe::CheckOptions o;
  dbsafe::capi::each_option(json, {}, [&](const std::string &k, simdjson::dom::element value) {
    std::string_view s;
    int64_t i;
    double d;
    if (k == "pg_version") {
      if (value.get_int64().get(i)) bad_option("pg_version must be an integer");
      o.pg_version = static_cast<int>(i);
    } else if (k == "runner") {
      if (value.get_string().get(s) || (s != "safe" && s != "prisma"))
        bad_option("runner must be \"safe\" or \"prisma\"");
      o.runner = s == "safe" ? dbsafe::Runner::Safe : dbsafe::Runner::Prisma;
    } else if (k == "fail_on") {
      if (value.get_string().get(s)) bad_option("fail_on must be a string");
      o.fail_on = level_of(s, "fail_on");
    } else if (k == "rules") {
      simdjson::dom::object rules;
      if (value.get_object().get(rules)) bad_option("rules must be an object");
      for (auto [id, level] : rules) {
        if (level.get_string().get(s)) bad_option("rules values must be strings");
        o.rule_levels[std::string(id)] = level_of(s, "rules." + std::string(id));
      }
    } else if (k == "enable") {
      o.enable = dbsafe::capi::option_strings(value, k);
    } else if (k == "only_migrations") {
      o.only_migrations = dbsafe::capi::option_strings(value, k);
    } else if (k == "config") {
      if (value.get_string().get(s)) bad_option("config must be a path");
      o.config_path = std::string(s);
    } else if (k == "stats") {
      o.stats = dbsafe::Stats::from_json(simdjson::to_string(value));
    } else if (k == "database_url") {
      if (value.get_string().get(s)) bad_option("database_url must be a string");
      if (database_url == nullptr) bad_option("database_url is not accepted here");
      *database_url = std::string(s);
    } else if (k == "stats_file") {
      if (value.get_string().get(s)) bad_option("stats_file must be a path");
      std::ifstream in{std::string(s), std::ios::binary};
      if (!in) throw Error(ErrorCode::NotFound, std::string(s) + ": cannot read the stats file");
      std::ostringstream text;
      text << in.rdbuf();
      o.stats = dbsafe::Stats::from_json(text.str());
    } else if (k == "layout") {
      o.source.layout = dbsafe::capi::layout_option(value);
    } else if (k == "max_file_bytes") {
      if (value.get_int64().get(i) || i <= 0) bad_option("max_file_bytes must be positive");
      o.source.max_file_bytes = static_cast<uint64_t>(i);
    } else if (k == "large_table_rows") {
      if (value.get_double().get(d)) bad_option("large_table_rows must be a number");
      o.large_table_rows = d;
    } else if (k == "large_table_bytes") {
      if (value.get_int64().get(i)) bad_option("large_table_bytes must be an integer");
      o.large_table_bytes = i;
    } else {
      return false;
    }
    return true;
  });
  return o;
}

}  // namespace

extern "C" {

int dbsafe_check(dbsafe_buf *out_report_json, const char *const *paths, size_t n_paths,
                 const char *options_json, const dbsafe_call_options *call,
                 dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  dbsafe::capi::require_empty_buf(out_report_json, "out_report_json");
  if (paths == nullptr || n_paths == 0)
    throw Error(ErrorCode::Invalid, "no paths; pass at least one migration directory or .sql file");
  std::vector<std::string> list;
  for (size_t i = 0; i < n_paths; ++i) {
    if (paths[i] == nullptr)
      throw Error(ErrorCode::Invalid, "paths[" + std::to_string(i) + "] is NULL");
    list.emplace_back(paths[i]);
  }
  std::string database_url;
  auto options = parse_options(options_json, &database_url);
  auto call_options = dbsafe::capi::to_call_options(call);
  if (!database_url.empty()) options.stats = dbsafe::collect_stats(database_url, call_options);
  auto report = dbsafe::check(list, options, call_options);
  dbsafe::capi::fill_buf(out_report_json, report.to_json());
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

int dbsafe_check_sql(dbsafe_buf *out_report_json, const char *sql, size_t len, const char *name,
                     const char *options_json, dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  dbsafe::capi::require_empty_buf(out_report_json, "out_report_json");
  if (sql == nullptr) throw Error(ErrorCode::Invalid, "sql is NULL");
  auto options = parse_options(options_json);
  auto report = dbsafe::check_sql(std::string_view(sql, len), name ? name : "<sql>", options);
  dbsafe::capi::fill_buf(out_report_json, report.to_json());
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

int dbsafe_stats_collect(dbsafe_buf *out_stats_json, const char *database_url,
                         const dbsafe_call_options *call, dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  dbsafe::capi::require_empty_buf(out_stats_json, "out_stats_json");
  if (database_url == nullptr || *database_url == '\0')
    throw Error(ErrorCode::Invalid, "database_url is empty; pass a PostgreSQL connection URL");
  auto call_options = dbsafe::capi::to_call_options(call);
  dbsafe::capi::fill_buf(out_stats_json,
                         dbsafe::collect_stats(database_url, call_options).to_json());
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

}  // extern "C"
