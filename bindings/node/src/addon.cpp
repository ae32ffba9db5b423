// The native part of the dbsafe Node.js binding: a thin node-addon-api layer
// over the stable C ABI (dbsafe.h only). The idiomatic API lives in index.js.
//
// Rules this file follows (shared/C_ABI.md, "How each binding uses it"):
// - Blocking calls run in a Napi::AsyncWorker on the libuv pool, never on the
//   event loop; the worker holds a reference to every JS object whose native
//   part the call uses (the cancel token), so GC cannot free it mid-call.
// - Progress crosses threads through a TypedThreadSafeFunction fed with
//   NonBlockingCall and a copied payload; it is Unref'd (it never keeps the
//   process alive) and released in OnOK/OnError, never from a destructor.
// - Every field of a dbsafe_error is copied out (dbsafe_error_json plus the
//   code and message) before dbsafe_error_free; index.js builds a DbsafeError
//   from the `dbsafeStatus` and `dbsafeErrorJson` properties.

#include <napi.h>

#include <dbsafe/dbsafe.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#if !defined(_WIN32)
#include <fcntl.h>
#endif

namespace {

// Tags the External that wraps a dbsafe_cancel*, so a foreign External can
// never be taken for one (napi_type_tag_object, N-API 8).
constexpr napi_type_tag kCancelTypeTag = {0x6462736166656331ULL, 0x9c2e51d7a04b83f6ULL};
// Tags the External that wraps an open provider (a ProviderSlot).
constexpr napi_type_tag kProviderTypeTag = {0x6462736166657072ULL, 0x4f1a93c6e2b7d058ULL};

constexpr double kMaxSafeInteger = 9007199254740991.0;  // Number.MAX_SAFE_INTEGER

// Everything a failed call reported, copied out of the dbsafe_error.
struct ErrorInfo {
  int code = DBSAFE_ERROR;
  std::string message;
  std::string json;  // dbsafe_error_json: code, name, message, sqlstate, file, ...
};

struct ErrorDeleter {
  void operator()(dbsafe_error *err) const { dbsafe_error_free(err); }
};
using ErrorPtr = std::unique_ptr<dbsafe_error, ErrorDeleter>;

// Owns a dbsafe_buf for the duration of one call.
class OwnedBuf {
 public:
  OwnedBuf() = default;
  OwnedBuf(const OwnedBuf &) = delete;
  OwnedBuf &operator=(const OwnedBuf &) = delete;
  ~OwnedBuf() { dbsafe_buf_dispose(&buf_); }

  dbsafe_buf *get() { return &buf_; }
  std::string str() const { return buf_.ptr ? std::string(buf_.ptr, buf_.size) : std::string(); }

 private:
  dbsafe_buf buf_ = DBSAFE_BUF_INIT;
};

// Copies every field of `err` (which may be NULL) and frees it.
ErrorInfo TakeError(int status, dbsafe_error *raw) {
  ErrorPtr err(raw);
  ErrorInfo info;
  info.code = status;
  if (err) {
    info.code = dbsafe_error_code(err.get());
    if (const char *message = dbsafe_error_message(err.get())) info.message = message;
    if (const char *json = dbsafe_error_json(err.get())) info.json = json;
  }
  if (info.message.empty()) {
    info.message = std::string(dbsafe_status_name(info.code)) + ": the call failed";
  }
  return info;
}

Napi::Value MakeError(Napi::Env env, const ErrorInfo &info) {
  Napi::Object error = Napi::Error::New(env, info.message).Value();
  error.Set("dbsafeStatus", Napi::Number::New(env, info.code));
  error.Set("dbsafeStatusName", Napi::String::New(env, dbsafe_status_name(info.code)));
  if (!info.json.empty()) error.Set("dbsafeErrorJson", Napi::String::New(env, info.json));
  return error;
}

[[noreturn]] void ThrowType(Napi::Env env, const std::string &message) {
  throw Napi::TypeError::New(env, message);
}

[[noreturn]] void ThrowRange(Napi::Env env, const std::string &message) {
  throw Napi::RangeError::New(env, message);
}

bool IsMissing(const Napi::Value &value) {
  return value.IsUndefined() || value.IsNull();
}

std::string PathArgument(const Napi::CallbackInfo &info, size_t index) {
  if (info.Length() <= index || !info[index].IsString()) {
    ThrowType(info.Env(), "path must be a string");
  }
  std::string path = info[index].As<Napi::String>().Utf8Value();
  if (path.empty()) ThrowType(info.Env(), "path must not be empty");
  if (path.find('\0') != std::string::npos) {
    ThrowType(info.Env(), "path must not contain a NUL character");
  }
  return path;
}

// The options of one listing, read on the JS thread.
struct ListOptions {
  int layout = DBSAFE_LAYOUT_AUTO;
  uint64_t max_file_bytes = 0;
  uint32_t timeout_ms = 0;
};

int ParseLayout(Napi::Env env, const Napi::Value &value) {
  if (!value.IsString()) ThrowType(env, "options.layout must be a string");
  const std::string name = value.As<Napi::String>().Utf8Value();
  static constexpr std::pair<std::string_view, int> kLayouts[] = {
      {"auto", DBSAFE_LAYOUT_AUTO},     {"prisma", DBSAFE_LAYOUT_PRISMA},
      {"plain", DBSAFE_LAYOUT_PLAIN},   {"flyway", DBSAFE_LAYOUT_FLYWAY},
      {"dbmate", DBSAFE_LAYOUT_DBMATE}, {"golang-migrate", DBSAFE_LAYOUT_GOLANG_MIGRATE},
  };
  for (const auto &[layout_name, layout] : kLayouts) {
    if (name == layout_name) return layout;
  }
  ThrowRange(env,
             "options.layout must be one of 'auto', 'prisma', 'plain', 'flyway', "
             "'dbmate', 'golang-migrate' (got '" +
                 name + "')");
}

double NonNegativeInteger(Napi::Env env, const Napi::Value &value, const char *name, double max) {
  if (!value.IsNumber()) ThrowType(env, std::string("options.") + name + " must be a number");
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!(number >= 0 && number <= max) ||
      number != static_cast<double>(static_cast<int64_t>(number))) {
    ThrowRange(env, std::string("options.") + name + " must be an integer from 0 to " +
                        std::to_string(static_cast<uint64_t>(max)));
  }
  return number;
}

ListOptions ParseListOptions(Napi::Env env, const Napi::Value &value) {
  ListOptions options;
  if (IsMissing(value)) return options;
  if (!value.IsObject()) ThrowType(env, "options must be an object");
  const Napi::Object object = value.As<Napi::Object>();
  if (Napi::Value layout = object.Get("layout"); !layout.IsUndefined()) {
    options.layout = ParseLayout(env, layout);
  }
  if (Napi::Value max_bytes = object.Get("maxFileBytes"); !max_bytes.IsUndefined()) {
    options.max_file_bytes =
        static_cast<uint64_t>(NonNegativeInteger(env, max_bytes, "maxFileBytes", kMaxSafeInteger));
  }
  if (Napi::Value timeout = object.Get("timeoutMs"); !timeout.IsUndefined()) {
    options.timeout_ms =
        static_cast<uint32_t>(NonNegativeInteger(env, timeout, "timeoutMs", UINT32_MAX));
  }
  return options;
}

dbsafe_cancel *CancelArgument(Napi::Env env, const Napi::Value &value) {
  if (value.IsExternal() &&
      value.As<Napi::External<dbsafe_cancel>>().CheckTypeTag(&kCancelTypeTag)) {
    return value.As<Napi::External<dbsafe_cancel>>().Data();
  }
  ThrowType(env, "expected a cancel token made by cancelNew()");
}

// Runs the listing with the given options and token; fills `out` or `error`.
bool RunListing(const std::string &path, const ListOptions &options, dbsafe_cancel *cancel,
                dbsafe_progress_fn progress, void *payload, std::string *out, ErrorInfo *error) {
  dbsafe_source_options source = DBSAFE_SOURCE_OPTIONS_INIT;
  source.layout = options.layout;
  source.max_file_bytes = options.max_file_bytes;
  dbsafe_call_options call = DBSAFE_CALL_OPTIONS_INIT;
  call.cancel = cancel;
  call.timeout_ms = options.timeout_ms;
  call.progress = progress;
  call.payload = payload;

  OwnedBuf listing;
  dbsafe_error *err = nullptr;
  const int status = dbsafe_migrations_open(listing.get(), path.c_str(), &source, &call, &err);
  if (status != DBSAFE_OK) {
    *error = TakeError(status, err);
    return false;
  }
  dbsafe_error_free(err);  // NULL on success; freed anyway in case
  *out = listing.str();
  return true;
}

// What one check runs on, read on the JS thread.
struct CheckRequest {
  std::vector<std::string> paths;
  std::optional<std::string> options_json;  // nullopt: the library's defaults
  uint32_t timeout_ms = 0;
};

// paths: an array of non-empty strings (the library rejects an empty array).
std::vector<std::string> PathsArgument(const Napi::CallbackInfo &info, size_t index) {
  Napi::Env env = info.Env();
  if (info.Length() <= index || !info[index].IsArray()) {
    ThrowType(env, "paths must be an array of strings");
  }
  const Napi::Array array = info[index].As<Napi::Array>();
  std::vector<std::string> paths;
  paths.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    const Napi::Value value = array.Get(i);
    if (!value.IsString()) ThrowType(env, "paths must be an array of strings");
    std::string path = value.As<Napi::String>().Utf8Value();
    if (path.empty()) ThrowType(env, "a path must not be empty");
    if (path.find('\0') != std::string::npos) {
      ThrowType(env, "a path must not contain a NUL character");
    }
    paths.push_back(std::move(path));
  }
  return paths;
}

