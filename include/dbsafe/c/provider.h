/* dbsafe C ABI: snapshots and branches on Neon or on a PostgreSQL server
 * you own (docs/providers.md), and the rotation, retention and prune
 * policies. */
#ifndef DBSAFE_C_PROVIDER_H
#define DBSAFE_C_PROVIDER_H

#include "call.h"
#include "common.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An open provider. Not safe for concurrent use: one thread at a time per
 * handle (open one handle per thread instead). */
typedef struct dbsafe_provider dbsafe_provider;

/* `options_json`: NULL or a JSON object with any of
 *   "kind" ("neon" | "local"; default "neon"),
 *   neon: "api_key" (default: NEON_API_KEY; never logged or put in an
 *   error), "project_id" (default NEON_PROJECT_ID), "api_host" (default
 *   NEON_API_HOST, else the Neon console), "ca_file" (extra CA
 *   certificates, PEM), "database", "role" (for connection URLs),
 *   "operation_timeout_ms", "poll_interval_ms";
 *   local: "database_url" (default DATABASE_URL), "local_method"
 *   ("template" | "dump"), "terminate_blockers" (bool), "pg_bindir".
 * Missing settings fail with DBSAFE_EINVALID naming what is missing. */
DBSAFE_API int dbsafe_provider_open(dbsafe_provider **out, const char *options_json,
                                    dbsafe_error **out_err);
DBSAFE_API void dbsafe_provider_free(dbsafe_provider *provider); /* accepts NULL */
/* HTTP requests made so far through this handle (neon; 0 for local). */
DBSAFE_API uint64_t dbsafe_provider_requests_made(const dbsafe_provider *provider);

/* Documents written below: a branch is {"id", "name", "parent_id",
 * "state", "default", "protected", "created_at", "expires_at"}; a snapshot
 * is {"id", "name", "source_branch_id", "created_at", "expires_at",
 * "protected", "kind"}; lists are {"schema_version": 1, "branches" |
 * "snapshots": [...]}; a restore result is {"schema_version": 1, "branch",
 * "replaced_by", "notes"}. */

DBSAFE_API int dbsafe_provider_list_branches(dbsafe_buf *out_json, dbsafe_provider *provider,
                                             const dbsafe_call_options *call,
                                             dbsafe_error **out_err);

/* `options_json`: {"name", "parent" (name or id; default: the default
 * branch), "at_timestamp" | "at_lsn" (neon), "expires_at" (RFC 3339),
 * "with_endpoint" (bool, default true)}. Waits until the branch is ready. */
DBSAFE_API int dbsafe_provider_create_branch(dbsafe_buf *out_branch_json, dbsafe_provider *provider,
                                             const char *options_json,
                                             const dbsafe_call_options *call,
                                             dbsafe_error **out_err);

/* Refuses the default branch and a protected one (DBSAFE_ESTATE). A
 * binding asks its user to confirm before calling this. */
DBSAFE_API int dbsafe_provider_delete_branch(dbsafe_provider *provider, const char *name_or_id,
                                             const dbsafe_call_options *call,
                                             dbsafe_error **out_err);

/* Point-in-time restore of a branch in place (neon). The data it held is
 * kept as `preserve_under_name` (NULL or "": "<name> (old <timestamp>)"). */
DBSAFE_API int dbsafe_provider_restore_branch(dbsafe_buf *out_result_json,
                                              dbsafe_provider *provider, const char *name_or_id,
                                              const char *at_timestamp,
                                              const char *preserve_under_name,
                                              const dbsafe_call_options *call,
                                              dbsafe_error **out_err);

/* Writes the branch's connection URL (it holds a password). */
DBSAFE_API int dbsafe_provider_connection_url(dbsafe_buf *out_url, dbsafe_provider *provider,
                                              const char *name_or_id, bool pooled,
                                              const dbsafe_call_options *call,
                                              dbsafe_error **out_err);

DBSAFE_API int dbsafe_provider_list_snapshots(dbsafe_buf *out_json, dbsafe_provider *provider,
                                              const dbsafe_call_options *call,
                                              dbsafe_error **out_err);

/* `options_json`: {"name", "branch" (default: the default branch),
 * "at_timestamp" | "at_lsn" (neon), "expires_at" (RFC 3339)}. Waits until
 * the snapshot is ready. */
DBSAFE_API int dbsafe_provider_create_snapshot(dbsafe_buf *out_snapshot_json,
                                               dbsafe_provider *provider, const char *options_json,
                                               const dbsafe_call_options *call,
                                               dbsafe_error **out_err);

DBSAFE_API int dbsafe_provider_delete_snapshot(dbsafe_provider *provider, const char *name_or_id,
                                               const dbsafe_call_options *call,
                                               dbsafe_error **out_err);

/* `options_json`: {"target_branch" (default: the snapshot's source
 * branch), "finalize" (bool, default true), "preserve_under_name"}. */
DBSAFE_API int dbsafe_provider_restore_snapshot(dbsafe_buf *out_result_json,
                                                dbsafe_provider *provider, const char *name_or_id,
                                                const char *options_json,
                                                const dbsafe_call_options *call,
                                                dbsafe_error **out_err);

/* The single rotating backup of seed 000: the new snapshot is ready before
 * the old one is deleted. `options_json`: {"name" (default
 * "pre-deploy-backup"), "branch"}. Writes the rotate report
 * (docs/schema/rotate-report.v1.json). */
DBSAFE_API int dbsafe_snapshot_rotate(dbsafe_buf *out_report_json, dbsafe_provider *provider,
                                      const char *options_json, const dbsafe_call_options *call,
                                      dbsafe_error **out_err);

/* Retention: `options_json` {"name_prefix", "keep_last", "max_age_seconds",
 * "protected_names" (array), "just_taken" (id or name; never deleted),
 * "dry_run"}. Writes the prune report (docs/schema/prune-report.v1.json). */
DBSAFE_API int dbsafe_snapshot_retention(dbsafe_buf *out_report_json, dbsafe_provider *provider,
                                         const char *options_json, const dbsafe_call_options *call,
                                         dbsafe_error **out_err);

/* Branch pruning: `options_json` {"name_prefix", "keep_last",
 * "max_age_seconds", "protected_names", "expired" (bool, default true),
 * "old_restore_branches" (bool, default true), "dry_run"}. Never the
 * default branch or a protected one. Writes the prune report. */
DBSAFE_API int dbsafe_branch_prune(dbsafe_buf *out_report_json, dbsafe_provider *provider,
                                   const char *options_json, const dbsafe_call_options *call,
                                   dbsafe_error **out_err);

#ifdef __cplusplus
}
#endif

#endif /* DBSAFE_C_PROVIDER_H */
