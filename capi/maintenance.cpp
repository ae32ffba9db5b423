// The read-only window of the C ABI (c/maintenance.h): options as a JSON
// object, the report as a JSON document.
#include <simdjson.h>

#include <string>

#include "capi/internal.hpp"
#include "dbsafe/maintenance.hpp"

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

}  // namespace

extern "C" {

int dbsafe_maintenance(dbsafe_buf *out_report_json, const char *options_json,
                       const dbsafe_call_options *call, dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  dbsafe::capi::require_empty_buf(out_report_json, "out_report_json");
  dbsafe::MaintenanceOptions o;
  dom::parser parser;
  dom::object obj;
  bool any = dbsafe::capi::parse_options_object(options_json, parser, obj);
  if (!any || obj["action"].error())
    bad_option("\"action\" is required: \"on\", \"off\" or \"status\"");
  for (auto [key, value] : obj) {
    std::string k(key);
    if (k == "action") {
      auto a = text(value, k);
      if (a == "on")
        o.action = dbsafe::MaintenanceAction::On;
      else if (a == "off")
        o.action = dbsafe::MaintenanceAction::Off;
      else if (a == "status")
        o.action = dbsafe::MaintenanceAction::Status;
      else
        bad_option("action must be \"on\", \"off\" or \"status\", not \"" + a + "\"");
    } else if (k == "database_url") {
      o.database_url = text(value, k);
    } else if (k == "terminate_writers") {
      o.terminate_writers = flag(value, k);
    } else if (k == "actor") {
      o.actor = text(value, k);
    } else {
      bad_option("unknown option \"" + k + "\"");
    }
  }
  auto call_options = dbsafe::capi::to_call_options(call);
  dbsafe::capi::fill_buf(out_report_json, dbsafe::maintenance(o, call_options).to_json());
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

}  // extern "C"