// A string without NUL characters, or null/undefined for none.
std::optional<std::string> OptionalString(Napi::Env env, const Napi::Value &value,
                                          const char *name) {
  if (IsMissing(value)) return std::nullopt;
  if (!value.IsString()) ThrowType(env, std::string(name) + " must be a string or null");
  std::string text = value.As<Napi::String>().Utf8Value();
  if (text.find('\0') != std::string::npos) {
    ThrowType(env, std::string(name) + " must not contain a NUL character");
  }
  return text;
}

// timeoutMs: null/undefined for none, else an integer from 0 to 2^32-1.
uint32_t TimeoutArgument(Napi::Env env, const Napi::Value &value) {
  if (IsMissing(value)) return 0;
  return static_cast<uint32_t>(NonNegativeInteger(env, value, "timeoutMs", UINT32_MAX));
}

CheckRequest ReadCheckRequest(const Napi::CallbackInfo &info, size_t options_index,
                              size_t timeout_index) {
  CheckRequest request;
  request.paths = PathsArgument(info, 0);
  request.options_json = OptionalString(info.Env(), info[options_index], "optionsJson");
  request.timeout_ms = TimeoutArgument(info.Env(), info[timeout_index]);
  return request;
}

// Runs the check with the given token; fills `out` or `error`.
bool RunCheck(const CheckRequest &request, dbsafe_cancel *cancel, dbsafe_progress_fn progress,
              void *payload, std::string *out, ErrorInfo *error) {
  std::vector<const char *> paths;
  paths.reserve(request.paths.size());
  for (const std::string &path : request.paths) paths.push_back(path.c_str());
  dbsafe_call_options call = DBSAFE_CALL_OPTIONS_INIT;
  call.cancel = cancel;
  call.timeout_ms = request.timeout_ms;
  call.progress = progress;
  call.payload = payload;

  OwnedBuf report;
  dbsafe_error *err = nullptr;
  const int status =
      dbsafe_check(report.get(), paths.data(), paths.size(),
                   request.options_json ? request.options_json->c_str() : nullptr, &call, &err);
  if (status != DBSAFE_OK) {
    *error = TakeError(status, err);
    return false;
  }
  dbsafe_error_free(err);  // NULL on success; freed anyway in case
  *out = report.str();
  return true;
}

// What one stats collection reads from, read on the JS thread. The URL may
// hold a password: it is never put in a message.
struct StatsRequest {
  std::string database_url;
  uint32_t timeout_ms = 0;
};

StatsRequest ReadStatsRequest(const Napi::CallbackInfo &info, size_t timeout_index) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) ThrowType(env, "databaseUrl must be a string");
  StatsRequest request;
  request.database_url = info[0].As<Napi::String>().Utf8Value();
  if (request.database_url.empty()) ThrowType(env, "databaseUrl must not be empty");
  if (request.database_url.find('\0') != std::string::npos) {
    ThrowType(env, "databaseUrl must not contain a NUL character");
  }
  request.timeout_ms = TimeoutArgument(env, info[timeout_index]);
  return request;
}

// Collects the stats with the given token; fills `out` or `error`.
bool RunStats(const StatsRequest &request, dbsafe_cancel *cancel, dbsafe_progress_fn progress,
              void *payload, std::string *out, ErrorInfo *error) {
  dbsafe_call_options call = DBSAFE_CALL_OPTIONS_INIT;
  call.cancel = cancel;
  call.timeout_ms = request.timeout_ms;
  call.progress = progress;
  call.payload = payload;

  OwnedBuf stats;
  dbsafe_error *err = nullptr;
  const int status = dbsafe_stats_collect(stats.get(), request.database_url.c_str(), &call, &err);
  if (status != DBSAFE_OK) {
    *error = TakeError(status, err);
    return false;
  }
  dbsafe_error_free(err);  // NULL on success; freed anyway in case
  *out = stats.str();
  return true;
}

// Which migrate call of include/dbsafe/c/migrate.h a request makes.
enum class MigrateCommand { Status, Deploy, Resolve, Baseline };

// What one migrate call runs on, read on the JS thread. The options document
// may hold a database URL with a password: it is never put in a message.
struct MigrateRequest {
  MigrateCommand command = MigrateCommand::Status;
  std::string migrations_dir;
  std::string migration_name;  // resolve and baseline
  int resolve_action = DBSAFE_RESOLVE_APPLIED;
  std::optional<std::string> options_json;  // nullopt: the library's defaults
  uint32_t timeout_ms = 0;
};

// A migration name: a non-empty string without NUL characters.
std::string MigrationNameArgument(const Napi::CallbackInfo &info, size_t index) {
  if (info.Length() <= index || !info[index].IsString()) {
    ThrowType(info.Env(), "migration name must be a string");
  }
  std::string name = info[index].As<Napi::String>().Utf8Value();
  if (name.empty()) ThrowType(info.Env(), "migration name must not be empty");
  if (name.find('\0') != std::string::npos) {
    ThrowType(info.Env(), "migration name must not contain a NUL character");
  }
  return name;
}

// The resolve action by the name index.js uses: 'applied' or 'rolled-back'.
int ResolveActionArgument(Napi::Env env, const Napi::Value &value) {
  if (!value.IsString()) ThrowType(env, "resolve action must be a string");
  const std::string action = value.As<Napi::String>().Utf8Value();
  if (action == "applied") return DBSAFE_RESOLVE_APPLIED;
  if (action == "rolled-back") return DBSAFE_RESOLVE_ROLLED_BACK;
  ThrowRange(env, "resolve action must be 'applied' or 'rolled-back' (got '" + action + "')");
}

// Reads (dir, [name, [action,]] optionsJson, cancel, onProgress, timeoutMs):
// `options_index` is where optionsJson sits for this command; the timeout
// comes three arguments after it, past the cancel token and the callback.
MigrateRequest ReadMigrateRequest(const Napi::CallbackInfo &info, MigrateCommand command,
                                  size_t options_index) {
  Napi::Env env = info.Env();
  MigrateRequest request;
  request.command = command;
  request.migrations_dir = PathArgument(info, 0);
  if (command == MigrateCommand::Resolve || command == MigrateCommand::Baseline) {
    request.migration_name = MigrationNameArgument(info, 1);
  }
  if (command == MigrateCommand::Resolve) {
    request.resolve_action = ResolveActionArgument(env, info[2]);
  }
  request.options_json = OptionalString(env, info[options_index], "optionsJson");
  request.timeout_ms = TimeoutArgument(env, info[options_index + 3]);
  return request;
}

// Runs the migrate call with the given token; fills `out` or `error`. A failed
// deploy's report travels in the error's detail JSON, which TakeError keeps.
bool RunMigrate(const MigrateRequest &request, dbsafe_cancel *cancel, dbsafe_progress_fn progress,
                void *payload, std::string *out, ErrorInfo *error) {
  dbsafe_call_options call = DBSAFE_CALL_OPTIONS_INIT;
  call.cancel = cancel;
  call.timeout_ms = request.timeout_ms;
  call.progress = progress;
  call.payload = payload;

  const char *dir = request.migrations_dir.c_str();
  const char *name = request.migration_name.c_str();
  const char *options = request.options_json ? request.options_json->c_str() : nullptr;
  OwnedBuf report;
  dbsafe_error *err = nullptr;
  int status = DBSAFE_ERROR;
  switch (request.command) {
    case MigrateCommand::Status:
      status = dbsafe_migrate_status(report.get(), dir, options, &call, &err);
      break;
    case MigrateCommand::Deploy:
      status = dbsafe_migrate_deploy(report.get(), dir, options, &call, &err);
      break;
    case MigrateCommand::Resolve:
      status = dbsafe_migrate_resolve(report.get(), dir, name, request.resolve_action, options,
                                      &call, &err);
      break;
    case MigrateCommand::Baseline:
      status = dbsafe_migrate_baseline(report.get(), dir, name, options, &call, &err);
      break;
  }
  if (status != DBSAFE_OK) {
    *error = TakeError(status, err);
    return false;
  }
  dbsafe_error_free(err);  // NULL on success; freed anyway in case
  *out = report.str();
  return true;
}

// What one deploy (include/dbsafe/c/deploy.h) runs on, read on the JS thread:
// the options document index.js writes (target, config, dry_run, approve,
// approved_by). The deploy reads its URLs from the environment variables the
// target names, so the document holds no password.
struct DeployRequest {
  bool restore = false;  // dbsafe_restore instead of dbsafe_deploy (the same report)
  std::string options_json;
  uint32_t timeout_ms = 0;
};

// Runs the deploy with the given token; fills `out` or `error`. A gate stop
// returns the report (its exit_code is 1); a failed deploy's report travels
// in the error's detail JSON, which TakeError keeps.
bool RunDeploy(const DeployRequest &request, dbsafe_cancel *cancel, dbsafe_progress_fn progress,
               dbsafe_log_fn log, void *payload, std::string *out, ErrorInfo *error) {
  dbsafe_call_options call = DBSAFE_CALL_OPTIONS_INIT;
  call.cancel = cancel;
  call.timeout_ms = request.timeout_ms;
  call.progress = progress;
  call.log = log;
  call.payload = payload;

  OwnedBuf report;
  dbsafe_error *err = nullptr;
  const int status = request.restore
                         ? dbsafe_restore(report.get(), request.options_json.c_str(), &call, &err)
                         : dbsafe_deploy(report.get(), request.options_json.c_str(), &call, &err);
  if (status != DBSAFE_OK) {
    *error = TakeError(status, err);
    return false;
  }
  dbsafe_error_free(err);  // NULL on success; freed anyway in case
  *out = report.str();
  return true;
}

