#include <cstdlib>
#include <cstring>

#include "capi/internal.hpp"
#include "dbsafe/version.hpp"

namespace dbsafe::capi {

int set_error(dbsafe_error **out_err, const dbsafe::Error &e) noexcept {
  int code = static_cast<int>(e.code());
  if (out_err == nullptr) return code;
  try {
    auto *err = new dbsafe_error;
    err->code = code;
    err->message = e.message();
    err->sqlstate = e.sqlstate();
    err->file = e.file();
    err->line = e.line();
    err->column = e.column();
    err->http_status = e.http_status();
    err->detail_json = e.detail_json();
    err->json = e.to_json();
    *out_err = err;
  } catch (...) {
    *out_err = nullptr;  // out of memory while reporting: the code still says what happened
  }
  return code;
}

int set_error(dbsafe_error **out_err, int code, const std::string &message) noexcept {
  try {
    return set_error(out_err, dbsafe::Error(static_cast<dbsafe::ErrorCode>(code), message));
  } catch (...) {
    if (out_err != nullptr) *out_err = nullptr;
    return code;
  }
}

void require_empty_buf(const dbsafe_buf *buf, const char *argument) {
  if (buf == nullptr)
    throw dbsafe::Error(
        dbsafe::ErrorCode::Invalid,
        std::string(argument) + " is NULL; pass a dbsafe_buf set to DBSAFE_BUF_INIT");
  if (buf->ptr != nullptr)
    throw dbsafe::Error(
        dbsafe::ErrorCode::Invalid,
        std::string(argument) + " already holds data; dispose it or pass a DBSAFE_BUF_INIT buffer");
}

std::string require_text(const char *value, const char *what, const char *hint) {
  if (value == nullptr || *value == '\0')
    throw dbsafe::Error(dbsafe::ErrorCode::Invalid, std::string(what) + " is empty; " + hint);
  return value;
}

void fill_buf(dbsafe_buf *buf, const std::string &text) {
  char *ptr = static_cast<char *>(std::malloc(text.size() + 1));
  if (ptr == nullptr) throw std::bad_alloc();
  std::memcpy(ptr, text.data(), text.size());
  ptr[text.size()] = '\0';
  buf->ptr = ptr;
  buf->size = text.size();
  buf->reserved = text.size() + 1;
}

void require_version(unsigned int version, unsigned int newest, const char *struct_name) {
  if (version == 0 || version > newest)
    throw dbsafe::Error(dbsafe::ErrorCode::Version,
                        std::string(struct_name) + " has version " + std::to_string(version) +
                            ", but this library knows versions 1 to " + std::to_string(newest) +
                            "; initialise it with its _INIT macro or _init function");
}

dbsafe::CallOptions to_call_options(const dbsafe_call_options *opts) {
  dbsafe::CallOptions call;
  if (opts == nullptr) return call;
  require_version(opts->version, DBSAFE_CALL_OPTIONS_VERSION, "dbsafe_call_options");
  if (opts->cancel != nullptr) call.cancel = opts->cancel->token;
  if (opts->timeout_ms != 0) call.timeout = std::chrono::milliseconds(opts->timeout_ms);
  if (opts->log != nullptr) {
    auto fn = opts->log;
    void *payload = opts->payload;
    call.log = [fn, payload](dbsafe::LogLevel level, std::string_view component,
                             std::string_view message) {
      std::string c(component), m(message);
      fn(payload, static_cast<int>(level), c.c_str(), m.c_str());
    };
  }
  if (opts->progress != nullptr) {
    auto fn = opts->progress;
    void *payload = opts->payload;
    call.progress = [fn, payload](std::string_view event) {
      std::string e(event);
      return fn(payload, e.c_str()) == 0;
    };
  }
  return call;
}

void bad_option(const std::string &what) {
  throw Error(ErrorCode::Invalid, "options_json: " + what);
}

dbsafe::Layout layout_option(simdjson::dom::element value) {
  std::string_view name;
  if (value.get_string().get(name) || !dbsafe::layout_from_name(name)) bad_option("unknown layout");
  return *dbsafe::layout_from_name(name);
}

bool parse_options_object(const char *json, simdjson::dom::parser &parser,
                          simdjson::dom::object &out) {
  if (json == nullptr || *json == '\0') return false;
  simdjson::dom::element root;
  if (auto err = parser.parse(json, std::strlen(json)).get(root))
    bad_option(std::string("not valid JSON: ") + simdjson::error_message(err));
  if (root.get_object().get(out)) bad_option("must be a JSON object");
  return true;
}

std::string option_text(simdjson::dom::element value, const std::string &key) {
  std::string_view s;
  if (value.get_string().get(s)) bad_option(key + " must be a string");
  return std::string(s);
}

bool option_flag(simdjson::dom::element value, const std::string &key) {
  bool b;
  if (value.get_bool().get(b)) bad_option(key + " must be true or false");
  return b;
}

std::vector<std::string> option_strings(simdjson::dom::element value, const std::string &key) {
  simdjson::dom::array list;
  if (value.get_array().get(list)) bad_option(key + " must be an array of strings");
  std::vector<std::string> out;
  for (auto e : list) {
    std::string_view s;
    if (e.get_string().get(s)) bad_option(key + " must be an array of strings");
    out.emplace_back(s);
  }
  return out;
}

int option_count(simdjson::dom::element value, const std::string &key, std::int64_t max) {
  std::int64_t n;
  if (value.get_int64().get(n) || n < 0 || n > max)
    bad_option(key + " must be an integer from 0 to " + std::to_string(max));
  return static_cast<int>(n);
}

}  // namespace dbsafe::capi

