/* dbsafe C ABI: a SQLite database copied into an existing PostgreSQL schema
 * (docs/copy.md). Options as a JSON object (unknown keys are
 * DBSAFE_EINVALID), the report as a JSON document with "schema_version"
 * (docs/schema/copy-report.v1.json). Thread safety: reentrant. */
#ifndef DBSAFE_C_COPY_H
#define DBSAFE_C_COPY_H

#include "call.h"
#include "common.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* `options_json`: {"from" (required: "sqlite:PATH"), "to" (the PostgreSQL
 * URL; default DATABASE_URL), "tables" (array of SQLite table names),
 * "mapping" (a TOML or .json mapping file), "dry_run", "truncate",
 * "confirm" (with truncate: the target database's name),
 * "single_transaction", "verify" (default true)}. Progress events
 * ({"event": "copy-progress", "table", "rows", "total", "rows_per_second",
 * "done"}) go to the call options' progress callback. Values that do not
 * convert and verification differences are DBSAFE_OK with "ok": false in
 * the report. Errors: DBSAFE_EINVALID (options, a table or column without
 * a counterpart, a cycle that cannot be deferred, truncate without the
 * right confirm), DBSAFE_ENOTFOUND (no such file or table), DBSAFE_EPARSE
 * (mapping file: file, line, column), DBSAFE_ESTATE (a target table holds
 * rows), DBSAFE_EIO (SQLite cannot read the file), DBSAFE_ECONNECT /
 * EAUTH, DBSAFE_EDB (the server refused a statement; that table was rolled
 * back and a rerun resumes), DBSAFE_ECANCELLED / ETIMEOUT. */
DBSAFE_API int dbsafe_copy(dbsafe_buf *out_report_json, const char *options_json,
                           const dbsafe_call_options *call, dbsafe_error **out_err);

#ifdef __cplusplus
}
#endif

#endif
