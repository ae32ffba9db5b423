// The C ABI's plumbing: handle structs, the exception wall, conversions.
#pragma once

#include <cstdint>
#include <exception>
#include <initializer_list>
#include <memory>
#include <new>
#include <string>

#include <simdjson.h>

#include "dbsafe/call.hpp"
#include "dbsafe/dbsafe.h"
#include "dbsafe/error.hpp"
#include "dbsafe/migrate.hpp"
#include "dbsafe/source.hpp"

struct dbsafe_error {
  int code = DBSAFE_ERROR;
  std::string message;
  std::string sqlstate;
  std::string file;
  uint32_t line = 0;
  uint32_t column = 0;
  int http_status = 0;
  std::string detail_json = "{}";
  std::string json;
};

struct dbsafe_cancel {
  std::shared_ptr<dbsafe::CancelToken> token = std::make_shared<dbsafe::CancelToken>();
};

namespace dbsafe::capi {

// Stores `e` in *out_err (when the caller asked for it) and returns its code.
int set_error(dbsafe_error **out_err, const dbsafe::Error &e) noexcept;
int set_error(dbsafe_error **out_err, int code, const std::string &message) noexcept;

// Copies `text` into `buf` (which must be empty); throws std::bad_alloc.
void fill_buf(dbsafe_buf *buf, const std::string &text);

// `value` as a string; throws Error(Invalid) "<what> is empty; <hint>" when
// it is NULL or "".
std::string require_text(const char *value, const char *what, const char *hint);

// Throws Error(Invalid) when `buf` is NULL or not empty.
void require_empty_buf(const dbsafe_buf *buf, const char *argument);

// Checks a versioned options struct: NULL is fine (defaults), version 0 or
// a version newer than this library knows is DBSAFE_EVERSION.
void require_version(unsigned int version, unsigned int newest, const char *struct_name);

// Throws Error(Invalid) "options_json: <what>", the form every options
// error takes (the bindings rename keys by it).
[[noreturn]] void bad_option(const std::string &what);

// Reads a "layout" option value.
dbsafe::Layout layout_option(simdjson::dom::element value);

// Parses an `options_json` argument into `parser`: NULL or "" is no
// options (false); anything but a JSON object throws Error(Invalid) with the
// "options_json: " prefix every options error carries.
bool parse_options_object(const char *json, simdjson::dom::parser &parser,
                          simdjson::dom::object &out);

// Typed readers of one options key; every mistake names the key, in the
// "options_json: ..." form the bindings recognise.
std::string option_text(simdjson::dom::element value, const std::string &key);
bool option_flag(simdjson::dom::element value, const std::string &key);
// An array of strings.
std::vector<std::string> option_strings(simdjson::dom::element value, const std::string &key);
// An integer from 0 to `max`.
int option_count(simdjson::dom::element value, const std::string &key, std::int64_t max);

// Hands each key of the options object to `fn(key, value)`, which returns
// false for a key it does not know (an "unknown option" error); `required`
// keys must be present, else `missing` (or "\"KEY\" is required") is the error.
template <typename Fn>
void each_option(const char *json, std::initializer_list<const char *> required, Fn &&fn,
                 const char *missing = nullptr) {
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  bool any = parse_options_object(json, parser, obj);
  for (const char *key : required)
    if (!any || obj[key].error())
      bad_option(missing ? std::string(missing) : std::string("\"") + key + "\" is required");
  if (!any) return;
  for (auto [key, value] : obj) {
    std::string k(key);
    if (!fn(k, value)) bad_option("unknown option \"" + k + "\"");
  }
}

// Applies one key of the migrate options document (c/migrate.h) to `o`;
// false when `key` is not a migrate option. `deploy` admits "dry_run".
bool migrate_option(dbsafe::MigrateOptions &o, const std::string &key, simdjson::dom::element value,
                    bool deploy = false);

// Builds C++ call options from the C struct; the C struct must outlive them.
dbsafe::CallOptions to_call_options(const dbsafe_call_options *opts);

}  // namespace dbsafe::capi

// Every entry point that can fail is wrapped in these: no exception crosses
// the C ABI, whatever its type.
#define DBSAFE_CAPI_BEGIN try {
#define DBSAFE_CAPI_END(out_err)                                                       \
  }                                                                                    \
  catch (const dbsafe::Error &e) {                                                     \
    return dbsafe::capi::set_error(out_err, e);                                        \
  }                                                                                    \
  catch (const std::bad_alloc &) {                                                     \
    return dbsafe::capi::set_error(out_err, DBSAFE_ERROR, "out of memory");            \
  }                                                                                    \
  catch (const std::exception &e) {                                                    \
    return dbsafe::capi::set_error(out_err, DBSAFE_ERROR,                              \
                                   std::string("internal error: ") + e.what() +        \
                                       "; please report it to the dbsafe developers"); \
  }                                                                                    \
  catch (...) {                                                                        \
    return dbsafe::capi::set_error(out_err, DBSAFE_ERROR,                              \
                                   "internal error: unknown exception; please report " \
                                   "it to the dbsafe developers");                     \
  }
