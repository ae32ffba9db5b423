/* dbsafe C ABI: backups to files with pg_dump, for teams without Neon
 * (docs/backup.md): create, verify, restore and prune. Every call takes its
 * options as a JSON object (unknown keys are DBSAFE_EINVALID) and writes a
 * JSON document with "schema_version". Thread safety: reentrant; calls on
 * one directory never write the same file. */
#ifndef DBSAFE_C_BACKUP_H
#define DBSAFE_C_BACKUP_H

#include "call.h"
#include "common.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* pg_dump of a database into a directory, with `<file>.manifest.json`
 * beside the file (docs/schema/backup-manifest.v1.json). `options_json`:
 * {"dir" (required), "database_url" (default DIRECT_URL, else DATABASE_URL;
 * a transaction pooler is refused), "format" ("custom" (default) or
 * "plain-gz"), "name" (the file's base name; default
 * "<database>-YYYYMMDD-HHMMSS"), "compression" (0-9, default 6),
 * "pg_bindir"}. Writes the create report (docs/schema/backup-report.v1.json).
 * Errors: DBSAFE_EINVALID (options, an existing file, a pooler URL),
 * DBSAFE_ENOTFOUND (no pg_dump as new as the server: the message names the
 * server's version), DBSAFE_ECONNECT / EAUTH, DBSAFE_EDB (pg_dump failed;
 * nothing is left behind), DBSAFE_EIO, DBSAFE_ECANCELLED. */
DBSAFE_API int dbsafe_backup_create(dbsafe_buf *out_report_json, const char *options_json,
                                    const dbsafe_call_options *call, dbsafe_error **out_err);

/* Checks a backup against its manifest (size, SHA-256) and reads it to its
 * end (pg_restore for the custom format; the gzip stream and the SQL's
 * "dump complete" line for plain-gz). `options_json`: {"file" (the backup
 * or its manifest) or "dir" (the newest backup there), "test_restore"
 * (bool: restore into a throwaway database, count tables and rows, drop
 * it), "shadow_database_url" (an empty database for that), "server_url"
 * (a server to create a temporary database on; default: a throwaway
 * cluster), "pg_bindir"}. A damaged backup is DBSAFE_OK with "ok": false
 * in the verify report; errors are for what stops the check (no such
 * backup or manifest: DBSAFE_ENOTFOUND). */
DBSAFE_API int dbsafe_backup_verify(dbsafe_buf *out_report_json, const char *options_json,
                                    const dbsafe_call_options *call, dbsafe_error **out_err);

/* Verifies the backup, then restores it into a database in one transaction,
 * so a failure leaves the target as it was. `options_json`: {"file"
 * (required), "database_url" (default DIRECT_URL, else DATABASE_URL),
 * "confirm" (required: the target database's name), "clean" (bool: restore
 * over a database that is not empty, custom format only, after a safety
 * backup of it), "safety_backup_dir" (default: the backup's directory),
 * "no_owner" (bool: skip owners and privileges; custom format only),
 * "pg_bindir"}. Errors: DBSAFE_EINVALID (no or a wrong confirmation),
 * DBSAFE_ESTATE (the backup fails verification, or the target is not empty
 * and "clean" is not set), DBSAFE_EDB (the restore failed and was rolled
 * back); their detail JSON is the restore report so far. */
DBSAFE_API int dbsafe_backup_restore(dbsafe_buf *out_report_json, const char *options_json,
                                     const dbsafe_call_options *call, dbsafe_error **out_err);

/* Retention by days. `options_json`: {"dir" (required), "keep_days"
 * (required, >= 0), "keep_min" (default 1: the newest is always kept),
 * "dry_run"}. Only backups with dbsafe manifests are touched; the newest
 * backup that still matches its manifest is never deleted. Writes the
 * prune report (docs/schema/prune-report.v1.json; names are file names). */
DBSAFE_API int dbsafe_backup_prune(dbsafe_buf *out_report_json, const char *options_json,
                                   const dbsafe_call_options *call, dbsafe_error **out_err);

#ifdef __cplusplus
}
#endif

#endif /* DBSAFE_C_BACKUP_H */