extern "C" {

void dbsafe_version(int *major, int *minor, int *patch) {
  if (major) *major = DBSAFE_VERSION_MAJOR;
  if (minor) *minor = DBSAFE_VERSION_MINOR;
  if (patch) *patch = DBSAFE_VERSION_PATCH;
}

const char *dbsafe_version_string(void) {
  return dbsafe::version().data();
}

uint32_t dbsafe_abi_version(void) {
  return DBSAFE_ABI_VERSION;
}

const char *dbsafe_status_name(int status) {
  if (status > 0 || status < static_cast<int>(dbsafe::ErrorCode::State)) return "DBSAFE_UNKNOWN";
  return dbsafe::error_code_name(static_cast<dbsafe::ErrorCode>(status));
}

void dbsafe_buf_dispose(dbsafe_buf *buf) {
  if (buf == nullptr) return;
  std::free(buf->ptr);
  buf->ptr = nullptr;
  buf->size = 0;
  buf->reserved = 0;
}

int dbsafe_error_code(const dbsafe_error *err) {
  return err ? err->code : DBSAFE_OK;
}
const char *dbsafe_error_message(const dbsafe_error *err) {
  return err ? err->message.c_str() : "";
}
const char *dbsafe_error_sqlstate(const dbsafe_error *err) {
  return err && !err->sqlstate.empty() ? err->sqlstate.c_str() : nullptr;
}
const char *dbsafe_error_file(const dbsafe_error *err) {
  return err && !err->file.empty() ? err->file.c_str() : nullptr;
}
uint32_t dbsafe_error_line(const dbsafe_error *err) {
  return err ? err->line : 0;
}
uint32_t dbsafe_error_column(const dbsafe_error *err) {
  return err ? err->column : 0;
}
int dbsafe_error_http_status(const dbsafe_error *err) {
  return err ? err->http_status : 0;
}
const char *dbsafe_error_detail_json(const dbsafe_error *err) {
  return err ? err->detail_json.c_str() : "{}";
}
const char *dbsafe_error_json(const dbsafe_error *err) {
  return err ? err->json.c_str() : "{}";
}
void dbsafe_error_free(dbsafe_error *err) {
  delete err;
}

int dbsafe_cancel_new(dbsafe_cancel **out, dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  if (out == nullptr)
    throw dbsafe::Error(dbsafe::ErrorCode::Invalid, "out is NULL; pass a dbsafe_cancel *");
  *out = new dbsafe_cancel;
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

void dbsafe_cancel_request(dbsafe_cancel *cancel) {
  if (cancel) cancel->token->request();
}

bool dbsafe_cancel_is_requested(const dbsafe_cancel *cancel) {
  return cancel != nullptr && cancel->token->requested();
}

void dbsafe_cancel_free(dbsafe_cancel *cancel) {
  delete cancel;
}

int dbsafe_call_options_init(dbsafe_call_options *opts, unsigned int version) {
  if (opts == nullptr) return DBSAFE_EINVALID;
  if (version == 0 || version > DBSAFE_CALL_OPTIONS_VERSION) return DBSAFE_EVERSION;
  dbsafe_call_options defaults = DBSAFE_CALL_OPTIONS_INIT;
  *opts = defaults;
  opts->version = version;
  return DBSAFE_OK;
}

}  // extern "C"
