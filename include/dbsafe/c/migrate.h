/* dbsafe C ABI: the migration runner (deploy, status, resolve, baseline)
 * over Prisma's _prisma_migrations table. */
#ifndef DBSAFE_C_MIGRATE_H
#define DBSAFE_C_MIGRATE_H

#include "call.h"
#include "common.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* `options_json` of every migrate call: NULL or a JSON object with any of
 * "database_url" (default: DIRECT_URL, else DATABASE_URL, from the
 * environment), "mode" ("safe"|"prisma"), "schema" (of _prisma_migrations;
 * default: the URL's schema parameter, else "public"), "layout",
 * "lock_timeout_ms" (default 5000), "statement_timeout_ms" (default none),
 * "lock_retries" (default 3), "lock_retry_backoff_ms",
 * "advisory_lock_timeout_ms" (default 60000), "connect_retry_ms" (default
 * 20000), "allow_modified" (bool), "dry_run" (bool, deploy only), and
 * "migrations" ({"<name>": {"lock_timeout_ms": n, "statement_timeout_ms": n}}).
 *
 * Each call writes a migrate report (docs/schema/migrate-report.v1.json).
 * Progress events (JSON) go to the call options' progress callback; a
 * cancel token or timeout cancels the running statement on the server.
 * Thread safety: reentrant; calls on one database serialise on the
 * migration advisory lock. */

/* Classifies every migration (applied, pending, failed, modified, missing,
 * out-of-order). Read-only; works through a transaction pooler. The
 * report's "status_code" is 0 (up to date), 1 (pending) or 2 (needs a
 * person). */
DBSAFE_API int dbsafe_migrate_status(dbsafe_buf *out_report_json, const char *migrations_dir,
                                     const char *options_json, const dbsafe_call_options *call,
                                     dbsafe_error **out_err);

/* Applies the pending migrations in order. On an SQL error returns
 * DBSAFE_EDB with the file, line, column and SQLSTATE in the error and the
 * report (with its "failure") as the error's detail JSON; any other error
 * after connecting (cancelled, timed out, lost connection) also carries the
 * report, so the caller sees what was applied. Refuses before changing
 * anything with DBSAFE_ESTATE when a migration is failed or modified, and
 * with DBSAFE_EINVALID when the URL goes through a transaction-mode pooler. */
DBSAFE_API int dbsafe_migrate_deploy(dbsafe_buf *out_report_json, const char *migrations_dir,
                                     const char *options_json, const dbsafe_call_options *call,
                                     dbsafe_error **out_err);

typedef enum dbsafe_resolve_action {
  DBSAFE_RESOLVE_APPLIED = 1,    /* record as applied without running it */
  DBSAFE_RESOLVE_ROLLED_BACK = 2 /* mark a failed migration as rolled back */
} dbsafe_resolve_action;

/* Prisma's `migrate resolve --applied NAME` / `--rolled-back NAME`. */
DBSAFE_API int dbsafe_migrate_resolve(dbsafe_buf *out_report_json, const char *migrations_dir,
                                      const char *migration_name, int action,
                                      const char *options_json, const dbsafe_call_options *call,
                                      dbsafe_error **out_err);

/* Records every migration up to and including `migration_name` as applied
 * without running it (adopting an existing database). */
DBSAFE_API int dbsafe_migrate_baseline(dbsafe_buf *out_report_json, const char *migrations_dir,
                                       const char *migration_name, const char *options_json,
                                       const dbsafe_call_options *call, dbsafe_error **out_err);

#ifdef __cplusplus
}
#endif

#endif /* DBSAFE_C_MIGRATE_H */
