// dbsafe._dbsafe: the native layer of the Python binding, a thin pybind11 module over the stable
// C ABI (dbsafe.h only). The idiomatic API (dataclasses, exception classes, logging) is the pure
// Python package around it.
//
// Threading rules (C_ABI.md pitfall 11): every blocking C call runs with the GIL released; the
// callbacks take the GIL back only inside their trampolines; no dbsafe function is called while
// this module holds the GIL and could wait on a library thread.

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "dbsafe/dbsafe.h"

namespace py = pybind11;

namespace {

// How often a call running on behalf of the main thread wakes up to run Python's signal handlers.
constexpr std::chrono::milliseconds kSignalPollInterval{50};

// threading.main_thread().ident, read at import: only the main thread runs signal handlers.
unsigned long g_main_thread_ident = 0;

// Text from the library is UTF-8; paths on disk need not be, so undecodable bytes become lone
// surrogates (the way os.fsdecode treats file names) instead of failing the whole call.
py::str decode_utf8(const char *data, size_t size) {
  if (data == nullptr) return py::str("");
  PyObject *text = PyUnicode_DecodeUTF8(data, static_cast<Py_ssize_t>(size), "surrogateescape");
  if (text == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(text);
}

py::str decode_utf8(const char *text) {
  return decode_utf8(text, text == nullptr ? 0 : std::strlen(text));
}

// A dbsafe_error copied into plain values, so the C object can be freed at once (pitfall 18).
struct NativeError {
  int status = DBSAFE_OK;
  std::string json;  // dbsafe_error_json(); empty when the library gave no error object
};

// Copies `err` out and frees it. Needs no GIL.
NativeError take_error(int status, dbsafe_error *err) {
  NativeError copied;
  copied.status = status;
  if (err != nullptr) {
    if (status == DBSAFE_OK) copied.status = dbsafe_error_code(err);
    const char *json = dbsafe_error_json(err);
    if (json != nullptr) copied.json = json;
    dbsafe_error_free(err);
  }
  return copied;
}

// Raises the exception class of dbsafe.errors that matches the status. GIL held.
[[noreturn]] void raise_error(int status, const std::string &error_json,
                              const std::string &message = std::string()) {
  py::object from_native = py::module_::import("dbsafe.errors").attr("_from_native");
  py::object json = error_json.empty()
                        ? py::object(py::none())
                        : py::object(decode_utf8(error_json.data(), error_json.size()));
  py::object msg = message.empty() ? py::object(py::none()) : py::object(py::str(message));
  py::object exc = from_native(status, dbsafe_status_name(status), json, msg);
  PyErr_SetObject(reinterpret_cast<PyObject *>(Py_TYPE(exc.ptr())), exc.ptr());
  throw py::error_already_set();
}

[[noreturn]] void raise_error(const NativeError &error) {
  raise_error(error.status, error.json);
}

[[noreturn]] void raise_invalid(const std::string &message) {
  raise_error(DBSAFE_EINVALID, std::string(), message);
}

// Owns a dbsafe_buf for the duration of a call.
struct Buffer {
  dbsafe_buf buf = DBSAFE_BUF_INIT;
  Buffer() = default;
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
  ~Buffer() { dbsafe_buf_dispose(&buf); }
};

// dbsafe.CancelToken: wraps dbsafe_cancel. The C token is thread-safe; Python keeps the wrapper
// alive for as long as a call that was given it runs, because the call holds a reference.
class CancelToken {
 public:
  CancelToken() {
    dbsafe_error *err = nullptr;
    int status = dbsafe_cancel_new(&handle_, &err);
    if (status != DBSAFE_OK) raise_error(take_error(status, err));
  }
  CancelToken(const CancelToken &) = delete;
  CancelToken &operator=(const CancelToken &) = delete;
  ~CancelToken() { dbsafe_cancel_free(handle_); }

  void cancel() { dbsafe_cancel_request(handle_); }
  bool cancelled() const { return dbsafe_cancel_is_requested(handle_); }
  dbsafe_cancel *get() const { return handle_; }

 private:
  dbsafe_cancel *handle_ = nullptr;
};

// The payload of the C callbacks: the Python callables and the first exception one of them raised
// (re-raised by the caller when the C call returns, the pygit2 pattern). Every member that is a
// Python object is only touched with the GIL held.
struct CallbackState {
  py::object progress;  // None or callable(event_json: str)
  py::object log;       // None or callable(level: int, component: str, message: str)
  int log_min_level = DBSAFE_LOG_WARNING;
  dbsafe_cancel *cancel = nullptr;             // requested when the log callback raises
  std::optional<py::error_already_set> error;  // first exception raised by a callback
};

// Stores the exception being handled (GIL held).
void store_callback_error(CallbackState &state) {
  try {
    throw;
  } catch (py::error_already_set &e) {
    if (!state.error) state.error = std::move(e);
  } catch (const std::exception &e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
    if (state.error)
      PyErr_Clear();
    else
      state.error.emplace();
  } catch (...) {
    PyErr_SetString(PyExc_RuntimeError, "unknown C++ exception in a dbsafe callback");
    if (state.error)
      PyErr_Clear();
    else
      state.error.emplace();
  }
}

// dbsafe_progress_fn. Runs on the thread executing the C call, without the GIL.
int progress_trampoline(void *payload, const char *event_json) {
  auto &state = *static_cast<CallbackState *>(payload);
  py::gil_scoped_acquire gil;
  if (state.error) return 1;
  try {
    state.progress(decode_utf8(event_json));
    return 0;
  } catch (...) {
    store_callback_error(state);
  }
  return 1;
}

// dbsafe_log_fn. A log callback cannot refuse a message, so an exception it raises cancels the
// call through the call's token and is re-raised when the call returns.
void log_trampoline(void *payload, int level, const char *component, const char *message) {
  auto &state = *static_cast<CallbackState *>(payload);
  if (level < state.log_min_level) return;  // no GIL needed to drop a message
  bool failed = false;
  {
    py::gil_scoped_acquire gil;
    if (state.error) return;
    try {
      state.log(level, decode_utf8(component), decode_utf8(message));
    } catch (...) {
      store_callback_error(state);
      failed = true;
    }
  }
  // Outside the GIL: the token may take a library lock.
  if (failed && state.cancel != nullptr) dbsafe_cancel_request(state.cancel);
}

// What a C call left behind, copied so the error object is already freed.
struct Outcome {
  int status = DBSAFE_OK;
  NativeError error;
};

// Runs `call` (C only, no Python) with the GIL released. Called with the GIL held.
//
// On the main thread the call runs on a helper thread while this thread wakes every
// kSignalPollInterval, takes the GIL and runs Python's signal handlers. When one raises
// (KeyboardInterrupt on Ctrl-C), `cancel` is requested, the call is waited for, and the exception
// is handed back in `interrupt` for the caller to raise. Other threads never see signals, so they
// run the call directly.
Outcome run_without_gil(const std::function<Outcome()> &call, dbsafe_cancel *cancel,
                        std::optional<py::error_already_set> &interrupt) {
  if (cancel == nullptr || PyThread_get_thread_ident() != g_main_thread_ident) {
    py::gil_scoped_release nogil;
    return call();
  }
  py::gil_scoped_release nogil;
  std::packaged_task<Outcome()> task(call);
  std::future<Outcome> done = task.get_future();
  std::thread worker;
  try {
    worker = std::thread([&task] { task(); });
  } catch (const std::system_error &) {
    task();  // no thread to spare: run here; Ctrl-C then waits for the call to end
  }
  // The call must have ended before `task` goes away, even if this thread unwinds; the join runs
  // without the GIL, which the helper's callbacks may be waiting for.
  struct JoinOnExit {
    std::thread &thread;
    dbsafe_cancel *cancel;
    ~JoinOnExit() {
      if (!thread.joinable()) return;
      if (std::uncaught_exceptions() > 0) dbsafe_cancel_request(cancel);
      thread.join();
    }
  } join_on_exit{worker, cancel};
  bool cancel_requested = false;
  while (done.wait_for(kSignalPollInterval) != std::future_status::ready) {
    bool raised = false;
    {
      py::gil_scoped_acquire gil;
      if (PyErr_CheckSignals() != 0) {
        raised = true;
        if (interrupt)
          PyErr_Clear();
        else
          interrupt.emplace();
      }
    }
    if (raised && !cancel_requested) {
      dbsafe_cancel_request(cancel);
      cancel_requested = true;
    }
  }
  if (worker.joinable()) worker.join();
  return done.get();
}

int parse_layout(const std::string &layout) {
  if (layout == "auto") return DBSAFE_LAYOUT_AUTO;
  if (layout == "prisma") return DBSAFE_LAYOUT_PRISMA;
  if (layout == "plain") return DBSAFE_LAYOUT_PLAIN;
  if (layout == "flyway") return DBSAFE_LAYOUT_FLYWAY;
  if (layout == "dbmate") return DBSAFE_LAYOUT_DBMATE;
  if (layout == "golang-migrate") return DBSAFE_LAYOUT_GOLANG_MIGRATE;
  raise_invalid("unknown migration layout '" + layout +
                "'; use one of auto, prisma, plain, flyway, dbmate, golang-migrate");
}

void require_callable(const py::object &callback, const char *name) {
  if (!callback.is_none() && !PyCallable_Check(callback.ptr()))
    throw py::type_error(std::string(name) + " must be callable or None");
}

// A C call that takes the call options and writes its result into a buffer: it returns the
// status and sets *err on failure. Runs without the GIL.
using BufferCall = std::function<int(const dbsafe_call_options *, dbsafe_buf *, dbsafe_error **)>;

// Runs a long C call with the GIL released, its progress and log callbacks, a cancel token (the
// caller's, else its own, so Ctrl-C and a failing log callback can stop it) and a timeout, and
// returns the text it wrote. Raises Ctrl-C's exception, else a callback's, else the call's error.
py::str run_buffer_call(const BufferCall &invoke, std::uint32_t timeout_ms, py::object progress,
                        CancelToken *cancel, py::object log, int log_level) {
  require_callable(progress, "progress");
  require_callable(log, "log");

  std::optional<CancelToken> own_token;
  if (cancel == nullptr) own_token.emplace();
  dbsafe_cancel *token = cancel != nullptr ? cancel->get() : own_token->get();

  CallbackState state;
  state.progress = std::move(progress);
  state.log = std::move(log);
  state.log_min_level = log_level;
  state.cancel = token;

  dbsafe_call_options call = DBSAFE_CALL_OPTIONS_INIT;
  call.cancel = token;
  call.timeout_ms = timeout_ms;
  if (!state.progress.is_none()) call.progress = progress_trampoline;
  if (!state.log.is_none()) call.log = log_trampoline;
  call.payload = &state;

  Buffer out;
  std::optional<py::error_already_set> interrupt;
  Outcome outcome = run_without_gil(
      [&]() {
        dbsafe_error *err = nullptr;
        int status = invoke(&call, &out.buf, &err);
        return Outcome{status, take_error(status, err)};
      },
      token, interrupt);

  if (interrupt) throw *interrupt;      // Ctrl-C (or another signal handler) wins
  if (state.error) throw *state.error;  // the callback's own exception, not DBSAFE_EUSER
  if (outcome.status != DBSAFE_OK) raise_error(outcome.error);
  return decode_utf8(out.buf.ptr, out.buf.size);
}

py::str migrations_open(const std::string &path, const std::string &layout,
                        std::uint64_t max_file_bytes, std::uint32_t timeout_ms, py::object progress,
                        CancelToken *cancel, py::object log, int log_level) {
  if (path.find('\0') != std::string::npos) raise_invalid("the path contains a NUL byte");

  dbsafe_source_options source = DBSAFE_SOURCE_OPTIONS_INIT;
  source.layout = parse_layout(layout);
  source.max_file_bytes = max_file_bytes;

  return run_buffer_call(
      [&](const dbsafe_call_options *call, dbsafe_buf *out, dbsafe_error **err) {
        return dbsafe_migrations_open(out, path.c_str(), &source, call, err);
      },
      timeout_ms, std::move(progress), cancel, std::move(log), log_level);
}

// The options document of dbsafe_check / dbsafe_check_sql (None: the defaults).
const char *options_pointer(const std::optional<std::string> &options_json) {
  if (!options_json) return nullptr;
  if (options_json->find('\0') != std::string::npos)
    raise_invalid("the options document contains a NUL character");
  return options_json->c_str();
}

py::str check(const std::vector<std::string> &paths, const std::optional<std::string> &options_json,
              std::uint32_t timeout_ms, py::object progress, CancelToken *cancel, py::object log,
              int log_level) {
  std::vector<const char *> pointers;
  pointers.reserve(paths.size());
  for (const std::string &path : paths) {
    if (path.find('\0') != std::string::npos) raise_invalid("a path contains a NUL byte");
    pointers.push_back(path.c_str());
  }
  const char *options = options_pointer(options_json);

  return run_buffer_call(
      [&](const dbsafe_call_options *call, dbsafe_buf *out, dbsafe_error **err) {
        return dbsafe_check(out, pointers.data(), pointers.size(), options, call, err);
      },
      timeout_ms, std::move(progress), cancel, std::move(log), log_level);
}

// The URL may hold a password: no message here includes it.
py::str stats_collect(const std::string &database_url, std::uint32_t timeout_ms,
                      CancelToken *cancel, py::object log, int log_level) {
  if (database_url.find('\0') != std::string::npos)
    raise_invalid("the database URL contains a NUL character");

  return run_buffer_call(
      [&](const dbsafe_call_options *call, dbsafe_buf *out, dbsafe_error **err) {
        return dbsafe_stats_collect(out, database_url.c_str(), call, err);
      },
      timeout_ms, py::none(), cancel, std::move(log), log_level);
}

// The migrate calls (include/dbsafe/c/migrate.h). The options document may hold a database URL
// with a password: no message here includes it. A failed deploy's report arrives as the error's
// detail, which dbsafe.errors turns into the exception's `report` and `failure`.

void require_migration_name(const std::string &name) {
  if (name.empty()) raise_invalid("the migration name is empty");
  if (name.find('\0') != std::string::npos) raise_invalid("the migration name contains a NUL byte");
}

void require_migrations_dir(const std::string &path) {
  if (path.find('\0') != std::string::npos) raise_invalid("the path contains a NUL byte");
}

py::str migrate_status(const std::string &path, const std::optional<std::string> &options_json,
                       std::uint32_t timeout_ms, py::object progress, CancelToken *cancel,
                       py::object log, int log_level) {
  require_migrations_dir(path);
  const char *options = options_pointer(options_json);
  return run_buffer_call(
      [&](const dbsafe_call_options *call, dbsafe_buf *out, dbsafe_error **err) {
        return dbsafe_migrate_status(out, path.c_str(), options, call, err);
      },
      timeout_ms, std::move(progress), cancel, std::move(log), log_level);
}

py::str migrate_deploy(const std::string &path, const std::optional<std::string> &options_json,
                       std::uint32_t timeout_ms, py::object progress, CancelToken *cancel,
                       py::object log, int log_level) {
  require_migrations_dir(path);
  const char *options = options_pointer(options_json);
  return run_buffer_call(
      [&](const dbsafe_call_options *call, dbsafe_buf *out, dbsafe_error **err) {
        return dbsafe_migrate_deploy(out, path.c_str(), options, call, err);
      },
      timeout_ms, std::move(progress), cancel, std::move(log), log_level);
}

// `action` is DBSAFE_RESOLVE_APPLIED or DBSAFE_RESOLVE_ROLLED_BACK (RESOLVE_* in the module).
py::str migrate_resolve(const std::string &path, const std::string &name, int action,
                        const std::optional<std::string> &options_json, std::uint32_t timeout_ms,
                        py::object progress, CancelToken *cancel, py::object log, int log_level) {
  require_migrations_dir(path);
  require_migration_name(name);
  if (action != DBSAFE_RESOLVE_APPLIED && action != DBSAFE_RESOLVE_ROLLED_BACK)
    raise_invalid("unknown resolve action " + std::to_string(action) +
                  "; use RESOLVE_APPLIED or RESOLVE_ROLLED_BACK");
  const char *options = options_pointer(options_json);
  return run_buffer_call(
      [&](const dbsafe_call_options *call, dbsafe_buf *out, dbsafe_error **err) {
        return dbsafe_migrate_resolve(out, path.c_str(), name.c_str(), action, options, call, err);
      },
      timeout_ms, std::move(progress), cancel, std::move(log), log_level);
}

py::str migrate_baseline(const std::string &path, const std::string &name,
                         const std::optional<std::string> &options_json, std::uint32_t timeout_ms,
                         py::object progress, CancelToken *cancel, py::object log, int log_level) {
  require_migrations_dir(path);
  require_migration_name(name);
  const char *options = options_pointer(options_json);
  return run_buffer_call(
      [&](const dbsafe_call_options *call, dbsafe_buf *out, dbsafe_error **err) {
        return dbsafe_migrate_baseline(out, path.c_str(), name.c_str(), options, call, err);
      },
      timeout_ms, std::move(progress), cancel, std::move(log), log_level);
}

// The safe-deploy pipeline (include/dbsafe/c/deploy.h). The options document names the target;
// the deploy reads its URLs from the environment variables the target names. A gate stop returns
// the report (exit_code 1); a failed deploy's report arrives as the error's detail.
py::str deploy(const std::string &options_json, std::uint32_t timeout_ms, py::object progress,
               CancelToken *cancel, py::object log, int log_level) {
  if (options_json.find('\0') != std::string::npos)
    raise_invalid("the options document contains a NUL character");
  return run_buffer_call(
      [&](const dbsafe_call_options *call, dbsafe_buf *out, dbsafe_error **err) {
        return dbsafe_deploy(out, options_json.c_str(), call, err);
      },
      timeout_ms, std::move(progress), cancel, std::move(log), log_level);
}

// The guarded restore (include/dbsafe/c/deploy.h): the same shape as deploy.
py::str restore(const std::string &options_json, std::uint32_t timeout_ms, py::object progress,
                CancelToken *cancel, py::object log, int log_level) {
  if (options_json.find('\0') != std::string::npos)
    raise_invalid("the options document contains a NUL character");
  return run_buffer_call(
      [&](const dbsafe_call_options *call, dbsafe_buf *out, dbsafe_error **err) {
        return dbsafe_restore(out, options_json.c_str(), call, err);
      },
      timeout_ms, std::move(progress), cancel, std::move(log), log_level);
}

// The backup calls (include/dbsafe/c/backup.h): "create", "verify", "restore" or "prune" with
// its options document, which may hold a URL with a password: no message here includes it. A
// refused or failed restore's report arrives as the error's detail.
py::str backup(const std::string &command, const std::string &options_json,
               std::uint32_t timeout_ms, py::object progress, CancelToken *cancel, py::object log,
               int log_level) {
  if (options_json.find('\0') != std::string::npos)
    raise_invalid("the options document contains a NUL character");
  const char *options = options_json.c_str();
  if (command != "create" && command != "verify" && command != "restore" && command != "prune")
    raise_invalid("unknown backup command \"" + command + "\"");
  return run_buffer_call(
      [&](const dbsafe_call_options *call, dbsafe_buf *out, dbsafe_error **err) {
        if (command == "create") return dbsafe_backup_create(out, options, call, err);
        if (command == "verify") return dbsafe_backup_verify(out, options, call, err);
        if (command == "restore") return dbsafe_backup_restore(out, options, call, err);
        return dbsafe_backup_prune(out, options, call, err);
      },
      timeout_ms, std::move(progress), cancel, std::move(log), log_level);
}

// The read-only window (include/dbsafe/c/maintenance.h): its options document may hold a URL
// with a password, which no message here includes.
py::str maintenance(const std::string &options_json, std::uint32_t timeout_ms, CancelToken *cancel,
                    py::object log, int log_level) {
  if (options_json.find('\0') != std::string::npos)
    raise_invalid("the options document contains a NUL character");
  return run_buffer_call(
      [&](const dbsafe_call_options *call, dbsafe_buf *out, dbsafe_error **err) {
        return dbsafe_maintenance(out, options_json.c_str(), call, err);
      },
      timeout_ms, py::none(), cancel, std::move(log), log_level);
}

// The SQLite copy (include/dbsafe/c/copy.h): its options document may hold a URL with a
// password, so no message here includes it. Runs without the GIL like every long call.
py::str copy(const std::string &options_json, std::uint32_t timeout_ms, py::object progress,
             CancelToken *cancel, py::object log, int log_level) {
  if (options_json.find('\0') != std::string::npos)
    raise_invalid("the options document contains a NUL character");
  return run_buffer_call(
      [&](const dbsafe_call_options *call, dbsafe_buf *out, dbsafe_error **err) {
        return dbsafe_copy(out, options_json.c_str(), call, err);
      },
      timeout_ms, std::move(progress), cancel, std::move(log), log_level);
}

// The schema calls (include/dbsafe/c/schema.h). URLs and the options document may hold a
// password: no message here includes them.

void require_text(const std::string &text, const char *what) {
  if (text.empty()) raise_invalid(std::string(what) + " is empty");
  if (text.find('\0') != std::string::npos)
    raise_invalid(std::string(what) + " contains a NUL character");
}

// The output format by its name: "sql" or "json".
int schema_format(const std::string &format) {
  if (format == "sql") return DBSAFE_SCHEMA_SQL;
  if (format == "json") return DBSAFE_SCHEMA_JSON;
  raise_invalid("unknown schema format '" + format + "'; use 'sql' or 'json'");
}

py::str schema_dump(const std::string &database_url, const std::string &format,
                    const std::optional<std::string> &options_json, std::uint32_t timeout_ms,
                    py::object progress, CancelToken *cancel, py::object log, int log_level) {
  require_text(database_url, "the database URL");
  const int fmt = schema_format(format);
  const char *options = options_pointer(options_json);
  return run_buffer_call(
      [&](const dbsafe_call_options *call, dbsafe_buf *out, dbsafe_error **err) {
        return dbsafe_schema_dump(out, database_url.c_str(), fmt, options, call, err);
      },
      timeout_ms, std::move(progress), cancel, std::move(log), log_level);
}

py::str schema_render(const std::string &source, const std::string &format,
                      const std::optional<std::string> &options_json, std::uint32_t timeout_ms,
                      py::object progress, CancelToken *cancel, py::object log, int log_level) {
  require_text(source, "the source");
  const int fmt = schema_format(format);
  const char *options = options_pointer(options_json);
  return run_buffer_call(
      [&](const dbsafe_call_options *call, dbsafe_buf *out, dbsafe_error **err) {
        return dbsafe_schema_render(out, source.c_str(), fmt, options, call, err);
      },
      timeout_ms, std::move(progress), cancel, std::move(log), log_level);
}

py::str schema_diff(const std::string &from, const std::string &to,
                    const std::optional<std::string> &options_json, std::uint32_t timeout_ms,
                    py::object progress, CancelToken *cancel, py::object log, int log_level) {
  require_text(from, "the 'from' source");
  require_text(to, "the 'to' source");
  const char *options = options_pointer(options_json);
  return run_buffer_call(
      [&](const dbsafe_call_options *call, dbsafe_buf *out, dbsafe_error **err) {
        return dbsafe_schema_diff(out, from.c_str(), to.c_str(), options, call, err);
      },
      timeout_ms, std::move(progress), cancel, std::move(log), log_level);
}

// drift and verify: `verify` picks dbsafe_verify.
py::str live_against_migrations(bool verify, const std::string &database_url,
                                const std::string &path,
                                const std::optional<std::string> &options_json,
                                std::uint32_t timeout_ms, py::object progress, CancelToken *cancel,
                                py::object log, int log_level) {
  require_text(database_url, "the database URL");
  require_migrations_dir(path);
  const char *options = options_pointer(options_json);
  return run_buffer_call(
      [&](const dbsafe_call_options *call, dbsafe_buf *out, dbsafe_error **err) {
        return verify ? dbsafe_verify(out, database_url.c_str(), path.c_str(), options, call, err)
                      : dbsafe_drift(out, database_url.c_str(), path.c_str(), options, call, err);
      },
      timeout_ms, std::move(progress), cancel, std::move(log), log_level);
}

py::str drift(const std::string &database_url, const std::string &path,
              const std::optional<std::string> &options_json, std::uint32_t timeout_ms,
              py::object progress, CancelToken *cancel, py::object log, int log_level) {
  return live_against_migrations(false, database_url, path, options_json, timeout_ms,
                                 std::move(progress), cancel, std::move(log), log_level);
}

py::str verify(const std::string &database_url, const std::string &path,
               const std::optional<std::string> &options_json, std::uint32_t timeout_ms,
               py::object progress, CancelToken *cancel, py::object log, int log_level) {
  return live_against_migrations(true, database_url, path, options_json, timeout_ms,
                                 std::move(progress), cancel, std::move(log), log_level);
}

py::str migrate_baseline_from_database(const std::string &path,
                                       const std::optional<std::string> &options_json,
                                       std::uint32_t timeout_ms, py::object progress,
                                       CancelToken *cancel, py::object log, int log_level) {
  require_migrations_dir(path);
  const char *options = options_pointer(options_json);
  return run_buffer_call(
      [&](const dbsafe_call_options *call, dbsafe_buf *out, dbsafe_error **err) {
        return dbsafe_migrate_baseline_from_database(out, path.c_str(), options, call, err);
      },
      timeout_ms, std::move(progress), cancel, std::move(log), log_level);
}

py::str check_sql(const std::string &sql, const std::string &name,
                  const std::optional<std::string> &options_json) {
  if (name.find('\0') != std::string::npos) raise_invalid("the name contains a NUL byte");
  const char *options = options_pointer(options_json);
  Buffer out;
  Outcome outcome;
  {
    py::gil_scoped_release nogil;
    dbsafe_error *err = nullptr;
    const int status =
        dbsafe_check_sql(&out.buf, sql.data(), sql.size(), name.c_str(), options, &err);
    outcome = Outcome{status, take_error(status, err)};
  }
  if (outcome.status != DBSAFE_OK) raise_error(outcome.error);
  return decode_utf8(out.buf.ptr, out.buf.size);
}

// The provider calls (include/dbsafe/c/provider.h) on one handle. The options documents may hold
// the Neon API key or a database URL with a password, and a connection URL holds a password: no
// message here includes any of them.
//
// The C handle is not safe for concurrent use, and every call runs with the GIL released, so the
// handle has a mutex: a call from a second thread waits for the first; a call made on the thread
// that holds it (from a log callback) is refused instead of deadlocking. close() waits for the
// running call, then frees the handle; later calls raise InvalidInputError.
constexpr const char *kProviderClosed =
    "the provider is closed; open a new dbsafe.Provider to go on";
constexpr const char *kProviderBusy =
    "the provider is already running a call on this thread (from one of its callbacks); "
    "a provider runs one call at a time";

class Provider {
 public:
  explicit Provider(const std::optional<std::string> &options_json) {
    const char *options = options_pointer(options_json);
    Outcome outcome;
    {
      py::gil_scoped_release nogil;
      dbsafe_error *err = nullptr;
      const int status = dbsafe_provider_open(&handle_, options, &err);
      outcome = Outcome{status, take_error(status, err)};
    }
    if (outcome.status != DBSAFE_OK) raise_error(outcome.error);
    requests_made_ = dbsafe_provider_requests_made(handle_);
  }
  Provider(const Provider &) = delete;
  Provider &operator=(const Provider &) = delete;
  // Only reached when no call runs: a running call holds a reference to this object.
  ~Provider() { dbsafe_provider_free(handle_); }

  // Idempotent. Waits (without the GIL) for a call running on another thread.
  void close() {
    if (owner_.load() == std::this_thread::get_id()) raise_invalid(kProviderBusy);
    py::gil_scoped_release nogil;
    std::lock_guard<std::mutex> lock(mutex_);
    dbsafe_provider_free(handle_);
    handle_ = nullptr;
    closed_.store(true);
  }

  bool closed() const { return closed_.load(); }

  // Kept after every call, so reading it never waits for a running one.
  std::uint64_t requests_made() const { return requests_made_.load(); }

  // Runs `invoke` on the handle with the shared call options (no progress: the provider calls
  // report none) and returns the text it wrote.
  template <typename Invoke>
  py::str run(const Invoke &invoke, std::uint32_t timeout_ms, CancelToken *cancel, py::object log,
              int log_level) {
    if (closed()) raise_invalid(kProviderClosed);
    if (owner_.load() == std::this_thread::get_id()) raise_invalid(kProviderBusy);
    enum class Refused { no, closed, busy } refused = Refused::no;
    try {
      return run_buffer_call(
          [&](const dbsafe_call_options *call, dbsafe_buf *out, dbsafe_error **err) {
            if (owner_.load() == std::this_thread::get_id()) {
              refused = Refused::busy;
              return static_cast<int>(DBSAFE_EINVALID);
            }
            std::lock_guard<std::mutex> lock(mutex_);
            if (handle_ == nullptr) {
              refused = Refused::closed;
              return static_cast<int>(DBSAFE_EINVALID);
            }
            struct Owner {
              std::atomic<std::thread::id> &owner;
              explicit Owner(std::atomic<std::thread::id> &o) : owner(o) {
                owner.store(std::this_thread::get_id());
              }
              ~Owner() { owner.store(std::thread::id()); }
            } owner(owner_);
            const int status = invoke(handle_, call, out, err);
            requests_made_.store(dbsafe_provider_requests_made(handle_));
            return status;
          },
          timeout_ms, py::none(), cancel, std::move(log), log_level);
    } catch (py::error_already_set &) {
      // Closed (or entered again) between the check above and the call: say so, not "failed".
      if (refused == Refused::closed) raise_invalid(kProviderClosed);
      if (refused == Refused::busy) raise_invalid(kProviderBusy);
      throw;
    }
  }

 private:
  dbsafe_provider *handle_ = nullptr;  // guarded by mutex_
  std::mutex mutex_;
  std::atomic<bool> closed_{false};
  std::atomic<std::thread::id> owner_{};  // the thread running a call, while one runs
  std::atomic<std::uint64_t> requests_made_{0};
};

py::str provider_list_branches(Provider &provider, std::uint32_t timeout_ms, CancelToken *cancel,
                               py::object log, int log_level) {
  return provider.run(
      [](dbsafe_provider *p, const dbsafe_call_options *call, dbsafe_buf *out, dbsafe_error **err) {
        return dbsafe_provider_list_branches(out, p, call, err);
      },
      timeout_ms, cancel, std::move(log), log_level);
}

py::str provider_create_branch(Provider &provider, const std::optional<std::string> &options_json,
                               std::uint32_t timeout_ms, CancelToken *cancel, py::object log,
                               int log_level) {
  const char *options = options_pointer(options_json);
  return provider.run(
      [&](dbsafe_provider *p, const dbsafe_call_options *call, dbsafe_buf *out,
          dbsafe_error **err) { return dbsafe_provider_create_branch(out, p, options, call, err); },
      timeout_ms, cancel, std::move(log), log_level);
}

void provider_delete_branch(Provider &provider, const std::string &name_or_id,
                            std::uint32_t timeout_ms, CancelToken *cancel, py::object log,
                            int log_level) {
  require_text(name_or_id, "the branch's name or id");
  provider.run(
      [&](dbsafe_provider *p, const dbsafe_call_options *call, dbsafe_buf *, dbsafe_error **err) {
        return dbsafe_provider_delete_branch(p, name_or_id.c_str(), call, err);
      },
      timeout_ms, cancel, std::move(log), log_level);
}

py::str provider_restore_branch(Provider &provider, const std::string &name_or_id,
                                const std::string &at_timestamp,
                                const std::string &preserve_under_name, std::uint32_t timeout_ms,
                                CancelToken *cancel, py::object log, int log_level) {
  require_text(name_or_id, "the branch's name or id");
  require_text(at_timestamp, "at_timestamp");
  if (preserve_under_name.find('\0') != std::string::npos)
    raise_invalid("preserve_under_name contains a NUL character");
  return provider.run(
      [&](dbsafe_provider *p, const dbsafe_call_options *call, dbsafe_buf *out,
          dbsafe_error **err) {
        return dbsafe_provider_restore_branch(out, p, name_or_id.c_str(), at_timestamp.c_str(),
                                              preserve_under_name.c_str(), call, err);
      },
      timeout_ms, cancel, std::move(log), log_level);
}

py::str provider_connection_url(Provider &provider, const std::string &name_or_id, bool pooled,
                                std::uint32_t timeout_ms, CancelToken *cancel, py::object log,
                                int log_level) {
  require_text(name_or_id, "the branch's name or id");
  return provider.run(
      [&](dbsafe_provider *p, const dbsafe_call_options *call, dbsafe_buf *out,
          dbsafe_error **err) {
        return dbsafe_provider_connection_url(out, p, name_or_id.c_str(), pooled, call, err);
      },
      timeout_ms, cancel, std::move(log), log_level);
}

py::str provider_list_snapshots(Provider &provider, std::uint32_t timeout_ms, CancelToken *cancel,
                                py::object log, int log_level) {
  return provider.run(
      [](dbsafe_provider *p, const dbsafe_call_options *call, dbsafe_buf *out, dbsafe_error **err) {
        return dbsafe_provider_list_snapshots(out, p, call, err);
      },
      timeout_ms, cancel, std::move(log), log_level);
}

py::str provider_create_snapshot(Provider &provider, const std::optional<std::string> &options_json,
                                 std::uint32_t timeout_ms, CancelToken *cancel, py::object log,
                                 int log_level) {
  const char *options = options_pointer(options_json);
  return provider.run(
      [&](dbsafe_provider *p, const dbsafe_call_options *call, dbsafe_buf *out,
          dbsafe_error **err) {
        return dbsafe_provider_create_snapshot(out, p, options, call, err);
      },
      timeout_ms, cancel, std::move(log), log_level);
}

void provider_delete_snapshot(Provider &provider, const std::string &name_or_id,
                              std::uint32_t timeout_ms, CancelToken *cancel, py::object log,
                              int log_level) {
  require_text(name_or_id, "the snapshot's name or id");
  provider.run(
      [&](dbsafe_provider *p, const dbsafe_call_options *call, dbsafe_buf *, dbsafe_error **err) {
        return dbsafe_provider_delete_snapshot(p, name_or_id.c_str(), call, err);
      },
      timeout_ms, cancel, std::move(log), log_level);
}

py::str provider_restore_snapshot(Provider &provider, const std::string &name_or_id,
                                  const std::optional<std::string> &options_json,
                                  std::uint32_t timeout_ms, CancelToken *cancel, py::object log,
                                  int log_level) {
  require_text(name_or_id, "the snapshot's name or id");
  const char *options = options_pointer(options_json);
  return provider.run(
      [&](dbsafe_provider *p, const dbsafe_call_options *call, dbsafe_buf *out,
          dbsafe_error **err) {
        return dbsafe_provider_restore_snapshot(out, p, name_or_id.c_str(), options, call, err);
      },
      timeout_ms, cancel, std::move(log), log_level);
}

// The policies: rotation, retention and branch pruning, each one options document.
py::str provider_policy(Provider &provider,
                        int (*fn)(dbsafe_buf *, dbsafe_provider *, const char *,
                                  const dbsafe_call_options *, dbsafe_error **),
                        const std::optional<std::string> &options_json, std::uint32_t timeout_ms,
                        CancelToken *cancel, py::object log, int log_level) {
  const char *options = options_pointer(options_json);
  return provider.run([&](dbsafe_provider *p, const dbsafe_call_options *call, dbsafe_buf *out,
                          dbsafe_error **err) { return fn(out, p, options, call, err); },
                      timeout_ms, cancel, std::move(log), log_level);
}

py::str provider_rotate_snapshot(Provider &provider, const std::optional<std::string> &options_json,
                                 std::uint32_t timeout_ms, CancelToken *cancel, py::object log,
                                 int log_level) {
  return provider_policy(provider, dbsafe_snapshot_rotate, options_json, timeout_ms, cancel,
                         std::move(log), log_level);
}

py::str provider_snapshot_retention(Provider &provider,
                                    const std::optional<std::string> &options_json,
                                    std::uint32_t timeout_ms, CancelToken *cancel, py::object log,
                                    int log_level) {
  return provider_policy(provider, dbsafe_snapshot_retention, options_json, timeout_ms, cancel,
                         std::move(log), log_level);
}

py::str provider_branch_prune(Provider &provider, const std::optional<std::string> &options_json,
                              std::uint32_t timeout_ms, CancelToken *cancel, py::object log,
                              int log_level) {
  return provider_policy(provider, dbsafe_branch_prune, options_json, timeout_ms, cancel,
                         std::move(log), log_level);
}

int cli_main(const std::vector<std::string> &argv) {
  std::vector<std::string> args = argv;
  if (args.empty()) args.emplace_back("dbsafe");
  std::vector<const char *> pointers;
  pointers.reserve(args.size() + 1);
  for (const std::string &arg : args) {
    if (arg.find('\0') != std::string::npos)
      raise_invalid("a command-line argument contains a NUL byte");
    pointers.push_back(arg.c_str());
  }
  pointers.push_back(nullptr);
  py::gil_scoped_release nogil;
  return dbsafe_cli_main(static_cast<int>(args.size()), pointers.data());
}

bool checksum_matches(const std::string &script, const std::string &stored_checksum) {
  py::gil_scoped_release nogil;
  return dbsafe_checksum_matches(script.data(), script.size(), stored_checksum.c_str()) == 1;
}

py::tuple version_info() {
  int major = 0, minor = 0, patch = 0;
  dbsafe_version(&major, &minor, &patch);
  return py::make_tuple(major, minor, patch);
}

}  // namespace

PYBIND11_MODULE(_dbsafe, m) {
  if (dbsafe_abi_version() != DBSAFE_ABI_VERSION)
    throw py::import_error("dbsafe._dbsafe was built for dbsafe ABI " +
                           std::to_string(DBSAFE_ABI_VERSION) + " but the library reports ABI " +
                           std::to_string(dbsafe_abi_version()) + "; rebuild or reinstall dbsafe");
  g_main_thread_ident =
      py::module_::import("threading").attr("main_thread")().attr("ident").cast<unsigned long>();

  m.doc() = "Native layer of the dbsafe binding (pybind11 over the dbsafe C ABI).";
  m.attr("ABI_VERSION") = DBSAFE_ABI_VERSION;

  m.def("version", &dbsafe_version_string, "The library version, e.g. '0.1.0'.");
  m.def("version_info", &version_info, "The library version as (major, minor, patch).");
  m.def("abi_version", &dbsafe_abi_version, "The C ABI version of the loaded library.");
  m.def("status_name", &dbsafe_status_name, py::arg("status"),
        "The symbolic name of a dbsafe status code, e.g. 'DBSAFE_ENOTFOUND'.");

  py::class_<CancelToken>(m, "CancelToken",
                          "A cancellation token; cancel() may be called from any thread.")
      .def(py::init<>())
      .def("cancel", &CancelToken::cancel, py::call_guard<py::gil_scoped_release>(),
           "Ask every call using this token to stop. Idempotent, any thread.")
      .def_property_readonly("cancelled", &CancelToken::cancelled,
                             "True once cancel() has been called.")
      .def("__repr__", [](const CancelToken &token) {
        return std::string("<dbsafe.CancelToken cancelled=") +
               (token.cancelled() ? "True" : "False") + ">";
      });

  m.def("migrations_open", &migrations_open, py::arg("path"), py::arg("layout") = "auto",
        py::arg("max_file_bytes") = 0, py::arg("timeout_ms") = 0, py::arg("progress") = py::none(),
        py::arg("cancel") = nullptr, py::arg("log") = py::none(),
        py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
        "Read the migration set at `path` and return the listing JSON text.");
  m.def("check", &check, py::arg("paths"), py::arg("options_json") = py::none(),
        py::arg("timeout_ms") = 0, py::arg("progress") = py::none(), py::arg("cancel") = nullptr,
        py::arg("log") = py::none(), py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
        "Check the migration sets at `paths` (in order) and return the check report JSON text.");
  m.def("stats_collect", &stats_collect, py::arg("database_url"), py::arg("timeout_ms") = 0,
        py::arg("cancel") = nullptr, py::arg("log") = py::none(),
        py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
        "Read table and index statistics from the PostgreSQL database at `database_url` "
        "(read-only queries) and return the stats JSON text.");
  m.def("check_sql", &check_sql, py::arg("sql"), py::arg("name") = "<sql>",
        py::arg("options_json") = py::none(),
        "Check one SQL text as a one-file migration called `name`; return the report JSON text.");

  m.attr("RESOLVE_APPLIED") = static_cast<int>(DBSAFE_RESOLVE_APPLIED);
  m.attr("RESOLVE_ROLLED_BACK") = static_cast<int>(DBSAFE_RESOLVE_ROLLED_BACK);
  m.def("migrate_status", &migrate_status, py::arg("path"), py::arg("options_json") = py::none(),
        py::arg("timeout_ms") = 0, py::arg("progress") = py::none(), py::arg("cancel") = nullptr,
        py::arg("log") = py::none(), py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
        "Classify every migration at `path` against _prisma_migrations (read-only); return the "
        "migrate report JSON text.");
  m.def("migrate_deploy", &migrate_deploy, py::arg("path"), py::arg("options_json") = py::none(),
        py::arg("timeout_ms") = 0, py::arg("progress") = py::none(), py::arg("cancel") = nullptr,
        py::arg("log") = py::none(), py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
        "Apply the pending migrations at `path`; return the migrate report JSON text.");
  m.def("migrate_resolve", &migrate_resolve, py::arg("path"), py::arg("name"), py::arg("action"),
        py::arg("options_json") = py::none(), py::arg("timeout_ms") = 0,
        py::arg("progress") = py::none(), py::arg("cancel") = nullptr, py::arg("log") = py::none(),
        py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
        "Mark migration `name` as applied or rolled back (`action`, a RESOLVE_* value); return the "
        "migrate report JSON text.");
  m.def("migrate_baseline", &migrate_baseline, py::arg("path"), py::arg("name"),
        py::arg("options_json") = py::none(), py::arg("timeout_ms") = 0,
        py::arg("progress") = py::none(), py::arg("cancel") = nullptr, py::arg("log") = py::none(),
        py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
        "Record every migration up to and including `name` as applied without running it; return "
        "the migrate report JSON text.");
  m.def("migrate_baseline_from_database", &migrate_baseline_from_database, py::arg("path"),
        py::arg("options_json") = py::none(), py::arg("timeout_ms") = 0,
        py::arg("progress") = py::none(), py::arg("cancel") = nullptr, py::arg("log") = py::none(),
        py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
        "Write <path>/<name>/migration.sql from the live database's schema and record it as "
        "applied; return the migrate report JSON text.");
  m.def("schema_dump", &schema_dump, py::arg("database_url"), py::arg("format") = "sql",
        py::arg("options_json") = py::none(), py::arg("timeout_ms") = 0,
        py::arg("progress") = py::none(), py::arg("cancel") = nullptr, py::arg("log") = py::none(),
        py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
        "Introspect the live database (read-only) and return its schema as DDL ('sql') or the "
        "model's JSON text ('json').");
  m.def("schema_render", &schema_render, py::arg("source"), py::arg("format") = "sql",
        py::arg("options_json") = py::none(), py::arg("timeout_ms") = 0,
        py::arg("progress") = py::none(), py::arg("cancel") = nullptr, py::arg("log") = py::none(),
        py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
        "Load a model from `source` and return it as DDL ('sql') or JSON text ('json').");
  m.def("schema_diff", &schema_diff, py::arg("from_"), py::arg("to"),
        py::arg("options_json") = py::none(), py::arg("timeout_ms") = 0,
        py::arg("progress") = py::none(), py::arg("cancel") = nullptr, py::arg("log") = py::none(),
        py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
        "The changes that turn `from_` into `to`; return the diff report JSON text.");
  m.def("drift", &drift, py::arg("database_url"), py::arg("path"),
        py::arg("options_json") = py::none(), py::arg("timeout_ms") = 0,
        py::arg("progress") = py::none(), py::arg("cancel") = nullptr, py::arg("log") = py::none(),
        py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
        "The live database against what the migrations at `path` produce; return the diff "
        "report JSON text.");
  m.def("verify", &verify, py::arg("database_url"), py::arg("path"),
        py::arg("options_json") = py::none(), py::arg("timeout_ms") = 0,
        py::arg("progress") = py::none(), py::arg("cancel") = nullptr, py::arg("log") = py::none(),
        py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
        "Check that every object the migrations at `path` define is present and valid; return "
        "the verify report JSON text.");
  m.def("deploy", &deploy, py::arg("options_json"), py::arg("timeout_ms") = 0,
        py::arg("progress") = py::none(), py::arg("cancel") = nullptr, py::arg("log") = py::none(),
        py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
        "Run the safe-deploy pipeline for the target the options document names; return the "
        "deploy report JSON text.");
  m.def("restore", &restore, py::arg("options_json"), py::arg("timeout_ms") = 0,
        py::arg("progress") = py::none(), py::arg("cancel") = nullptr, py::arg("log") = py::none(),
        py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
        "Run the guarded restore of the target the options document names; return the report "
        "JSON text.");
  m.def("backup", &backup, py::arg("command"), py::arg("options_json"), py::arg("timeout_ms") = 0,
        py::arg("progress") = py::none(), py::arg("cancel") = nullptr, py::arg("log") = py::none(),
        py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
        "Run a backup call (create, verify, restore or prune) with its options document; "
        "return its report JSON text.");
  m.def("maintenance", &maintenance, py::arg("options_json"), py::arg("timeout_ms") = 0,
        py::arg("cancel") = nullptr, py::arg("log") = py::none(),
        py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
        "Open, close or report the read-only window (dbsafe_maintenance); return the report "
        "JSON text.");
  m.def("copy", &copy, py::arg("options_json"), py::arg("timeout_ms") = 0,
        py::arg("progress") = py::none(), py::arg("cancel") = nullptr, py::arg("log") = py::none(),
        py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
        "Copy a SQLite database into PostgreSQL (dbsafe_copy); return the report JSON text.");
  // The provider calls (c/provider.h); the Python class dbsafe.Provider wraps this one.
  py::class_<Provider>(m, "Provider",
                       "An open snapshot and branch provider (dbsafe_provider); one call at a "
                       "time, close() frees it.")
      .def(py::init<const std::optional<std::string> &>(), py::arg("options_json") = py::none(),
           "Open a provider from its options document (dbsafe_provider_open).")
      .def("close", &Provider::close, "Free the handle (idempotent); later calls raise.")
      .def_property_readonly("closed", &Provider::closed, "True once close() has been called.")
      .def_property_readonly("requests_made", &Provider::requests_made,
                             "HTTP requests made by the calls that have returned (0 for local).")
      .def("list_branches", &provider_list_branches, py::arg("timeout_ms") = 0,
           py::arg("cancel") = nullptr, py::arg("log") = py::none(),
           py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
           "The branches list JSON text.")
      .def("create_branch", &provider_create_branch, py::arg("options_json") = py::none(),
           py::arg("timeout_ms") = 0, py::arg("cancel") = nullptr, py::arg("log") = py::none(),
           py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
           "Create a branch and wait until it is ready; the branch JSON text.")
      .def("delete_branch", &provider_delete_branch, py::arg("name_or_id"),
           py::arg("timeout_ms") = 0, py::arg("cancel") = nullptr, py::arg("log") = py::none(),
           py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
           "Delete a branch (never the default or a protected one).")
      .def("restore_branch", &provider_restore_branch, py::arg("name_or_id"),
           py::arg("at_timestamp"), py::arg("preserve_under_name") = "", py::arg("timeout_ms") = 0,
           py::arg("cancel") = nullptr, py::arg("log") = py::none(),
           py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
           "Point-in-time restore of a branch in place; the restore result JSON text.")
      .def("connection_url", &provider_connection_url, py::arg("name_or_id"),
           py::arg("pooled") = false, py::arg("timeout_ms") = 0, py::arg("cancel") = nullptr,
           py::arg("log") = py::none(), py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
           "The branch's connection URL (it holds a password).")
      .def("list_snapshots", &provider_list_snapshots, py::arg("timeout_ms") = 0,
           py::arg("cancel") = nullptr, py::arg("log") = py::none(),
           py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
           "The snapshots list JSON text.")
      .def("create_snapshot", &provider_create_snapshot, py::arg("options_json") = py::none(),
           py::arg("timeout_ms") = 0, py::arg("cancel") = nullptr, py::arg("log") = py::none(),
           py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
           "Take a snapshot and wait until it is ready; the snapshot JSON text.")
      .def("delete_snapshot", &provider_delete_snapshot, py::arg("name_or_id"),
           py::arg("timeout_ms") = 0, py::arg("cancel") = nullptr, py::arg("log") = py::none(),
           py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING), "Delete a snapshot.")
      .def("restore_snapshot", &provider_restore_snapshot, py::arg("name_or_id"),
           py::arg("options_json") = py::none(), py::arg("timeout_ms") = 0,
           py::arg("cancel") = nullptr, py::arg("log") = py::none(),
           py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
           "Put a snapshot's data into a branch; the restore result JSON text.")
      .def("rotate_snapshot", &provider_rotate_snapshot, py::arg("options_json") = py::none(),
           py::arg("timeout_ms") = 0, py::arg("cancel") = nullptr, py::arg("log") = py::none(),
           py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
           "Replace the rotating backup (dbsafe_snapshot_rotate); the rotate report JSON text.")
      .def("snapshot_retention", &provider_snapshot_retention, py::arg("options_json") = py::none(),
           py::arg("timeout_ms") = 0, py::arg("cancel") = nullptr, py::arg("log") = py::none(),
           py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
           "Apply a retention policy to snapshots; the prune report JSON text.")
      .def("branch_prune", &provider_branch_prune, py::arg("options_json") = py::none(),
           py::arg("timeout_ms") = 0, py::arg("cancel") = nullptr, py::arg("log") = py::none(),
           py::arg("log_level") = static_cast<int>(DBSAFE_LOG_WARNING),
           "Delete expired and old restore branches; the prune report JSON text.")
      .def("__repr__", [](const Provider &provider) {
        return std::string("<dbsafe._dbsafe.Provider ") + (provider.closed() ? "closed" : "open") +
               ">";
      });
  m.def("cli_main", &cli_main, py::arg("argv"),
        "Run the dbsafe command line (argv[0] is the program name); returns the exit code.");
  m.def("checksum_matches", &checksum_matches, py::arg("script"), py::arg("stored_checksum"),
        "True when `script` matches a checksum stored in _prisma_migrations.");
}
