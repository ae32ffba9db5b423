// dbsafe_copy (c/copy.h): options as a JSON object, the report as JSON.
#include <simdjson.h>

#include <string>

#include "capi/internal.hpp"
#include "dbsafe/copy.hpp"

namespace {

using dbsafe::capi::bad_option;
using dbsafe::capi::each_option;
using dbsafe::capi::option_flag;
using dbsafe::capi::option_text;
namespace dom = simdjson::dom;

}  // namespace

extern "C" {

int dbsafe_copy(dbsafe_buf *out_report_json, const char *options_json,
                const dbsafe_call_options *call, dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  dbsafe::capi::require_empty_buf(out_report_json, "out_report_json");
  dbsafe::CopyOptions o;
  each_option(
      options_json, {"from"},
      [&](const std::string &k, dom::element v) {
        if (k == "from") {
          o.from = option_text(v, k);
        } else if (k == "to") {
          o.to = option_text(v, k);
        } else if (k == "tables") {
          dom::array list;
          if (v.get_array().get(list)) bad_option("tables must be an array of table names");
          for (dom::element t : list) o.tables.push_back(option_text(t, "each of tables"));
        } else if (k == "mapping") {
          o.mapping_file = option_text(v, k);
        } else if (k == "dry_run") {
          o.dry_run = option_flag(v, k);
        } else if (k == "truncate") {
          o.truncate = option_flag(v, k);
        } else if (k == "confirm") {
          o.confirm = option_text(v, k);
        } else if (k == "single_transaction") {
          o.single_transaction = option_flag(v, k);
        } else if (k == "verify") {
          o.verify = option_flag(v, k);
        } else {
          return false;
        }
        return true;
      },
      "\"from\" is required (sqlite:PATH)");
  auto call_options = dbsafe::capi::to_call_options(call);
  dbsafe::capi::fill_buf(out_report_json, dbsafe::copy_sqlite(o, call_options).to_json());
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

}  // extern "C"
