// The backup calls of the C ABI (c/backup.h): options as JSON objects,
// reports as JSON documents.
#include <simdjson.h>

#include <string>

#include "capi/internal.hpp"
#include "dbsafe/backup.hpp"

namespace {

using dbsafe::capi::bad_option;
namespace dom = simdjson::dom;

std::string text(dom::element v, const std::string &key) {
  std::string_view s;
  if (v.get_string().get(s)) bad_option(key + " must be a string");
  return std::string(s);
}

bool flag(dom::element v, const std::string &key) {
  bool b;
  if (v.get_bool().get(b)) bad_option(key + " must be true or false");
  return b;
}

int small_count(dom::element v, const std::string &key, std::int64_t max) {
  std::int64_t n;
  if (v.get_int64().get(n) || n < 0 || n > max)
    bad_option(key + " must be an integer from 0 to " + std::to_string(max));
  return static_cast<int>(n);
}

// Hands each key of the options object to `fn`, which returns false for a
// key it does not know; `required` keys must be present.
template <typename Fn>
void each_option(const char *json, std::initializer_list<const char *> required, Fn &&fn) {
  dom::parser parser;
  dom::object obj;
  bool any = dbsafe::capi::parse_options_object(json, parser, obj);
  for (const char *key : required)
    if (!any || obj[key].error()) bad_option(std::string("\"") + key + "\" is required");
  if (!any) return;
  for (auto [key, value] : obj) {
    std::string k(key);
    if (!fn(k, value)) bad_option("unknown option \"" + k + "\"");
  }
}

template <typename Report>
int finish(dbsafe_buf *out, const Report &report) {
  dbsafe::capi::fill_buf(out, report.to_json());
  return DBSAFE_OK;
}

}  // namespace

extern "C" {

int dbsafe_backup_create(dbsafe_buf *out_report_json, const char *options_json,
                         const dbsafe_call_options *call, dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  dbsafe::capi::require_empty_buf(out_report_json, "out_report_json");
  dbsafe::BackupCreateOptions o;
  each_option(options_json, {"dir"}, [&](const std::string &k, dom::element v) {
    if (k == "dir")
      o.dir = text(v, k);
    else if (k == "database_url")
      o.database_url = text(v, k);
    else if (k == "format")
      o.format = text(v, k);
    else if (k == "name")
      o.name = text(v, k);
    else if (k == "compression")
      o.compression = small_count(v, k, 9);
    else if (k == "pg_bindir")
      o.pg_bindir = text(v, k);
    else
      return false;
    return true;
  });
  auto call_options = dbsafe::capi::to_call_options(call);
  return finish(out_report_json, dbsafe::create_backup(o, call_options));
  DBSAFE_CAPI_END(out_err)
}

int dbsafe_backup_verify(dbsafe_buf *out_report_json, const char *options_json,
                         const dbsafe_call_options *call, dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  dbsafe::capi::require_empty_buf(out_report_json, "out_report_json");
  dbsafe::BackupVerifyOptions o;
  each_option(options_json, {}, [&](const std::string &k, dom::element v) {
    if (k == "file")
      o.file = text(v, k);
    else if (k == "dir")
      o.dir = text(v, k);
    else if (k == "test_restore")
      o.test_restore = flag(v, k);
    else if (k == "shadow_database_url")
      o.shadow_database_url = text(v, k);
    else if (k == "server_url")
      o.server_url = text(v, k);
    else if (k == "pg_bindir")
      o.pg_bindir = text(v, k);
    else
      return false;
    return true;
  });
  if (o.file.empty() && o.dir.empty())
    bad_option("pass \"file\" (a backup) or \"dir\" (to verify the newest backup there)");
  auto call_options = dbsafe::capi::to_call_options(call);
  return finish(out_report_json, dbsafe::verify_backup(o, call_options));
  DBSAFE_CAPI_END(out_err)
}

int dbsafe_backup_restore(dbsafe_buf *out_report_json, const char *options_json,
                          const dbsafe_call_options *call, dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  dbsafe::capi::require_empty_buf(out_report_json, "out_report_json");
  dbsafe::BackupRestoreOptions o;
  each_option(options_json, {"file"}, [&](const std::string &k, dom::element v) {
    if (k == "file")
      o.file = text(v, k);
    else if (k == "database_url")
      o.database_url = text(v, k);
    else if (k == "confirm")
      o.confirm = text(v, k);
    else if (k == "clean")
      o.clean = flag(v, k);
    else if (k == "safety_backup_dir")
      o.safety_backup_dir = text(v, k);
    else if (k == "no_owner")
      o.no_owner = flag(v, k);
    else if (k == "pg_bindir")
      o.pg_bindir = text(v, k);
    else
      return false;
    return true;
  });
  auto call_options = dbsafe::capi::to_call_options(call);
  return finish(out_report_json, dbsafe::restore_backup(o, call_options));
  DBSAFE_CAPI_END(out_err)
}

int dbsafe_backup_prune(dbsafe_buf *out_report_json, const char *options_json,
                        const dbsafe_call_options *call, dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  dbsafe::capi::require_empty_buf(out_report_json, "out_report_json");
  dbsafe::BackupPruneOptions o;
  each_option(options_json, {"dir", "keep_days"}, [&](const std::string &k, dom::element v) {
    if (k == "dir")
      o.dir = text(v, k);
    else if (k == "keep_days")
      o.keep_days = small_count(v, k, 100000);
    else if (k == "keep_min")
      o.keep_min = small_count(v, k, 100000);
    else if (k == "dry_run")
      o.dry_run = flag(v, k);
    else
      return false;
    return true;
  });
  auto call_options = dbsafe::capi::to_call_options(call);
  return finish(out_report_json, dbsafe::prune_backups(o, call_options));
  DBSAFE_CAPI_END(out_err)
}

}  // extern "C"
