#include <simdjson.h>

#include <string>
#include <vector>

#include "capi/internal.hpp"
#include "dbsafe/deploy.hpp"

namespace {

using dbsafe::capi::bad_option;
using dbsafe::capi::each_option;
using dbsafe::capi::option_flag;
using dbsafe::capi::option_text;

// The options document of dbsafe_deploy (c/deploy.h).
dbsafe::DeployOptions parse_options(const char *json) {
  dbsafe::DeployOptions o;
  // No document: no target either, which only a Vercel build may leave out.
  each_option(json, {}, [&](const std::string &k, simdjson::dom::element value) {
    if (k == "target" || k == "config" || k == "seed_command") {
      (k == "target"   ? o.target
       : k == "config" ? o.config_path
                       : o.seed_command) = option_text(value, k);
    } else if (k == "dry_run" || k == "approve") {
      (k == "dry_run" ? o.dry_run : o.approve) = option_flag(value, k);
    } else if (k == "approved_by") {
      o.approved_by = dbsafe::capi::option_strings(value, k);
    } else {
      return false;
    }
    return true;
  });
  return o;
}

// The options document of dbsafe_restore (c/deploy.h).
dbsafe::RestoreTargetOptions parse_restore_options(const char *json) {
  dbsafe::RestoreTargetOptions o;
  const char *required =
      "\"target\" and \"from\" are required: the NAME of a [targets.NAME] table of dbsafe.toml "
      "and a snapshot's name or id (or an RFC 3339 time)";
  each_option(
      json, {"target", "from"},
      [&](const std::string &k, simdjson::dom::element value) {
        if (k == "target" || k == "config" || k == "from" || k == "confirm") {
          (k == "target"   ? o.target
           : k == "config" ? o.config_path
           : k == "from"   ? o.from
                           : o.confirm) = option_text(value, k);
        } else if (k == "dry_run" || k == "reapply" || k == "safety_snapshot" ||
                   k == "maintenance") {
          (k == "dry_run"       ? o.dry_run
           : k == "reapply"     ? o.reapply
           : k == "maintenance" ? o.maintenance
                                : o.safety_snapshot) = option_flag(value, k);
        } else if (k == "approved_by") {
          o.approved_by = dbsafe::capi::option_strings(value, k);
        } else {
          return false;
        }
        return true;
      },
      required);
  if (o.target.empty() || o.from.empty()) bad_option(required);
  return o;
}

}  // namespace

extern "C" {

int dbsafe_restore(dbsafe_buf *out_report_json, const char *options_json,
                   const dbsafe_call_options *call, dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  dbsafe::capi::require_empty_buf(out_report_json, "out_report_json");
  auto options = parse_restore_options(options_json);
  auto call_options = dbsafe::capi::to_call_options(call);
  auto report = dbsafe::restore_target(options, call_options);
  dbsafe::capi::fill_buf(out_report_json, report.to_json());
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

int dbsafe_deploy(dbsafe_buf *out_report_json, const char *options_json,
                  const dbsafe_call_options *call, dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  dbsafe::capi::require_empty_buf(out_report_json, "out_report_json");
  auto options = parse_options(options_json);
  auto call_options = dbsafe::capi::to_call_options(call);
  auto report = dbsafe::deploy(options, call_options);
  dbsafe::capi::fill_buf(out_report_json, report.to_json());
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

}  // extern "C"