// Which call of include/dbsafe/c/backup.h a request makes (or
// dbsafe_maintenance of c/maintenance.h and dbsafe_copy of c/copy.h, which
// have the same shape). Each takes an options document, which may hold a
// database URL with its password: never in a message.
enum class BackupCommand { Create, Verify, Restore, Prune, Maintenance, Copy };

struct BackupRequest {
  BackupCommand command = BackupCommand::Create;
  std::string options_json;
  uint32_t timeout_ms = 0;
};

// Fills `out` or `error`; a failure's report (a refused or failed restore)
// travels in the error's detail JSON, which TakeError keeps.
bool RunBackup(const BackupRequest &request, dbsafe_cancel *cancel, dbsafe_progress_fn progress,
               dbsafe_log_fn log, void *payload, std::string *out, ErrorInfo *error) {
  dbsafe_call_options call = DBSAFE_CALL_OPTIONS_INIT;
  call.cancel = cancel;
  call.timeout_ms = request.timeout_ms;
  call.progress = progress;
  call.log = log;
  call.payload = payload;
  OwnedBuf report;
  dbsafe_error *err = nullptr;
  const char *options = request.options_json.c_str();
  int status = DBSAFE_ERROR;
  switch (request.command) {
    case BackupCommand::Create:
      status = dbsafe_backup_create(report.get(), options, &call, &err);
      break;
    case BackupCommand::Verify:
      status = dbsafe_backup_verify(report.get(), options, &call, &err);
      break;
    case BackupCommand::Restore:
      status = dbsafe_backup_restore(report.get(), options, &call, &err);
      break;
    case BackupCommand::Prune:
      status = dbsafe_backup_prune(report.get(), options, &call, &err);
      break;
    case BackupCommand::Maintenance:
      status = dbsafe_maintenance(report.get(), options, &call, &err);
      break;
    case BackupCommand::Copy:
      status = dbsafe_copy(report.get(), options, &call, &err);
      break;
  }
  if (status != DBSAFE_OK) {
    *error = TakeError(status, err);
    return false;
  }
  dbsafe_error_free(err);
  *out = report.str();
  return true;
}

// Which call of include/dbsafe/c/schema.h a request makes.
enum class SchemaCommand { Dump, Render, Diff, Drift, Verify, BaselineFromDatabase };

// What one schema call runs on, read on the JS thread. `first` and `second`
// are, by command: dump (URL, -), render (source, -), diff (from, to),
// drift and verify (URL, migration directory), baseline from a database
// (migration directory, -). URLs may hold a password: never in a message.
struct SchemaRequest {
  SchemaCommand command = SchemaCommand::Dump;
  std::string first;
  std::string second;
  int format = DBSAFE_SCHEMA_SQL;           // dump and render
  std::optional<std::string> options_json;  // nullopt: the library's defaults
  uint32_t timeout_ms = 0;
};

// A non-empty string without NUL characters, named `name` in messages.
std::string TextArgument(const Napi::CallbackInfo &info, size_t index, const char *name) {
  if (info.Length() <= index || !info[index].IsString()) {
    ThrowType(info.Env(), std::string(name) + " must be a string");
  }
  std::string text = info[index].As<Napi::String>().Utf8Value();
  if (text.empty()) ThrowType(info.Env(), std::string(name) + " must not be empty");
  if (text.find('\0') != std::string::npos) {
    ThrowType(info.Env(), std::string(name) + " must not contain a NUL character");
  }
  return text;
}

// The output format by the name index.js uses: 'sql' or 'json'.
int SchemaFormatArgument(Napi::Env env, const Napi::Value &value) {
  if (!value.IsString()) ThrowType(env, "format must be a string");
  const std::string format = value.As<Napi::String>().Utf8Value();
  if (format == "sql") return DBSAFE_SCHEMA_SQL;
  if (format == "json") return DBSAFE_SCHEMA_JSON;
  ThrowRange(env, "format must be 'sql' or 'json' (got '" + format + "')");
}

// Reads (first, [second | format,] optionsJson, cancel, onProgress, timeoutMs)
// for `command`; returns the request and where optionsJson sits, so the
// caller finds the cancel token and callback after it.
SchemaRequest ReadSchemaRequest(const Napi::CallbackInfo &info, SchemaCommand command,
                                size_t *options_index) {
  Napi::Env env = info.Env();
  SchemaRequest request;
  request.command = command;
  size_t next = 1;
  switch (command) {
    case SchemaCommand::Dump:
      request.first = TextArgument(info, 0, "databaseUrl");
      request.format = SchemaFormatArgument(env, info[next++]);
      break;
    case SchemaCommand::Render:
      request.first = TextArgument(info, 0, "source");
      request.format = SchemaFormatArgument(env, info[next++]);
      break;
    case SchemaCommand::Diff:
      request.first = TextArgument(info, 0, "from");
      request.second = TextArgument(info, next++, "to");
      break;
    case SchemaCommand::Drift:
    case SchemaCommand::Verify:
      request.first = TextArgument(info, 0, "databaseUrl");
      request.second = PathArgument(info, next++);
      break;
    case SchemaCommand::BaselineFromDatabase:
      request.first = PathArgument(info, 0);
      break;
  }
  *options_index = next;
  request.options_json = OptionalString(env, info[next], "optionsJson");
  request.timeout_ms = TimeoutArgument(env, info[next + 3]);
  return request;
}

// Runs the schema call with the given token; fills `out` or `error`.
bool RunSchema(const SchemaRequest &request, dbsafe_cancel *cancel, dbsafe_progress_fn progress,
               void *payload, std::string *out, ErrorInfo *error) {
  dbsafe_call_options call = DBSAFE_CALL_OPTIONS_INIT;
  call.cancel = cancel;
  call.timeout_ms = request.timeout_ms;
  call.progress = progress;
  call.payload = payload;

  const char *first = request.first.c_str();
  const char *second = request.second.c_str();
  const char *options = request.options_json ? request.options_json->c_str() : nullptr;
  OwnedBuf result;
  dbsafe_error *err = nullptr;
  int status = DBSAFE_ERROR;
  switch (request.command) {
    case SchemaCommand::Dump:
      status = dbsafe_schema_dump(result.get(), first, request.format, options, &call, &err);
      break;
    case SchemaCommand::Render:
      status = dbsafe_schema_render(result.get(), first, request.format, options, &call, &err);
      break;
    case SchemaCommand::Diff:
      status = dbsafe_schema_diff(result.get(), first, second, options, &call, &err);
      break;
    case SchemaCommand::Drift:
      status = dbsafe_drift(result.get(), first, second, options, &call, &err);
      break;
    case SchemaCommand::Verify:
      status = dbsafe_verify(result.get(), first, second, options, &call, &err);
      break;
    case SchemaCommand::BaselineFromDatabase:
      status = dbsafe_migrate_baseline_from_database(result.get(), first, options, &call, &err);
      break;
  }
  if (status != DBSAFE_OK) {
    *error = TakeError(status, err);
    return false;
  }
  dbsafe_error_free(err);  // NULL on success; freed anyway in case
  *out = result.str();
  return true;
}

// The outcome of an asynchronous call that reports progress. It is settled
// by the progress TSFN's finalizer, which runs on the JS thread once every
// queued progress event has been delivered: so no progress event ever arrives
// after the promise has settled.
struct PendingCall {
  explicit PendingCall(Napi::Promise::Deferred promise) : deferred(std::move(promise)) {}

  Napi::Promise::Deferred deferred;
  bool settled_by_worker = false;  // OnOK/OnError ran and filled the fields below
  bool ok = false;
  std::string result;
  ErrorInfo error;
};

// Resolves with `result` or rejects with `error`. Never throws: while a worker
// thread or the process shuts down no JS can run and every napi call fails.
void Settle(Napi::Env env, const Napi::Promise::Deferred &deferred, bool ok,
            const std::string &result, const ErrorInfo &error) {
  try {
    if (ok) {
      deferred.Resolve(Napi::String::New(env, result));
    } else {
      deferred.Reject(MakeError(env, error));
    }
  } catch (const Napi::Error &failure) {
    // Making the value failed (out of memory, or JS cannot run any more):
    // reject with that failure when possible, else nobody is left to care.
    try {
      if (!failure.IsEmpty()) deferred.Reject(failure.Value());
    } catch (const Napi::Error &) {
    }
  }
}

void SettlePending(Napi::Env env, PendingCall *pending) {
  if (!pending->settled_by_worker) return;  // env teardown while the call ran
  Settle(env, pending->deferred, pending->ok, pending->result, pending->error);
}

// One event a call sends to the JS thread: a progress event (level 0) or a
// log line (level: a dbsafe_log_level).
struct CallEvent {
  int level = 0;
  std::string text;       // progress: the event's JSON; log: the message
  std::string component;  // log only
};

// Runs on the JS thread for each queued event. Plain napi calls, so nothing
// throws while a worker thread or the process is being torn down (JS cannot
// run then and every call fails); an exception the callback throws stays
// pending and Node reports it as uncaught (index.js's wrapper never throws).
// A progress event is callback(eventJson); a log line is
// callback(undefined, level, component, message).
void DeliverProgress(Napi::Env env, Napi::Function callback, PendingCall * /*pending*/,
                     CallEvent *call_event) {
  std::unique_ptr<CallEvent> event(call_event);
  if (env == nullptr || callback.IsEmpty()) return;  // draining at env teardown
  napi_value receiver = nullptr;
  if (napi_get_undefined(env, &receiver) != napi_ok) return;
  if (event->level == 0) {
    napi_value argument = nullptr;
    if (napi_create_string_utf8(env, event->text.data(), event->text.size(), &argument) !=
        napi_ok) {
      return;
    }
    napi_call_function(env, receiver, callback, 1, &argument, nullptr);
    return;
  }
  napi_value arguments[4] = {receiver, nullptr, nullptr, nullptr};
  if (napi_create_int32(env, event->level, &arguments[1]) != napi_ok ||
      napi_create_string_utf8(env, event->component.data(), event->component.size(),
                              &arguments[2]) != napi_ok ||
      napi_create_string_utf8(env, event->text.data(), event->text.size(), &arguments[3]) !=
          napi_ok) {
    return;
  }
  napi_call_function(env, receiver, callback, 4, arguments, nullptr);
}

