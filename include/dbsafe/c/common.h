/* dbsafe C ABI: versions, status codes, buffers and callback types.
 *
 * Conventions (docs/C_API.md): outputs come first, `dbsafe_error **out_err`
 * last (NULL means "don't care"); fallible calls return DBSAFE_OK (0) or a
 * negative dbsafe_status; on failure every `**out` stays NULL and every
 * dbsafe_buf stays empty, so only `*out_err` needs releasing. */
#ifndef DBSAFE_C_COMMON_H
#define DBSAFE_C_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#if defined(DBSAFE_BUILDING_LIBRARY)
#define DBSAFE_API __declspec(dllexport)
#else
#define DBSAFE_API __declspec(dllimport)
#endif
#else
#define DBSAFE_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define DBSAFE_VERSION_MAJOR 0
#define DBSAFE_VERSION_MINOR 1
#define DBSAFE_VERSION_PATCH 0
/* Bumped when the ABI changes incompatibly; equals the SONAME's number. */
#define DBSAFE_ABI_VERSION 0

/* Thread safety: all three may be called from any thread. */
DBSAFE_API void dbsafe_version(int *major, int *minor, int *patch);
DBSAFE_API const char *dbsafe_version_string(void); /* static storage */
DBSAFE_API uint32_t dbsafe_abi_version(void);

/* Status codes. Values never change and are never reused; new ones are only
 * appended (more negative). */
typedef enum dbsafe_status {
  DBSAFE_OK = 0,
  DBSAFE_ERROR = -1,      /* internal error (a bug in dbsafe): please report it */
  DBSAFE_EINVALID = -2,   /* invalid argument or input (bad file, bad option) */
  DBSAFE_ENOTFOUND = -3,  /* a path or named object does not exist */
  DBSAFE_EPARSE = -4,     /* SQL or configuration could not be parsed */
  DBSAFE_EDB = -5,        /* the database reported an error (has a SQLSTATE) */
  DBSAFE_EHTTP = -6,      /* an HTTP API reported an error (has an HTTP status) */
  DBSAFE_EAUTH = -7,      /* authentication or authorisation failed */
  DBSAFE_ETIMEOUT = -8,   /* the call's timeout expired */
  DBSAFE_ECANCELLED = -9, /* the cancel token was triggered */
  DBSAFE_EUSER = -10,     /* a callback returned non-zero */
  DBSAFE_EVERSION = -11,  /* an options struct carries an unknown version */
  DBSAFE_EIO = -12,       /* reading or writing a file failed */
  DBSAFE_ECONNECT = -13,  /* cannot reach the server (database, HTTP API) */
  DBSAFE_ESTATE = -14     /* the target's state needs a person first (a failed or
                             modified migration, a half-done restore) */
} dbsafe_status;

/* The symbolic name of a status ("DBSAFE_EINVALID"); "DBSAFE_UNKNOWN" for a
 * value this library does not know. Static storage. Any thread. */
DBSAFE_API const char *dbsafe_status_name(int status);

/* Variable-size output owned by the library until dbsafe_buf_dispose. `ptr`
 * is NUL-terminated; `size` excludes the NUL. Initialise with
 * DBSAFE_BUF_INIT before passing it to a call. */
typedef struct dbsafe_buf {
  char *ptr;
  size_t size;
  size_t reserved; /* internal: capacity of ptr */
} dbsafe_buf;
#define DBSAFE_BUF_INIT \
  { NULL, 0, 0 }

/* Releases buf->ptr and resets buf to DBSAFE_BUF_INIT. Accepts NULL and an
 * empty buffer. */
DBSAFE_API void dbsafe_buf_dispose(dbsafe_buf *buf);

/* Log levels for dbsafe_log_fn. */
typedef enum dbsafe_log_level {
  DBSAFE_LOG_DEBUG = 10,
  DBSAFE_LOG_INFO = 20,
  DBSAFE_LOG_WARNING = 30,
  DBSAFE_LOG_ERROR = 40
} dbsafe_log_level;

/* Called on the thread running the call. `component` and `message` are
 * borrowed for the duration of the callback. Messages never hold secrets. */
typedef void (*dbsafe_log_fn)(void *payload, int level, const char *component, const char *message);

/* Progress events are JSON objects with at least "event" (a string). Return
 * non-zero to abort the call, which then fails with DBSAFE_EUSER. */
typedef int (*dbsafe_progress_fn)(void *payload, const char *event_json);

#ifdef __cplusplus
}
#endif

#endif /* DBSAFE_C_COMMON_H */
