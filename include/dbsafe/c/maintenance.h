/* dbsafe C ABI: the read-only window (docs/maintenance.md). Options as a
 * JSON object (unknown keys are DBSAFE_EINVALID), the report as a JSON
 * document with "schema_version" (docs/schema/maintenance-report.v1.json).
 * Thread safety: reentrant; calls on one database are serialised on the
 * server. */
#ifndef DBSAFE_C_MAINTENANCE_H
#define DBSAFE_C_MAINTENANCE_H

#include "call.h"
#include "common.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Opens, closes or reports the read-only window of a database.
 * `options_json`: {"action" (required: "on", "off" or "status"),
 * "database_url" (default DIRECT_URL, else DATABASE_URL), "terminate_writers"
 * (bool, with "on" or "status": end the sessions that connected before the
 * window, with pg_terminate_backend), "actor" (who opens it; default
 * GITHUB_ACTOR or USER)}. "on" runs ALTER DATABASE … SET
 * default_transaction_read_only = on and records the previous per-database
 * value in dbsafe.maintenance_window; "on" again keeps that record; "off"
 * puts the value back (RESET when there was none). Writers that could not be
 * ended are DBSAFE_OK with "not_terminated" > 0 in the report. Errors:
 * DBSAFE_EINVALID (options, no URL), DBSAFE_ECONNECT / EAUTH, DBSAFE_EDB
 * (e.g. SQLSTATE 42501: only the database's owner or a superuser may change
 * it), DBSAFE_ECANCELLED / ETIMEOUT. */
DBSAFE_API int dbsafe_maintenance(dbsafe_buf *out_report_json, const char *options_json,
                                  const dbsafe_call_options *call, dbsafe_error **out_err);

#ifdef __cplusplus
}
#endif

#endif /* DBSAFE_C_MAINTENANCE_H */