void FinalizeProgress(Napi::Env env, void * /*data*/, PendingCall *pending) {
  std::unique_ptr<PendingCall> owned(pending);
  SettlePending(env, owned.get());
}

using ProgressTsfn = Napi::TypedThreadSafeFunction<PendingCall, CallEvent, DeliverProgress>;

// One blocking C call on the libuv pool that resolves with the text the call
// wrote, with an optional cancel token and progress callback. Subclasses say
// which call in Run().
class CallWorker : public Napi::AsyncWorker {
 public:
  // `what` names the call in the message of a failure inside the binding.
  CallWorker(Napi::Env env, const char *resource_name, const char *what)
      : Napi::AsyncWorker(env, resource_name),
        what_(what),
        deferred_(Napi::Promise::Deferred::New(env)) {}

  // Keeps the External alive for the whole call.
  void HoldCancel(const Napi::Value &external, dbsafe_cancel *cancel) {
    cancel_ref_ = Napi::Persistent(external);
    cancel_ = cancel;
  }

  // Settles through `pending` after the last progress event instead of
  // through `deferred_`. With `forward_log`, the call's log lines go to the
  // same callback (see DeliverProgress).
  void ForwardProgress(Napi::Env env, Napi::Function callback, bool forward_log = false) {
    auto pending = std::make_unique<PendingCall>(deferred_);
    tsfn_ = ProgressTsfn::New(env, callback, "dbsafe.progress", 0, 1, pending.get(),
                              FinalizeProgress, static_cast<void *>(nullptr));
    pending_ = pending.release();  // owned by the TSFN's finalizer from now on
    has_progress_ = true;
    forward_log_ = forward_log;
    tsfn_.Unref(env);
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  // Runs the C call on the pool thread; fills `out` or `error`.
  virtual bool Run(dbsafe_cancel *cancel, dbsafe_progress_fn progress, void *payload,
                   std::string *out, ErrorInfo *error) = 0;

  // The log callback for the C call (its payload is Run's), or NULL when the
  // caller asked for no log lines.
  dbsafe_log_fn LogCallback() const { return forward_log_ ? &CallWorker::OnLog : nullptr; }

  void Execute() override {
    const bool ok =
        Run(cancel_, has_progress_ ? &CallWorker::OnProgress : nullptr, this, &result_, &error_);
    if (!ok) SetError(error_.message);
  }

  void OnOK() override {
    if (pending_ != nullptr && !progress_closed_.load()) {
      pending_->settled_by_worker = true;
      pending_->ok = true;
      pending_->result = std::move(result_);
      ReleaseProgress();
      return;
    }
    pending_ = nullptr;
    Settle(Env(), deferred_, true, result_, error_);
  }

  void OnError(const Napi::Error &error) override {
    if (error_.message.empty()) {
      // Execute threw (for example std::bad_alloc) before dbsafe returned.
      error_.code = DBSAFE_ERROR;
      error_.message =
          std::string("dbsafe: the ") + what_ + " failed in the Node binding: " + error.Message();
    }
    if (pending_ != nullptr && !progress_closed_.load()) {
      pending_->settled_by_worker = true;
      pending_->ok = false;
      pending_->error = std::move(error_);
      ReleaseProgress();
      return;
    }
    pending_ = nullptr;
    Settle(Env(), deferred_, false, result_, error_);
  }

 private:
  // Called on the thread running the call. Never blocks on JS.
  static int OnProgress(void *payload, const char *event_json) {
    auto event = std::make_unique<CallEvent>();
    event->text = event_json != nullptr ? event_json : "{}";
    static_cast<CallWorker *>(payload)->Send(std::move(event));
    return 0;
  }

  // Called on the thread running the call. Never blocks on JS.
  static void OnLog(void *payload, int level, const char *component, const char *message) {
    auto event = std::make_unique<CallEvent>();
    event->level = level > 0 ? level : DBSAFE_LOG_DEBUG;
    event->component = component != nullptr ? component : "";
    event->text = message != nullptr ? message : "";
    static_cast<CallWorker *>(payload)->Send(std::move(event));
  }

  // Queues `event` for the JS thread. Never blocks.
  void Send(std::unique_ptr<CallEvent> event) {
    if (progress_closed_.load()) return;
    const napi_status status = tsfn_.NonBlockingCall(event.get());
    if (status == napi_ok) {
      event.release();  // DeliverProgress frees it
    } else if (status == napi_closing) {
      // The environment is going away. The TSFN counts this thread as
      // released and may be freed: never touch it again, not even to
      // Release() it; its finalizer owns (and frees) the PendingCall.
      progress_closed_.store(true);
    }
  }

  void ReleaseProgress() {
    pending_ = nullptr;  // the finalizer settles and frees it
    tsfn_.Release();
  }

  const char *what_;
  Napi::Promise::Deferred deferred_;
  Napi::Reference<Napi::Value> cancel_ref_;
  dbsafe_cancel *cancel_ = nullptr;
  ProgressTsfn tsfn_;
  PendingCall *pending_ = nullptr;  // set while progress is forwarded
  bool has_progress_ = false;       // read by Execute; fixed before Queue()
  bool forward_log_ = false;        // read by Execute; fixed before Queue()
  std::atomic<bool> progress_closed_{false};
  std::string result_;
  ErrorInfo error_;
};

class ListingWorker final : public CallWorker {
 public:
  ListingWorker(Napi::Env env, std::string path, ListOptions options)
      : CallWorker(env, "dbsafe.migrationsOpen", "listing"),
        path_(std::move(path)),
        options_(options) {}

 protected:
  bool Run(dbsafe_cancel *cancel, dbsafe_progress_fn progress, void *payload, std::string *out,
           ErrorInfo *error) override {
    return RunListing(path_, options_, cancel, progress, payload, out, error);
  }

 private:
  std::string path_;
  ListOptions options_;
};

// A call that takes one request struct and runs it with one of the Run*
// functions above: check, stats, the migrate verbs and the schema calls.
template <typename Request, bool (*RunRequest)(const Request &, dbsafe_cancel *, dbsafe_progress_fn,
                                               void *, std::string *, ErrorInfo *)>
class RequestWorker final : public CallWorker {
 public:
  RequestWorker(Napi::Env env, const char *resource, const char *what, Request request)
      : CallWorker(env, resource, what), request_(std::move(request)) {}

 protected:
  bool Run(dbsafe_cancel *cancel, dbsafe_progress_fn progress, void *payload, std::string *out,
           ErrorInfo *error) override {
    return RunRequest(request_, cancel, progress, payload, out, error);
  }

 private:
  Request request_;
};

using CheckWorker = RequestWorker<CheckRequest, RunCheck>;
using StatsWorker = RequestWorker<StatsRequest, RunStats>;
using MigrateWorker = RequestWorker<MigrateRequest, RunMigrate>;
using SchemaWorker = RequestWorker<SchemaRequest, RunSchema>;

// An open provider (c/provider.h). It is freed when its last holder lets go:
// providerClose() or the GC drops the JS object's reference, and a call still
// running holds its own, so the handle never goes away under a call.
class ProviderHandle {
 public:
  explicit ProviderHandle(dbsafe_provider *raw) : raw_(raw) {}
  ProviderHandle(const ProviderHandle &) = delete;
  ProviderHandle &operator=(const ProviderHandle &) = delete;
  ~ProviderHandle() { dbsafe_provider_free(raw_); }

  dbsafe_provider *raw() const { return raw_; }

  // c/provider.h: one thread at a time per handle. index.js queues the calls
  // of one Provider; this lock makes it so whatever the caller does.
  std::mutex mutex;
  // dbsafe_provider_requests_made as of the last call that ended: read on
  // the JS thread while a call may be counting.
  std::atomic<uint64_t> requests{0};

