// dbsafe_copy (c/copy.h): options as a JSON object, the report as JSON.
#include <simdjson.h>

#include <string>

#include "capi/internal.hpp"
#include "dbsafe/copy.hpp"

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

int dbsafe_copy(dbsafe_buf *out_report_json, const char *options_json,
                const dbsafe_call_options *call, dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  dbsafe::capi::require_empty_buf(out_report_json, "out_report_json");
  dbsafe::CopyOptions o;
  dom::parser parser;
  dom::object obj;
  if (!dbsafe::capi::parse_options_object(options_json, parser, obj) || obj["from"].error())
    bad_option("\"from\" is required (sqlite:PATH)");
  for (auto [key, value] : obj) {
    std::string k(key);
    if (k == "from") {
      o.from = text(value, k);
    } else if (k == "to") {
      o.to = text(value, k);
    } else if (k == "tables") {
      dom::array list;
      if (value.get_array().get(list)) bad_option("tables must be an array of table names");
      for (dom::element t : list) o.tables.push_back(text(t, "each of tables"));
    } else if (k == "mapping") {
      o.mapping_file = text(value, k);
    } else if (k == "dry_run") {
      o.dry_run = flag(value, k);
    } else if (k == "truncate") {
      o.truncate = flag(value, k);
    } else if (k == "confirm") {
      o.confirm = text(value, k);
    } else if (k == "single_transaction") {
      o.single_transaction = flag(value, k);
    } else if (k == "verify") {
      o.verify = flag(value, k);
    } else {
      bad_option("unknown option \"" + k + "\"");
    }
  }
  auto call_options = dbsafe::capi::to_call_options(call);
  dbsafe::capi::fill_buf(out_report_json, dbsafe::copy_sqlite(o, call_options).to_json());
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

}  // extern "C"
