/* dbsafe C ABI: the error object. */
#ifndef DBSAFE_C_ERROR_H
#define DBSAFE_C_ERROR_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An error returned through `dbsafe_error **out_err`. Owned by the caller,
 * released with dbsafe_error_free. Thread safety: immutable, so it may be read
 * from any thread; free it once. Every `const char *` accessor returns a
 * string borrowed from the error (valid until dbsafe_error_free), never NULL
 * unless documented. */
typedef struct dbsafe_error dbsafe_error;

DBSAFE_API int dbsafe_error_code(const dbsafe_error *err); /* a dbsafe_status */
DBSAFE_API const char *dbsafe_error_message(const dbsafe_error *err);
/* Five-character SQLSTATE for DBSAFE_EDB, else NULL. */
DBSAFE_API const char *dbsafe_error_sqlstate(const dbsafe_error *err);
/* The file the error is about, or NULL. */
DBSAFE_API const char *dbsafe_error_file(const dbsafe_error *err);
/* 1-based line and column in that file, or 0 when unknown. */
DBSAFE_API uint32_t dbsafe_error_line(const dbsafe_error *err);
DBSAFE_API uint32_t dbsafe_error_column(const dbsafe_error *err);
/* HTTP status for DBSAFE_EHTTP, else 0. */
DBSAFE_API int dbsafe_error_http_status(const dbsafe_error *err);
/* A JSON object with further detail ("{}" when there is none). */
DBSAFE_API const char *dbsafe_error_detail_json(const dbsafe_error *err);
/* The whole error as one JSON object with "schema_version", "code", "name",
 * "message", "sqlstate", "file", "line", "column", "http_status", "detail".
 * Bindings read this to build their exception in one step. */
DBSAFE_API const char *dbsafe_error_json(const dbsafe_error *err);

/* Accepts NULL. */
DBSAFE_API void dbsafe_error_free(dbsafe_error *err);

#ifdef __cplusplus
}
#endif

#endif /* DBSAFE_C_ERROR_H */