 private:
  dbsafe_provider *raw_;
};

// What the External of an open provider holds; `handle` is empty once closed.
struct ProviderSlot {
  std::shared_ptr<ProviderHandle> handle;
};

ProviderSlot *ProviderArgument(Napi::Env env, const Napi::Value &value) {
  if (value.IsExternal() &&
      value.As<Napi::External<ProviderSlot>>().CheckTypeTag(&kProviderTypeTag)) {
    return value.As<Napi::External<ProviderSlot>>().Data();
  }
  ThrowType(env, "expected a provider made by providerOpen()");
}

// The open provider behind `value`; a DBSAFE_EINVALID error once it is closed.
std::shared_ptr<ProviderHandle> OpenProviderArgument(Napi::Env env, const Napi::Value &value) {
  ProviderSlot *slot = ProviderArgument(env, value);
  if (!slot->handle) {
    ErrorInfo closed;
    closed.code = DBSAFE_EINVALID;
    closed.message = "dbsafe: the provider is closed; open another one with openProvider()";
    throw Napi::Error(env, MakeError(env, closed));
  }
  return slot->handle;
}

// Which call of include/dbsafe/c/provider.h a request makes.
enum class ProviderCommand {
  ListBranches,
  CreateBranch,
  DeleteBranch,
  RestoreBranch,
  ConnectionUrl,
  ListSnapshots,
  CreateSnapshot,
  DeleteSnapshot,
  RestoreSnapshot,
  Rotate,
  Retention,
  Prune,
};

// What one provider call runs on, read on the JS thread. Connection URLs and
// the options may hold secrets: never put in a message here.
struct ProviderRequest {
  ProviderCommand command = ProviderCommand::ListBranches;
  std::shared_ptr<ProviderHandle> handle;
  std::string name_or_id;                          // delete, restore, connection URL
  std::string at_timestamp;                        // restore branch
  std::optional<std::string> preserve_under_name;  // restore branch
  bool pooled = false;                             // connection URL
  std::optional<std::string> options_json;         // nullopt: the library's defaults
  uint32_t timeout_ms = 0;
};

// Runs the provider call with the given token and callbacks, holding the
// handle's lock; fills `out` (empty for a delete) or `error`.
bool RunProvider(const ProviderRequest &request, dbsafe_cancel *cancel, dbsafe_progress_fn progress,
                 dbsafe_log_fn log, void *payload, std::string *out, ErrorInfo *error) {
  dbsafe_call_options call = DBSAFE_CALL_OPTIONS_INIT;
  call.cancel = cancel;
  call.timeout_ms = request.timeout_ms;
  call.log = log;
  call.progress = progress;
  call.payload = payload;

  ProviderHandle &handle = *request.handle;
  std::lock_guard<std::mutex> lock(handle.mutex);
  dbsafe_provider *provider = handle.raw();
  const char *name = request.name_or_id.c_str();
  const char *options = request.options_json ? request.options_json->c_str() : nullptr;
  OwnedBuf result;
  dbsafe_error *err = nullptr;
  int status = DBSAFE_ERROR;
  switch (request.command) {
    case ProviderCommand::ListBranches:
      status = dbsafe_provider_list_branches(result.get(), provider, &call, &err);
      break;
    case ProviderCommand::CreateBranch:
      status = dbsafe_provider_create_branch(result.get(), provider, options, &call, &err);
      break;
    case ProviderCommand::DeleteBranch:
      status = dbsafe_provider_delete_branch(provider, name, &call, &err);
      break;
    case ProviderCommand::RestoreBranch:
      status = dbsafe_provider_restore_branch(
          result.get(), provider, name, request.at_timestamp.c_str(),
          request.preserve_under_name ? request.preserve_under_name->c_str() : nullptr, &call,
          &err);
      break;
    case ProviderCommand::ConnectionUrl:
      status =
          dbsafe_provider_connection_url(result.get(), provider, name, request.pooled, &call, &err);
      break;
    case ProviderCommand::ListSnapshots:
      status = dbsafe_provider_list_snapshots(result.get(), provider, &call, &err);
      break;
    case ProviderCommand::CreateSnapshot:
      status = dbsafe_provider_create_snapshot(result.get(), provider, options, &call, &err);
      break;
    case ProviderCommand::DeleteSnapshot:
      status = dbsafe_provider_delete_snapshot(provider, name, &call, &err);
      break;
    case ProviderCommand::RestoreSnapshot:
      status = dbsafe_provider_restore_snapshot(result.get(), provider, name, options, &call, &err);
      break;
    case ProviderCommand::Rotate:
      status = dbsafe_snapshot_rotate(result.get(), provider, options, &call, &err);
      break;
    case ProviderCommand::Retention:
      status = dbsafe_snapshot_retention(result.get(), provider, options, &call, &err);
      break;
    case ProviderCommand::Prune:
      status = dbsafe_branch_prune(result.get(), provider, options, &call, &err);
      break;
  }
  handle.requests.store(dbsafe_provider_requests_made(provider));
  if (status != DBSAFE_OK) {
    *error = TakeError(status, err);
    return false;
  }
  dbsafe_error_free(err);  // NULL on success; freed anyway in case
  *out = result.str();
  return true;
}

class ProviderWorker final : public CallWorker {
 public:
  ProviderWorker(Napi::Env env, ProviderRequest request)
      : CallWorker(env, "dbsafe.provider", "provider call"), request_(std::move(request)) {}

 protected:
  bool Run(dbsafe_cancel *cancel, dbsafe_progress_fn progress, void *payload, std::string *out,
           ErrorInfo *error) override {
    return RunProvider(request_, cancel, progress, LogCallback(), payload, out, error);
  }

 private:
  ProviderRequest request_;
};

class DeployWorker final : public CallWorker {
 public:
  DeployWorker(Napi::Env env, DeployRequest request, const char *name, const char *verb)
      : CallWorker(env, name, verb), request_(std::move(request)) {}

 protected:
  bool Run(dbsafe_cancel *cancel, dbsafe_progress_fn progress, void *payload, std::string *out,
           ErrorInfo *error) override {
    return RunDeploy(request_, cancel, progress, LogCallback(), payload, out, error);
  }

 private:
  DeployRequest request_;
};

class BackupWorker final : public CallWorker {
 public:
  BackupWorker(Napi::Env env, const char *resource, const char *what, BackupRequest request)
      : CallWorker(env, resource, what), request_(std::move(request)) {}

 protected:
  bool Run(dbsafe_cancel *cancel, dbsafe_progress_fn progress, void *payload, std::string *out,
           ErrorInfo *error) override {
    return RunBackup(request_, cancel, progress, LogCallback(), payload, out, error);
  }

 private:
  BackupRequest request_;
};

// The cancel token, progress callback and log choice of an asynchronous call,
// checked on the JS thread before any work is queued.
struct AsyncArguments {
  Napi::Value cancel_value;
  dbsafe_cancel *cancel = nullptr;
  Napi::Value progress;
  bool log = false;  // the call's log lines go to `progress` too (provider calls)
};

AsyncArguments ReadAsyncArguments(Napi::Env env, const Napi::Value &cancel_value,
                                  const Napi::Value &progress) {
  AsyncArguments args;
  args.cancel_value = cancel_value;
  args.cancel = IsMissing(cancel_value) ? nullptr : CancelArgument(env, cancel_value);
  if (!IsMissing(progress) && !progress.IsFunction()) {
    ThrowType(env, "onProgress must be a function");
  }
  args.progress = progress;
  return args;
}

// Takes ownership of `worker`, hands it the token and callback, queues it and
// returns its promise.
Napi::Value QueueCall(Napi::Env env, CallWorker *worker, const AsyncArguments &args) {
  Napi::Promise promise = worker->Promise();
  try {
    if (args.cancel != nullptr) worker->HoldCancel(args.cancel_value, args.cancel);
    if (!IsMissing(args.progress)) {
      worker->ForwardProgress(env, args.progress.As<Napi::Function>(), args.log);
    }
  } catch (...) {
    delete worker;
    throw;
  }
  worker->Queue();
  return promise;
}

// version() -> "0.1.0"
Napi::Value Version(const Napi::CallbackInfo &info) {
  return Napi::String::New(info.Env(), dbsafe_version_string());
}

// versionInfo() -> {major, minor, patch}
Napi::Value VersionInfo(const Napi::CallbackInfo &info) {
  int major = 0;
  int minor = 0;
  int patch = 0;
  dbsafe_version(&major, &minor, &patch);
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("major", major);
  out.Set("minor", minor);
  out.Set("patch", patch);
  return out;
}

// abiVersion() -> number
Napi::Value AbiVersion(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), dbsafe_abi_version());
}

// statusName(code) -> "DBSAFE_ENOTFOUND"
Napi::Value StatusName(const Napi::CallbackInfo &info) {
  if (info.Length() < 1 || !info[0].IsNumber()) ThrowType(info.Env(), "status must be a number");
  return Napi::String::New(info.Env(), dbsafe_status_name(info[0].As<Napi::Number>().Int32Value()));
}

// cancelNew() -> External (type-tagged), freed by the GC.
Napi::Value CancelNew(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  dbsafe_cancel *raw = nullptr;
  dbsafe_error *err = nullptr;
  const int status = dbsafe_cancel_new(&raw, &err);
  if (status != DBSAFE_OK) {
    const ErrorInfo error = TakeError(status, err);
    throw Napi::Error(env, MakeError(env, error));
  }
  dbsafe_error_free(err);
  std::unique_ptr<dbsafe_cancel, void (*)(dbsafe_cancel *)> cancel(raw, dbsafe_cancel_free);
  auto external = Napi::External<dbsafe_cancel>::New(
      env, cancel.get(), [](Napi::Env, dbsafe_cancel *token) { dbsafe_cancel_free(token); });
  cancel.release();  // the finalizer owns it now
  external.TypeTag(&kCancelTypeTag);
  return external;
}

// cancelRequest(token): any number of times.
Napi::Value CancelRequest(const Napi::CallbackInfo &info) {
  dbsafe_cancel_request(CancelArgument(info.Env(), info[0]));
  return info.Env().Undefined();
}

// cancelIsRequested(token) -> boolean
Napi::Value CancelIsRequested(const Napi::CallbackInfo &info) {
  dbsafe_cancel *cancel = CancelArgument(info.Env(), info[0]);
  return Napi::Boolean::New(info.Env(), dbsafe_cancel_is_requested(cancel));
}

// migrationsOpen(path, options, cancel|null, onProgress|null) -> Promise<string>
Napi::Value MigrationsOpen(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path = PathArgument(info, 0);
  const ListOptions options = ParseListOptions(env, info[1]);
  const AsyncArguments args = ReadAsyncArguments(env, info[2], info[3]);
  return QueueCall(env, new ListingWorker(env, std::move(path), options), args);
}

