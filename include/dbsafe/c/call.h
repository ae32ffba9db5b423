/* dbsafe C ABI: cancellation and the options every long call takes. */
#ifndef DBSAFE_C_CALL_H
#define DBSAFE_C_CALL_H

#include "common.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A cancel token. Thread safety: dbsafe_cancel_request and
 * dbsafe_cancel_is_requested may be called from any thread at any time, any
 * number of times; free it only when no call uses it any more. */
typedef struct dbsafe_cancel dbsafe_cancel;

DBSAFE_API int dbsafe_cancel_new(dbsafe_cancel **out, dbsafe_error **out_err);
DBSAFE_API void dbsafe_cancel_request(dbsafe_cancel *cancel);
DBSAFE_API bool dbsafe_cancel_is_requested(const dbsafe_cancel *cancel);
DBSAFE_API void dbsafe_cancel_free(dbsafe_cancel *cancel); /* accepts NULL */

/* Options of a long call. Fields are only ever appended, and each append
 * bumps DBSAFE_CALL_OPTIONS_VERSION. Always initialise with
 * DBSAFE_CALL_OPTIONS_INIT or dbsafe_call_options_init; version 0 is rejected
 * with DBSAFE_EVERSION. Pass NULL for the defaults. */
typedef struct dbsafe_call_options {
  unsigned int version;
  dbsafe_cancel *cancel;       /* optional; borrowed for the call */
  uint32_t timeout_ms;         /* 0: no timeout */
  dbsafe_log_fn log;           /* optional */
  dbsafe_progress_fn progress; /* optional; non-zero return aborts */
  void *payload;               /* passed to log and progress */
} dbsafe_call_options;

#define DBSAFE_CALL_OPTIONS_VERSION 1
#define DBSAFE_CALL_OPTIONS_INIT \
  { DBSAFE_CALL_OPTIONS_VERSION, NULL, 0, NULL, NULL, NULL }

/* Fills `opts` with the defaults of `version`; DBSAFE_EVERSION for an unknown
 * version. */
DBSAFE_API int dbsafe_call_options_init(dbsafe_call_options *opts, unsigned int version);

#ifdef __cplusplus
}
#endif

#endif /* DBSAFE_C_CALL_H */
