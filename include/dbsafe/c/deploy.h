/* dbsafe C ABI: the safe-deploy pipeline for one target of dbsafe.toml
 * (docs/deploy.md). */
#ifndef DBSAFE_C_DEPLOY_H
#define DBSAFE_C_DEPLOY_H

#include "call.h"
#include "common.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Runs connect and validate, plan, check, gate, snapshot, apply, verify,
 * audit and notify for one `[targets.NAME]` table of dbsafe.toml and writes
 * the deploy report (docs/schema/deploy-report.v1.json).
 *
 * `options_json`: a JSON object with "target" (the NAME; without it, in a
 * Vercel build, the target the [vercel] table maps VERCEL_ENV to, and a
 * report with outcome "skipped" when it maps to "skip"),
 * "config" (the dbsafe.toml; default: in the current directory or the
 * nearest parent), "dry_run" (bool: steps 1-4 only, nothing changes, no
 * audit record), "approve" (bool), "approved_by" (an array of names;
 * distinct names count toward the target's `approvals`) and "seed_command"
 * (run with /bin/sh -c after the migrations, DATABASE_URL and DIRECT_URL
 * set; only on a target with allow_seed = true, else DBSAFE_EINVALID before
 * anything runs). Unknown keys are DBSAFE_EINVALID.
 *
 * Returns DBSAFE_OK when the deploy finished, had nothing to do, was a dry
 * run, or was stopped by its gate: the report's "exit_code" is 1 and its
 * "gate"."approve_hint" names the flag to pass then. Any failure returns
 * its status (DBSAFE_EINVALID/ENOTFOUND/EPARSE: configuration; ECONNECT,
 * EAUTH: unreachable; ESTATE: failed or modified migrations, the migration
 * lock held, or a database that does not match the migrations after
 * applying; EDB: a migration failed; ECANCELLED) with the report as the
 * error's detail JSON once the target was read; after a snapshot the report
 * holds the restore command. Progress events ("deploy-step") go to the call
 * options' progress callback. Thread safety: reentrant; deploys of one
 * database serialise on the migration advisory lock. */
DBSAFE_API int dbsafe_deploy(dbsafe_buf *out_report_json, const char *options_json,
                             const dbsafe_call_options *call, dbsafe_error **out_err);

/* The guarded restore of one target (`dbsafe restore`): a safety snapshot
 * of the data being replaced, the restore through the target's provider,
 * optionally the newer migrations again and verify, the audit row (and the
 * audit file's rows the restore rewound out of dbsafe.audit) and the
 * notification. Writes the report (deploy-report.v1.json with "operation":
 * "restore" and a "restore" object).
 *
 * `options_json`: "target" and "from" (required: the NAME, and a
 * snapshot's name or id or an RFC 3339 time for a point-in-time restore,
 * neon only), "confirm" (required unless dry_run: the target's NAME or
 * "RESTORE"; anything else is DBSAFE_EINVALID before anything is touched),
 * "config", "dry_run", "reapply" (bool: apply the newer migrations again,
 * then verify), "safety_snapshot" (bool, default true), "maintenance"
 * (bool: the read-only window on the restored database around plan, apply
 * and verify; docs/maintenance.md) and "approved_by"
 * (names; a target with approvals = N > 1 needs N distinct ones, else the
 * report comes back with outcome "stopped" and exit_code 1).
 *
 * Returns DBSAFE_OK when restored (or a dry run). Failures:
 * DBSAFE_EINVALID/ENOTFOUND (no confirmation, no such snapshot: the message
 * lists them), ECONNECT/EAUTH, ESTATE (the restore failed part-way: the
 * report's "restore_command" puts the replaced data back from the safety
 * snapshot; or verify found problems after re-applying), EDB/EINTERNAL,
 * ECANCELLED; the report is the error's detail JSON. Progress events
 * ("restore-step") go to the progress callback. Thread safety: reentrant. */
DBSAFE_API int dbsafe_restore(dbsafe_buf *out_report_json, const char *options_json,
                              const dbsafe_call_options *call, dbsafe_error **out_err);

#ifdef __cplusplus
}
#endif

#endif /* DBSAFE_C_DEPLOY_H */