// migrationsOpenSync(path, options) -> string
Napi::Value MigrationsOpenSync(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  const std::string path = PathArgument(info, 0);
  const ListOptions options = ParseListOptions(env, info[1]);
  std::string listing;
  ErrorInfo error;
  if (!RunListing(path, options, nullptr, nullptr, nullptr, &listing, &error)) {
    throw Napi::Error(env, MakeError(env, error));
  }
  return Napi::String::New(env, listing);
}

// check(paths, optionsJson|null, cancel|null, onProgress|null, timeoutMs?)
//   -> Promise<string>
Napi::Value Check(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  CheckRequest request = ReadCheckRequest(info, 1, 4);
  const AsyncArguments args = ReadAsyncArguments(env, info[2], info[3]);
  return QueueCall(env, new CheckWorker(env, "dbsafe.check", "check", std::move(request)), args);
}

// checkSync(paths, optionsJson|null, timeoutMs?) -> string
Napi::Value CheckSync(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  const CheckRequest request = ReadCheckRequest(info, 1, 2);
  std::string report;
  ErrorInfo error;
  if (!RunCheck(request, nullptr, nullptr, nullptr, &report, &error)) {
    throw Napi::Error(env, MakeError(env, error));
  }
  return Napi::String::New(env, report);
}

// stats(databaseUrl, cancel|null, onProgress|null, timeoutMs?) -> Promise<string>
Napi::Value Stats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  StatsRequest request = ReadStatsRequest(info, 3);
  const AsyncArguments args = ReadAsyncArguments(env, info[1], info[2]);
  return QueueCall(
      env, new StatsWorker(env, "dbsafe.stats", "stats collection", std::move(request)), args);
}

// statsSync(databaseUrl, timeoutMs?) -> string
Napi::Value StatsSync(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  const StatsRequest request = ReadStatsRequest(info, 1);
  std::string stats;
  ErrorInfo error;
  if (!RunStats(request, nullptr, nullptr, nullptr, &stats, &error)) {
    throw Napi::Error(env, MakeError(env, error));
  }
  return Napi::String::New(env, stats);
}

// The migrate calls have no synchronous variant: a deploy can run for minutes
// and must stay cancellable, so it never blocks the event loop.

// migrateStatus(dir, optionsJson|null, cancel|null, onProgress|null, timeoutMs?)
//   -> Promise<string>
Napi::Value MigrateStatus(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  MigrateRequest request = ReadMigrateRequest(info, MigrateCommand::Status, 1);
  const AsyncArguments args = ReadAsyncArguments(env, info[2], info[3]);
  return QueueCall(
      env, new MigrateWorker(env, "dbsafe.migrate", "migrate call", std::move(request)), args);
}

// migrateDeploy(dir, optionsJson|null, cancel|null, onProgress|null, timeoutMs?)
//   -> Promise<string>
Napi::Value MigrateDeploy(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  MigrateRequest request = ReadMigrateRequest(info, MigrateCommand::Deploy, 1);
  const AsyncArguments args = ReadAsyncArguments(env, info[2], info[3]);
  return QueueCall(
      env, new MigrateWorker(env, "dbsafe.migrate", "migrate call", std::move(request)), args);
}

// migrateResolve(dir, name, 'applied'|'rolled-back', optionsJson|null, cancel|null,
//                onProgress|null, timeoutMs?) -> Promise<string>
Napi::Value MigrateResolve(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  MigrateRequest request = ReadMigrateRequest(info, MigrateCommand::Resolve, 3);
  const AsyncArguments args = ReadAsyncArguments(env, info[4], info[5]);
  return QueueCall(
      env, new MigrateWorker(env, "dbsafe.migrate", "migrate call", std::move(request)), args);
}

// migrateBaseline(dir, name, optionsJson|null, cancel|null, onProgress|null, timeoutMs?)
//   -> Promise<string>
Napi::Value MigrateBaseline(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  MigrateRequest request = ReadMigrateRequest(info, MigrateCommand::Baseline, 2);
  const AsyncArguments args = ReadAsyncArguments(env, info[3], info[4]);
  return QueueCall(
      env, new MigrateWorker(env, "dbsafe.migrate", "migrate call", std::move(request)), args);
}

// The schema calls have no synchronous variant either: a drift check replays
// the migrations on a shadow database.

// Queues one schema call; the cancel token and callback follow optionsJson.
Napi::Value QueueSchemaCall(const Napi::CallbackInfo &info, SchemaCommand command) {
  Napi::Env env = info.Env();
  size_t options_index = 0;
  SchemaRequest request = ReadSchemaRequest(info, command, &options_index);
  const AsyncArguments args =
      ReadAsyncArguments(env, info[options_index + 1], info[options_index + 2]);
  return QueueCall(env, new SchemaWorker(env, "dbsafe.schema", "schema call", std::move(request)),
                   args);
}

// schemaDump(databaseUrl, 'sql'|'json', optionsJson|null, cancel|null, onProgress|null,
//            timeoutMs?) -> Promise<string>
Napi::Value SchemaDump(const Napi::CallbackInfo &info) {
  return QueueSchemaCall(info, SchemaCommand::Dump);
}

// schemaRender(source, 'sql'|'json', optionsJson|null, cancel|null, onProgress|null,
//              timeoutMs?) -> Promise<string>
Napi::Value SchemaRender(const Napi::CallbackInfo &info) {
  return QueueSchemaCall(info, SchemaCommand::Render);
}

// schemaDiff(from, to, optionsJson|null, cancel|null, onProgress|null, timeoutMs?)
//   -> Promise<string>
Napi::Value SchemaDiff(const Napi::CallbackInfo &info) {
  return QueueSchemaCall(info, SchemaCommand::Diff);
}

// drift(databaseUrl, dir, optionsJson|null, cancel|null, onProgress|null, timeoutMs?)
//   -> Promise<string>
Napi::Value Drift(const Napi::CallbackInfo &info) {
  return QueueSchemaCall(info, SchemaCommand::Drift);
}

// verify(databaseUrl, dir, optionsJson|null, cancel|null, onProgress|null, timeoutMs?)
//   -> Promise<string>
Napi::Value Verify(const Napi::CallbackInfo &info) {
  return QueueSchemaCall(info, SchemaCommand::Verify);
}

// migrateBaselineFromDatabase(dir, optionsJson|null, cancel|null, onProgress|null,
//                             timeoutMs?) -> Promise<string>
Napi::Value MigrateBaselineFromDatabase(const Napi::CallbackInfo &info) {
  return QueueSchemaCall(info, SchemaCommand::BaselineFromDatabase);
}

// deploy(optionsJson, cancel|null, onEvent|null, withLog, timeoutMs?) -> Promise<string>
// restore(...), the same for the guarded restore. Like the migrate calls
// they have no synchronous variant: they change the database and must stay
// cancellable without blocking the event loop.
Napi::Value QueueDeployCall(const Napi::CallbackInfo &info, bool restore) {
  Napi::Env env = info.Env();
  DeployRequest request;
  request.restore = restore;
  const std::optional<std::string> options_json = OptionalString(env, info[0], "optionsJson");
  if (!options_json) ThrowType(env, "optionsJson must be a string");
  request.options_json = *options_json;
  AsyncArguments args = ReadAsyncArguments(env, info[1], info[2]);
  if (!IsMissing(info[3]) && !info[3].IsBoolean()) ThrowType(env, "withLog must be a boolean");
  args.log = info[3].IsBoolean() && info[3].As<Napi::Boolean>().Value();
  request.timeout_ms = TimeoutArgument(env, info[4]);
  auto *worker = restore ? new DeployWorker(env, std::move(request), "dbsafe.restore", "restore")
                         : new DeployWorker(env, std::move(request), "dbsafe.deploy", "deploy");
  return QueueCall(env, worker, args);
}

Napi::Value Deploy(const Napi::CallbackInfo &info) {
  return QueueDeployCall(info, false);
}
Napi::Value Restore(const Napi::CallbackInfo &info) {
  return QueueDeployCall(info, true);
}

// backupCreate / backupVerify / backupRestore / backupPrune(optionsJson,
// cancel|null, onEvent|null, withLog, timeoutMs?) -> Promise<string>. They
// run pg_dump, pg_restore or psql for as long as a database takes: always on
// the pool, always cancellable.
Napi::Value QueueBackup(const Napi::CallbackInfo &info, BackupCommand command, const char *resource,
                        const char *what) {
  Napi::Env env = info.Env();
  BackupRequest request;
  request.command = command;
  const std::optional<std::string> options_json = OptionalString(env, info[0], "optionsJson");
  if (!options_json) ThrowType(env, "optionsJson must be a string");
  request.options_json = *options_json;
  AsyncArguments args = ReadAsyncArguments(env, info[1], info[2]);
  if (!IsMissing(info[3]) && !info[3].IsBoolean()) ThrowType(env, "withLog must be a boolean");
  args.log = info[3].IsBoolean() && info[3].As<Napi::Boolean>().Value();
  request.timeout_ms = TimeoutArgument(env, info[4]);
  return QueueCall(env, new BackupWorker(env, resource, what, std::move(request)), args);
}

Napi::Value BackupCreate(const Napi::CallbackInfo &info) {
  return QueueBackup(info, BackupCommand::Create, "dbsafe.backupCreate", "backup create");
}
Napi::Value BackupVerify(const Napi::CallbackInfo &info) {
  return QueueBackup(info, BackupCommand::Verify, "dbsafe.backupVerify", "backup verify");
}
Napi::Value BackupRestore(const Napi::CallbackInfo &info) {
  return QueueBackup(info, BackupCommand::Restore, "dbsafe.backupRestore", "backup restore");
}
Napi::Value BackupPrune(const Napi::CallbackInfo &info) {
  return QueueBackup(info, BackupCommand::Prune, "dbsafe.backupPrune", "backup prune");
}
// copy(optionsJson, cancel|null, onEvent|null, withLog, timeoutMs?) ->
// Promise<string>: the SQLite copy (c/copy.h), on the pool like a backup.
Napi::Value Copy(const Napi::CallbackInfo &info) {
  return QueueBackup(info, BackupCommand::Copy, "dbsafe.copy", "copy");
}

