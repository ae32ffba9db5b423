// The backup calls of the C ABI (c/backup.h): options as JSON objects,
// reports as JSON documents.
#include <simdjson.h>

#include <string>

#include "capi/internal.hpp"
#include "dbsafe/backup.hpp"

namespace {

using dbsafe::capi::bad_option;
namespace dom = simdjson::dom;

using dbsafe::capi::each_option;
using dbsafe::capi::option_count;
using dbsafe::capi::option_flag;
using dbsafe::capi::option_text;

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
      o.dir = option_text(v, k);
    else if (k == "database_url")
      o.database_url = option_text(v, k);
    else if (k == "format")
      o.format = option_text(v, k);
    else if (k == "name")
      o.name = option_text(v, k);
    else if (k == "compression")
      o.compression = option_count(v, k, 9);
    else if (k == "pg_bindir")
      o.pg_bindir = option_text(v, k);
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
      o.file = option_text(v, k);
    else if (k == "dir")
      o.dir = option_text(v, k);
    else if (k == "test_restore")
      o.test_restore = option_flag(v, k);
    else if (k == "shadow_database_url")
      o.shadow_database_url = option_text(v, k);
    else if (k == "server_url")
      o.server_url = option_text(v, k);
    else if (k == "pg_bindir")
      o.pg_bindir = option_text(v, k);
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
      o.file = option_text(v, k);
    else if (k == "database_url")
      o.database_url = option_text(v, k);
    else if (k == "confirm")
      o.confirm = option_text(v, k);
    else if (k == "clean")
      o.clean = option_flag(v, k);
    else if (k == "safety_backup_dir")
      o.safety_backup_dir = option_text(v, k);
    else if (k == "no_owner")
      o.no_owner = option_flag(v, k);
    else if (k == "pg_bindir")
      o.pg_bindir = option_text(v, k);
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
      o.dir = option_text(v, k);
    else if (k == "keep_days")
      o.keep_days = option_count(v, k, 100000);
    else if (k == "keep_min")
      o.keep_min = option_count(v, k, 100000);
    else if (k == "dry_run")
      o.dry_run = option_flag(v, k);
    else
      return false;
    return true;
  });
  auto call_options = dbsafe::capi::to_call_options(call);
  return finish(out_report_json, dbsafe::prune_backups(o, call_options));
  DBSAFE_CAPI_END(out_err)
}

}  // extern "C"
