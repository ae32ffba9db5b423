// The safe-deploy pipeline (docs/deploy.md): connect and validate, plan,
// check the pending migrations, gate, snapshot, apply, verify, report,
// audit and notify, for one target of dbsafe.toml.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dbsafe/call.hpp"
#include "dbsafe/check.hpp"
#include "dbsafe/error.hpp"
#include "dbsafe/export.hpp"
#include "dbsafe/provider.hpp"

namespace dbsafe {
inline namespace v1 {

enum class SnapshotMode {
  Rotate,       // the single rotating "pre-deploy-backup" (seed 000)
  Timestamped,  // "pre-migration-YYYYMMDD-HHMM", expiring (seed 002)
  None,
};

// One `[targets.NAME]` table of dbsafe.toml, or the same given in C++.
struct DBSAFE_CXX_API DeployTarget {
  std::string name;
  // Environment variables holding the URLs. The direct URL, when set, is
  // the one dbsafe applies through (like Prisma's directUrl).
  std::string url_env = "DATABASE_URL";
  std::string direct_url_env = "DIRECT_URL";
  // Given directly (C++ callers): win over the environment variables.
  std::string database_url;
  std::string direct_url;
  // The migration directory (the loader makes it relative to the config
  // file's directory).
  std::string migrations = "prisma/migrations";
  Runner runner = Runner::Safe;
  // "neon", "local" or "none". Neon settings come from `provider_options`
  // (the loader fills them from [neon] and NEON_*); local snapshots copy the
  // database the direct URL names.
  std::string provider = "none";
  ProviderOptions provider_options;
  SnapshotMode snapshot = SnapshotMode::Rotate;
  int snapshot_expiry_days = 7;              // timestamped only
  std::optional<std::size_t> snapshot_keep;  // timestamped: keep the N newest
  // The lowest finding level that needs an approval, and the lowest that is
  // refused even with one (Level::Off: never).
  Level approve_on = Level::Error;
  Level block_on = Level::Off;
  int approvals = 1;  // distinct approver names required
  bool auto_restore = false;
  bool verify = true;
  // Whether DeployOptions::seed_command may run on this target (seed 004:
  // staging yes, production only when its config says so).
  bool allow_seed = false;
  // `dbsafe restore` on this target opens the read-only window
  // (docs/maintenance.md) on the restored database around its apply step,
  // as RestoreTargetOptions::maintenance does.
  bool maintenance = false;
  // Preview deploys (neon): deploy to a branch of its own per git branch,
  // `branch_prefix` + the git branch, created from the default branch with
  // an expiry (reused while it exists; `dbsafe branch prune --expired`
  // removes it later). No snapshot is taken: the branch is itself a copy.
  bool branch_per_git_branch = false;
  std::string branch_prefix = "preview/";
  int branch_expiry_days = 7;
  // Where to write DATABASE_URL (pooled) and DIRECT_URL of that branch for
  // the rest of the build (mode 0600); empty: not written.
  std::string branch_env_file;
  // JSON-lines audit file; empty: none. The loader defaults it to
  // ".dbsafe/audit.jsonl" beside the config file.
  std::string audit_file;
  // Slack-compatible incoming webhook; DBSAFE_SLACK_WEBHOOK_URL wins.
  std::string notify_webhook;
  // The dbsafe.toml the check reads ("-": none).
  std::string check_config = "-";
};

// Reads `[targets.NAME]` from `config_path` (empty: dbsafe.toml in the
// current directory or the nearest parent). Throws Error(Invalid) naming
// the file, line, column and key for an unknown key or a bad value, and
// Error(NotFound) for a missing file or target.
DBSAFE_CXX_API DeployTarget load_deploy_target(const std::string &name,
                                               const std::string &config_path = {});

// The target a Vercel build deploys for `vercel_env` (VERCEL_ENV:
// production, preview or development), from the `[vercel]` table of
// dbsafe.toml: a target name, or "" for "skip". Defaults: production ->
// "production", preview and development -> skip.
DBSAFE_CXX_API std::string vercel_target(const std::string &vercel_env,
                                         const std::string &config_path = {});

// What a confirmation callback is shown.
struct DBSAFE_CXX_API GateQuestion {
  std::string target;
  Level highest = Level::Off;
  std::size_t findings = 0;
  std::string summary;  // the findings that need approval, one per line
};

struct DBSAFE_CXX_API DeployOptions {
  // The name of a [targets.NAME] table. Empty: the one the [vercel] table
  // maps VERCEL_ENV to (a Vercel build); "skip" there returns a report with
  // outcome "skipped" and exit code 0.
  std::string target;
  std::string config_path;  // empty: found like load_deploy_target finds it
  // Given: used as is, no file is read (`target`/`config_path` ignored).
  std::optional<DeployTarget> target_config;
  // Steps 1-4 only; changes nothing (no snapshot, no audit, no notification).
  bool dry_run = false;
  // Approvals (also from DBSAFE_APPROVE=1 and DBSAFE_APPROVED_BY=a,b).
  bool approve = false;
  std::vector<std::string> approved_by;
  // Asked when the gate needs an approval nobody gave (the CLI asks on a
  // terminal); true approves as the actor.
  std::function<bool(const GateQuestion &)> confirm;
  // Empty: from GITHUB_SHA / VERCEL_GIT_COMMIT_SHA / git, and GITHUB_ACTOR
  // / VERCEL_GIT_COMMIT_AUTHOR_LOGIN / USER.
  std::string git_sha, actor;
  // The git branch a branch_per_git_branch target names its branch after;
  // empty: VERCEL_GIT_COMMIT_REF, GITHUB_HEAD_REF, GITHUB_REF_NAME or git.
  std::string git_branch;
  // A command (run with /bin/sh -c) that seeds the database after the
  // migrations are applied and verified, with DATABASE_URL and DIRECT_URL
  // set to the URL dbsafe applied through. Refused (Error(Invalid), before
  // anything runs) on a target without allow_seed = true. A seed that fails
  // is reported (exit 5) but never restores the snapshot: the migrations
  // themselves succeeded.
  std::string seed_command;
  std::chrono::milliseconds connect_retry_budget{20000};
  std::chrono::milliseconds lock_timeout{5000};
};

struct DBSAFE_CXX_API DeployStep {
  // connect, plan, check, gate, snapshot, apply, restore, verify, seed, audit, notify
  std::string name;
  std::string status;  // ok, skipped, failed, blocked
  double duration_ms = 0;
  std::string detail;
};

struct DBSAFE_CXX_API DeployReport {
  std::string id;  // shared by the audit row and the audit file line
  // "deploy" (dbsafe::deploy) or "restore" (dbsafe::restore_target).
  std::string operation = "deploy";
  std::string target;
  bool dry_run = false;
  // deployed, up-to-date, dry-run, skipped ([vercel] says skip), stopped
  // (needs approval), blocked,
  // failed, restored (a deploy: failed, then restored; a restore: done),
  // cancelled
  std::string outcome;
  int exit_code = 0;  // docs/cli.md
  std::string message;
  std::string started_at, finished_at;  // RFC 3339, UTC
  std::string git_sha, actor;
  std::string database;    // the URL applied through, password redacted
  std::string vercel_env;  // VERCEL_ENV when the target came from [vercel]
  // branch_per_git_branch: the branch deployed to, and whether this deploy
  // created it.
  std::optional<BranchInfo> branch;
  bool branch_created = false;
  int server_version_num = 0;
  std::vector<DeployStep> steps;
  std::vector<std::string> pending;  // at planning time, in order
  std::vector<std::string> applied;
  CheckReport check;
  // The gate: "none" (nothing needs approval), "approved", "needs-approval",
  // "blocked".
  std::string gate = "none";
  Level highest_level = Level::Off;
  int approvals_required = 0;
  std::vector<std::string> approved_by;
  std::string approve_hint;  // the flag to pass when the gate stopped
  std::optional<SnapshotInfo> snapshot;
  std::string restore_command;  // after a failure once the snapshot exists
  bool restored = false;
  std::size_t drift_changes = 0;
  std::vector<std::string> verify_problems;
  std::vector<std::string> warnings;
  // A restore: what it brought back ("snapshot NAME (ID)" or "the state
  // at TIMESTAMP"), the snapshot of the data it replaced, and how many
  // audit rows of the file it wrote back into the restored dbsafe.audit.
  std::string restored_from;
  std::optional<SnapshotInfo> safety_snapshot;
  std::size_t audit_rows_written_back = 0;
  std::string audit_file;
  bool audit_row_written = false;
  bool audit_line_written = false;
  bool notified = false;

  std::string to_json() const;  // docs/schema/deploy-report.v1.json
  std::string to_text() const;
  std::string to_markdown() const;
};

// Runs the pipeline. Returns the report when the deploy finished, found
// nothing to do, was a dry run, or was stopped by the gate (exit_code 1).
// Throws Error when it failed; the error's detail JSON is the report:
// Invalid/NotFound/Parse (3: configuration), Connect/Auth (4), State (2:
// failed or modified migrations, the lock held, problems after applying),
// Database/Internal (5: failed part-way), Cancelled (130).
DBSAFE_CXX_API DeployReport deploy(const DeployOptions &options, const CallOptions &call = {});

// The guarded restore of a target (`dbsafe restore`; seed 000's one-step
// restore, seed 004's restore with approvals).
struct DBSAFE_CXX_API RestoreTargetOptions {
  std::string target;       // the name of a [targets.NAME] table
  std::string config_path;  // empty: found like load_deploy_target finds it
  std::optional<DeployTarget> target_config;
  // A snapshot's name or id, or an RFC 3339 timestamp (point-in-time
  // restore of the target's branch; neon only).
  std::string from;
  // Must be the target's name or "RESTORE" (not needed for a dry run): the
  // restore replaces the target's data.
  std::string confirm;
  // On a target with approvals = N > 1: N distinct names (also from
  // DBSAFE_APPROVED_BY=a,b); otherwise the restore stops (exit 1) before
  // anything is touched.
  std::vector<std::string> approved_by;
  // Re-apply the migrations that are newer than the restored state (with
  // the runner), then verify. Without it the database is left at the
  // restored state and the report lists what is pending.
  bool reapply = false;
  // Resolve and validate only; change nothing.
  bool dry_run = false;
  // Snapshot the data being replaced first (`pre-restore-YYYYMMDD-HHMM`).
  // Turning it off is for providers whose restore keeps the old data anyway
  // (neon keeps it as "<branch> (old)"); local restores always take one.
  bool safety_snapshot = true;
  // Open the read-only window (docs/maintenance.md) on the restored
  // database after the restore and before its plan and apply steps, and
  // close it after verify, also when a step fails (steps maintenance-on and
  // maintenance-off): the application's new sessions cannot write while the
  // restored database is brought up to date. Also `maintenance = true` in
  // the target's table of dbsafe.toml.
  bool maintenance = false;
  std::string git_sha, actor;  // empty: as for deploy
  std::chrono::milliseconds connect_retry_budget{20000};
  std::chrono::milliseconds lock_timeout{5000};
};

// Steps: connect, resolve, safety-snapshot, restore, plan, apply (with
// `reapply`), verify, audit (this row, plus the audit file's rows of the
// target that the restore rewound out of dbsafe.audit), notify. Returns
// the report (operation "restore", outcome "restored" or "dry-run"); throws
// Error with the report as detail JSON otherwise: Invalid (3: no or wrong
// confirmation, a point in time on the local provider), NotFound (3: no
// such snapshot; the message lists them), Connect (4), Database/Internal
// (5: the provider failed; the message says how to undo with the safety
// snapshot), State (2: verify found problems after re-applying).
DBSAFE_CXX_API DeployReport restore_target(const RestoreTargetOptions &options,
                                           const CallOptions &call = {});

}  // namespace v1
}  // namespace dbsafe