// maintenance(optionsJson, cancel|null, onEvent|null, withLog, timeoutMs?)
// -> Promise<string>: the read-only window. It waits on the server (an
// advisory lock, pg_terminate_backend's wait), so it runs on the pool too.
Napi::Value Maintenance(const Napi::CallbackInfo &info) {
  return QueueBackup(info, BackupCommand::Maintenance, "dbsafe.maintenance", "maintenance");
}

// The provider calls. Opening does no network I/O (and a local provider
// connects only when called), so providerOpen is synchronous; every other
// call runs on the pool, with a cancel token, and may forward its log lines.

// providerOpen(optionsJson|null) -> External (type-tagged), freed by
// providerClose() or the GC. The options may hold the Neon API key: the
// library never puts it in a message.
Napi::Value ProviderOpen(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  const std::optional<std::string> options_json = OptionalString(env, info[0], "optionsJson");
  dbsafe_provider *raw = nullptr;
  dbsafe_error *err = nullptr;
  const int status =
      dbsafe_provider_open(&raw, options_json ? options_json->c_str() : nullptr, &err);
  if (status != DBSAFE_OK) {
    const ErrorInfo error = TakeError(status, err);
    throw Napi::Error(env, MakeError(env, error));
  }
  dbsafe_error_free(err);
  auto slot = std::make_unique<ProviderSlot>();
  slot->handle = std::make_shared<ProviderHandle>(raw);
  auto external = Napi::External<ProviderSlot>::New(
      env, slot.get(), [](Napi::Env, ProviderSlot *owned) { delete owned; });
  slot.release();  // the finalizer owns it now
  external.TypeTag(&kProviderTypeTag);
  return external;
}

// providerClose(provider): frees the handle once no call uses it. Any number
// of times.
Napi::Value ProviderClose(const Napi::CallbackInfo &info) {
  ProviderArgument(info.Env(), info[0])->handle.reset();
  return info.Env().Undefined();
}

// providerIsOpen(provider) -> boolean
Napi::Value ProviderIsOpen(const Napi::CallbackInfo &info) {
  return Napi::Boolean::New(info.Env(),
                            static_cast<bool>(ProviderArgument(info.Env(), info[0])->handle));
}

// providerRequestsMade(provider) -> number: HTTP requests made by the calls
// that ended (neon; 0 for local).
Napi::Value ProviderRequestsMade(const Napi::CallbackInfo &info) {
  const std::shared_ptr<ProviderHandle> handle = OpenProviderArgument(info.Env(), info[0]);
  return Napi::Number::New(info.Env(), static_cast<double>(handle->requests.load()));
}

// Reads (provider, [nameOrId, [atTimestamp, preserveUnderName | pooled]],
// [optionsJson,] cancel, onEvent, withLog, timeoutMs) for `command`, and
// queues the call. onEvent(eventJson) gets progress events and, when withLog
// is true, onEvent(undefined, level, component, message) the log lines.
Napi::Value QueueProviderCall(const Napi::CallbackInfo &info, ProviderCommand command) {
  Napi::Env env = info.Env();
  ProviderRequest request;
  request.command = command;
  request.handle = OpenProviderArgument(env, info[0]);
  size_t next = 1;
  switch (command) {
    case ProviderCommand::DeleteBranch:
    case ProviderCommand::DeleteSnapshot:
      request.name_or_id = TextArgument(info, next++, "nameOrId");
      break;
    case ProviderCommand::RestoreBranch:
      request.name_or_id = TextArgument(info, next++, "nameOrId");
      request.at_timestamp = TextArgument(info, next++, "atTimestamp");
      request.preserve_under_name = OptionalString(env, info[next++], "preserveUnderName");
      break;
    case ProviderCommand::ConnectionUrl:
      request.name_or_id = TextArgument(info, next++, "nameOrId");
      if (!info[next].IsBoolean()) ThrowType(env, "pooled must be a boolean");
      request.pooled = info[next++].As<Napi::Boolean>().Value();
      break;
    case ProviderCommand::RestoreSnapshot:
      request.name_or_id = TextArgument(info, next++, "nameOrId");
      request.options_json = OptionalString(env, info[next++], "optionsJson");
      break;
    case ProviderCommand::CreateBranch:
    case ProviderCommand::CreateSnapshot:
    case ProviderCommand::Rotate:
    case ProviderCommand::Retention:
    case ProviderCommand::Prune:
      request.options_json = OptionalString(env, info[next++], "optionsJson");
      break;
    case ProviderCommand::ListBranches:
    case ProviderCommand::ListSnapshots:
      break;
  }
  AsyncArguments args = ReadAsyncArguments(env, info[next], info[next + 1]);
  if (!IsMissing(info[next + 2]) && !info[next + 2].IsBoolean()) {
    ThrowType(env, "withLog must be a boolean");
  }
  args.log = info[next + 2].IsBoolean() && info[next + 2].As<Napi::Boolean>().Value();
  request.timeout_ms = TimeoutArgument(env, info[next + 3]);
  return QueueCall(env, new ProviderWorker(env, std::move(request)), args);
}

// providerListBranches(provider, cancel|null, onEvent|null, withLog, timeoutMs?)
//   -> Promise<string>
Napi::Value ProviderListBranches(const Napi::CallbackInfo &info) {
  return QueueProviderCall(info, ProviderCommand::ListBranches);
}

// providerCreateBranch(provider, optionsJson|null, cancel|null, onEvent|null, withLog,
//                      timeoutMs?) -> Promise<string>
Napi::Value ProviderCreateBranch(const Napi::CallbackInfo &info) {
  return QueueProviderCall(info, ProviderCommand::CreateBranch);
}

// providerDeleteBranch(provider, nameOrId, cancel|null, onEvent|null, withLog, timeoutMs?)
//   -> Promise<string> ("")
Napi::Value ProviderDeleteBranch(const Napi::CallbackInfo &info) {
  return QueueProviderCall(info, ProviderCommand::DeleteBranch);
}

// providerRestoreBranch(provider, nameOrId, atTimestamp, preserveUnderName|null,
//                       cancel|null, onEvent|null, withLog, timeoutMs?) -> Promise<string>
Napi::Value ProviderRestoreBranch(const Napi::CallbackInfo &info) {
  return QueueProviderCall(info, ProviderCommand::RestoreBranch);
}

// providerConnectionUrl(provider, nameOrId, pooled, cancel|null, onEvent|null, withLog,
//                       timeoutMs?) -> Promise<string>
Napi::Value ProviderConnectionUrl(const Napi::CallbackInfo &info) {
  return QueueProviderCall(info, ProviderCommand::ConnectionUrl);
}

// providerListSnapshots(provider, cancel|null, onEvent|null, withLog, timeoutMs?)
//   -> Promise<string>
Napi::Value ProviderListSnapshots(const Napi::CallbackInfo &info) {
  return QueueProviderCall(info, ProviderCommand::ListSnapshots);
}

// providerCreateSnapshot(provider, optionsJson|null, cancel|null, onEvent|null, withLog,
//                        timeoutMs?) -> Promise<string>
Napi::Value ProviderCreateSnapshot(const Napi::CallbackInfo &info) {
  return QueueProviderCall(info, ProviderCommand::CreateSnapshot);
}

// providerDeleteSnapshot(provider, nameOrId, cancel|null, onEvent|null, withLog, timeoutMs?)
//   -> Promise<string> ("")
Napi::Value ProviderDeleteSnapshot(const Napi::CallbackInfo &info) {
  return QueueProviderCall(info, ProviderCommand::DeleteSnapshot);
}

// providerRestoreSnapshot(provider, nameOrId, optionsJson|null, cancel|null, onEvent|null,
//                         withLog, timeoutMs?) -> Promise<string>
Napi::Value ProviderRestoreSnapshot(const Napi::CallbackInfo &info) {
  return QueueProviderCall(info, ProviderCommand::RestoreSnapshot);
}

// snapshotRotate(provider, optionsJson|null, cancel|null, onEvent|null, withLog, timeoutMs?)
//   -> Promise<string>
Napi::Value SnapshotRotate(const Napi::CallbackInfo &info) {
  return QueueProviderCall(info, ProviderCommand::Rotate);
}

// snapshotRetention(provider, optionsJson|null, cancel|null, onEvent|null, withLog,
//                   timeoutMs?) -> Promise<string>
Napi::Value SnapshotRetention(const Napi::CallbackInfo &info) {
  return QueueProviderCall(info, ProviderCommand::Retention);
}

// branchPrune(provider, optionsJson|null, cancel|null, onEvent|null, withLog, timeoutMs?)
//   -> Promise<string>
Napi::Value BranchPrune(const Napi::CallbackInfo &info) {
  return QueueProviderCall(info, ProviderCommand::Prune);
}

