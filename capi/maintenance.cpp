// The read-only window of the C ABI (c/maintenance.h): options as a JSON
// object, the report as a JSON document.
#include <simdjson.h>

#include <string>

#include "capi/internal.hpp"
#include "dbsafe/maintenance.hpp"

namespace {

using dbsafe::capi::bad_option;
using dbsafe::capi::each_option;
using dbsafe::capi::option_flag;
using dbsafe::capi::option_text;
namespace dom = simdjson::dom;

}  // namespace

extern "C" {

int dbsafe_maintenance(dbsafe_buf *out_report_json, const char *options_json,
                       const dbsafe_call_options *call, dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  dbsafe::capi::require_empty_buf(out_report_json, "out_report_json");
  dbsafe::MaintenanceOptions o;
  each_option(
      options_json, {"action"},
      [&](const std::string &k, dom::element v) {
        if (k == "action") {
          auto a = option_text(v, k);
          if (a == "on")
            o.action = dbsafe::MaintenanceAction::On;
          else if (a == "off")
            o.action = dbsafe::MaintenanceAction::Off;
          else if (a == "status")
            o.action = dbsafe::MaintenanceAction::Status;
          else
            bad_option("action must be \"on\", \"off\" or \"status\", not \"" + a + "\"");
        } else if (k == "database_url") {
          o.database_url = option_text(v, k);
        } else if (k == "terminate_writers") {
          o.terminate_writers = option_flag(v, k);
        } else if (k == "actor") {
          o.actor = option_text(v, k);
        } else {
          return false;
        }
        return true;
      },
      "\"action\" is required: \"on\", \"off\" or \"status\"");
  auto call_options = dbsafe::capi::to_call_options(call);
  dbsafe::capi::fill_buf(out_report_json, dbsafe::maintenance(o, call_options).to_json());
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

}  // extern "C"