// checkSql(sql: string|Buffer|Uint8Array, name|null, optionsJson|null) -> string
Napi::Value CheckSql(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string sql;
  if (info.Length() > 0 && info[0].IsString()) {
    sql = info[0].As<Napi::String>().Utf8Value();
  } else if (info.Length() > 0 && info[0].IsTypedArray() &&
             info[0].As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
    const auto bytes = info[0].As<Napi::Uint8Array>();
    sql.assign(reinterpret_cast<const char *>(bytes.Data()), bytes.ByteLength());
  } else {
    ThrowType(env, "sql must be a string, a Buffer or a Uint8Array");
  }
  const std::optional<std::string> name = OptionalString(env, info[1], "name");
  const std::optional<std::string> options_json = OptionalString(env, info[2], "optionsJson");

  OwnedBuf report;
  dbsafe_error *err = nullptr;
  const int status =
      dbsafe_check_sql(report.get(), sql.data(), sql.size(), name ? name->c_str() : nullptr,
                       options_json ? options_json->c_str() : nullptr, &err);
  if (status != DBSAFE_OK) {
    const ErrorInfo error = TakeError(status, err);
    throw Napi::Error(env, MakeError(env, error));
  }
  dbsafe_error_free(err);
  return Napi::String::New(env, report.str());
}

// checksumMatches(script: string|Buffer|Uint8Array, stored: string) -> boolean
Napi::Value ChecksumMatches(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[1].IsString()) ThrowType(env, "stored checksum must be a string");
  const std::string stored = info[1].As<Napi::String>().Utf8Value();
  if (stored.find('\0') != std::string::npos) {
    return Napi::Boolean::New(env, false);
  }
  int matches = 0;
  if (info[0].IsString()) {
    const std::string script = info[0].As<Napi::String>().Utf8Value();
    matches = dbsafe_checksum_matches(script.data(), script.size(), stored.c_str());
  } else if (info[0].IsTypedArray() &&
             info[0].As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
    const auto bytes = info[0].As<Napi::Uint8Array>();
    matches = dbsafe_checksum_matches(reinterpret_cast<const char *>(bytes.Data()),
                                      bytes.ByteLength(), stored.c_str());
  } else {
    ThrowType(env, "script must be a string, a Buffer or a Uint8Array");
  }
  return Napi::Boolean::New(env, matches == 1);
}

#if !defined(_WIN32)
// While the CLI runs, its output fds must block: Node may have switched a pipe
// to O_NONBLOCK, and a full pipe would then drop the CLI's output.
class BlockingFds {
 public:
  BlockingFds() {
    for (int fd = 0; fd < 3; ++fd) {
      flags_[fd] = fcntl(fd, F_GETFL);
      if (flags_[fd] != -1 && (flags_[fd] & O_NONBLOCK) != 0) {
        fcntl(fd, F_SETFL, flags_[fd] & ~O_NONBLOCK);
      }
    }
  }
  BlockingFds(const BlockingFds &) = delete;
  BlockingFds &operator=(const BlockingFds &) = delete;
  ~BlockingFds() {
    for (int fd = 0; fd < 3; ++fd) {
      if (flags_[fd] != -1 && (flags_[fd] & O_NONBLOCK) != 0) fcntl(fd, F_SETFL, flags_[fd]);
    }
  }

 private:
  int flags_[3] = {-1, -1, -1};
};
#endif

// cliMain(argv: string[]) -> exit code. argv[0] is the program name.
Napi::Value CliMain(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) ThrowType(env, "argv must be an array of strings");
  const Napi::Array array = info[0].As<Napi::Array>();
  std::vector<std::string> args;
  args.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    const Napi::Value arg = array.Get(i);
    if (!arg.IsString()) ThrowType(env, "argv must be an array of strings");
    args.push_back(arg.As<Napi::String>().Utf8Value());
  }
  if (args.empty()) args.emplace_back("dbsafe");
  std::vector<const char *> argv;
  argv.reserve(args.size() + 1);
  for (const std::string &arg : args) argv.push_back(arg.c_str());
  argv.push_back(nullptr);

  int code = 0;
  {
#if !defined(_WIN32)
    BlockingFds blocking;
#endif
    std::fflush(nullptr);
    code = dbsafe_cli_main(static_cast<int>(args.size()), argv.data());
    std::fflush(nullptr);
  }
  return Napi::Number::New(env, code);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  if (dbsafe_abi_version() != DBSAFE_ABI_VERSION) {
    throw Napi::Error::New(env, "dbsafe: the addon was compiled for C ABI version " +
                                    std::to_string(DBSAFE_ABI_VERSION) +
                                    " but the library reports " +
                                    std::to_string(dbsafe_abi_version()) +
                                    "; rebuild the addon (npm install in bindings/node)");
  }
  exports.Set("version", Napi::Function::New(env, Version, "version"));
  exports.Set("versionInfo", Napi::Function::New(env, VersionInfo, "versionInfo"));
  exports.Set("abiVersion", Napi::Function::New(env, AbiVersion, "abiVersion"));
  exports.Set("statusName", Napi::Function::New(env, StatusName, "statusName"));
  exports.Set("cancelNew", Napi::Function::New(env, CancelNew, "cancelNew"));
  exports.Set("cancelRequest", Napi::Function::New(env, CancelRequest, "cancelRequest"));
  exports.Set("cancelIsRequested",
              Napi::Function::New(env, CancelIsRequested, "cancelIsRequested"));
  exports.Set("migrationsOpen", Napi::Function::New(env, MigrationsOpen, "migrationsOpen"));
  exports.Set("migrationsOpenSync",
              Napi::Function::New(env, MigrationsOpenSync, "migrationsOpenSync"));
  exports.Set("check", Napi::Function::New(env, Check, "check"));
  exports.Set("checkSync", Napi::Function::New(env, CheckSync, "checkSync"));
  exports.Set("checkSql", Napi::Function::New(env, CheckSql, "checkSql"));
  exports.Set("stats", Napi::Function::New(env, Stats, "stats"));
  exports.Set("statsSync", Napi::Function::New(env, StatsSync, "statsSync"));
  exports.Set("migrateStatus", Napi::Function::New(env, MigrateStatus, "migrateStatus"));
  exports.Set("migrateDeploy", Napi::Function::New(env, MigrateDeploy, "migrateDeploy"));
  exports.Set("migrateResolve", Napi::Function::New(env, MigrateResolve, "migrateResolve"));
  exports.Set("migrateBaseline", Napi::Function::New(env, MigrateBaseline, "migrateBaseline"));
  exports.Set("migrateBaselineFromDatabase",
              Napi::Function::New(env, MigrateBaselineFromDatabase, "migrateBaselineFromDatabase"));
  exports.Set("schemaDump", Napi::Function::New(env, SchemaDump, "schemaDump"));
  exports.Set("schemaRender", Napi::Function::New(env, SchemaRender, "schemaRender"));
  exports.Set("schemaDiff", Napi::Function::New(env, SchemaDiff, "schemaDiff"));
  exports.Set("drift", Napi::Function::New(env, Drift, "drift"));
  exports.Set("verify", Napi::Function::New(env, Verify, "verify"));
  exports.Set("deploy", Napi::Function::New(env, Deploy, "deploy"));
  exports.Set("restore", Napi::Function::New(env, Restore, "restore"));
  exports.Set("backupCreate", Napi::Function::New(env, BackupCreate, "backupCreate"));
  exports.Set("backupVerify", Napi::Function::New(env, BackupVerify, "backupVerify"));
  exports.Set("backupRestore", Napi::Function::New(env, BackupRestore, "backupRestore"));
  exports.Set("backupPrune", Napi::Function::New(env, BackupPrune, "backupPrune"));
  exports.Set("maintenance", Napi::Function::New(env, Maintenance, "maintenance"));
  exports.Set("copy", Napi::Function::New(env, Copy, "copy"));
  exports.Set("providerOpen", Napi::Function::New(env, ProviderOpen, "providerOpen"));
  exports.Set("providerClose", Napi::Function::New(env, ProviderClose, "providerClose"));
  exports.Set("providerIsOpen", Napi::Function::New(env, ProviderIsOpen, "providerIsOpen"));
  exports.Set("providerRequestsMade",
              Napi::Function::New(env, ProviderRequestsMade, "providerRequestsMade"));
  exports.Set("providerListBranches",
              Napi::Function::New(env, ProviderListBranches, "providerListBranches"));
  exports.Set("providerCreateBranch",
              Napi::Function::New(env, ProviderCreateBranch, "providerCreateBranch"));
  exports.Set("providerDeleteBranch",
              Napi::Function::New(env, ProviderDeleteBranch, "providerDeleteBranch"));
  exports.Set("providerRestoreBranch",
              Napi::Function::New(env, ProviderRestoreBranch, "providerRestoreBranch"));
  exports.Set("providerConnectionUrl",
              Napi::Function::New(env, ProviderConnectionUrl, "providerConnectionUrl"));
  exports.Set("providerListSnapshots",
              Napi::Function::New(env, ProviderListSnapshots, "providerListSnapshots"));
  exports.Set("providerCreateSnapshot",
              Napi::Function::New(env, ProviderCreateSnapshot, "providerCreateSnapshot"));
  exports.Set("providerDeleteSnapshot",
              Napi::Function::New(env, ProviderDeleteSnapshot, "providerDeleteSnapshot"));
  exports.Set("providerRestoreSnapshot",
              Napi::Function::New(env, ProviderRestoreSnapshot, "providerRestoreSnapshot"));
  exports.Set("snapshotRotate", Napi::Function::New(env, SnapshotRotate, "snapshotRotate"));
  exports.Set("snapshotRetention",
              Napi::Function::New(env, SnapshotRetention, "snapshotRetention"));
  exports.Set("branchPrune", Napi::Function::New(env, BranchPrune, "branchPrune"));
  exports.Set("checksumMatches", Napi::Function::New(env, ChecksumMatches, "checksumMatches"));
  exports.Set("cliMain", Napi::Function::New(env, CliMain, "cliMain"));
  exports.Set("ABI_VERSION", Napi::Number::New(env, DBSAFE_ABI_VERSION));
  return exports;
}

}  // namespace

NODE_API_MODULE(dbsafe, Init)
