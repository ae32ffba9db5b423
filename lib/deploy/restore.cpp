// The guarded restore of a target (docs/deploy.md, "Restore"): a typed
// confirmation, a safety snapshot of the data being replaced, the restore
// through the provider, optionally the newer migrations again, verify, and
// the audit trail written back into the rewound database.
#include <simdjson.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <optional>
#include <set>

#include "dbsafe/deploy.hpp"
#include "dbsafe/maintenance.hpp"
#include "dbsafe/migrate.hpp"
#include "deploy/deploy_internal.hpp"
#include "drift/drift.hpp"
#include "pg/connection.hpp"
#include "provider/policy.hpp"
#include "util/failpoint.hpp"
#include "util/json_writer.hpp"

namespace dbsafe {
inline namespace v1 {

namespace {

namespace fs = std::filesystem;
using deploy_detail::Clock;
using deploy_detail::current_message;
using deploy_detail::ms_since;
using deploy_detail::rfc3339;
using deploy_detail::shell_quote;

// "2026-11-20T09:30:00Z" and the like: a point in time, not a snapshot name
// (snapshot names never start with a four-digit year and a dash).
bool looks_like_timestamp(const std::string &s) {
  return s.size() >= 10 && std::isdigit(static_cast<unsigned char>(s[0])) &&
         std::isdigit(static_cast<unsigned char>(s[1])) &&
         std::isdigit(static_cast<unsigned char>(s[2])) &&
         std::isdigit(static_cast<unsigned char>(s[3])) && s[4] == '-' && s[7] == '-';
}

class RestorePipeline {
 public:
  RestorePipeline(const RestoreTargetOptions &options, const CallOptions &call)
      : options_(options), call_(call), ctx_(call) {}

  DeployReport run();

 private:
  template <typename Fn>
  void step(const std::string &name, Fn &&fn);
  void skip(const std::string &name, const std::string &why) {
    r_.steps.push_back({name, "skipped", 0, why});
  }
  void resolve(DeployStep &s);
  bool approved(DeployStep &s);  // false: stopped for approvals
  void take_safety_snapshot(DeployStep &s);
  void restore(DeployStep &s);
  void plan(DeployStep &s);
  void reapply(DeployStep &s);
  void verify(DeployStep &s);
  void open_window(DeployStep &s);
  void close_window();
  void audit();
  std::string undo_command() const;
  MigrateOptions migrate_options() const;

  const RestoreTargetOptions &options_;
  const CallOptions &call_;
  CallContext ctx_;
  DeployTarget t_;
  DeployReport r_;
  deploy_detail::ConnectedTarget conn_;
  std::unique_ptr<Provider> provider_;
  std::optional<SnapshotInfo> from_snapshot_;
  std::string from_timestamp_;
  std::string branch_;  // the branch a point-in-time restore rewinds
  bool restore_started_ = false;
  // Neon: the name the replaced branch keeps when no safety snapshot fit.
  std::string preserve_as_;
  bool window_open_ = false;  // this restore opened the read-only window
};

template <typename Fn>
void RestorePipeline::step(const std::string &name, Fn &&fn) {
  deploy_detail::run_step(ctx_, r_, "restore", name, true, fn);
}

MigrateOptions RestorePipeline::migrate_options() const {
  return deploy_detail::migrate_options(t_, conn_.apply_url, options_.lock_timeout,
                                        options_.connect_retry_budget);
}

void RestorePipeline::resolve(DeployStep &s) {
  ProviderOptions po = t_.provider_options;
  po.kind = t_.provider;
  if (t_.provider == "local" && po.database_url.empty()) po.database_url = conn_.apply_url;
  provider_ = Provider::open(po);
  if (looks_like_timestamp(options_.from)) {
    if (t_.provider == "local")
      throw Error(ErrorCode::Invalid,
                  "--from " + options_.from +
                      " is a point in time, which the local provider cannot restore (a "
                      "database copy has no WAL history); pass a snapshot's name or id (`dbsafe "
                      "snapshot list --provider local` lists them)");
    from_timestamp_ = options_.from;
    branch_ = provider_->default_branch(call_).name;
    r_.restored_from = "the state of branch " + branch_ + " at " + from_timestamp_;
    s.detail = "point-in-time restore of branch " + branch_ + " to " + from_timestamp_;
    return;
  }
  from_snapshot_ = provider_->find_snapshot(options_.from, call_);
  if (!from_snapshot_) {
    std::string known;
    for (const auto &sn : provider_->list_snapshots(call_))
      known += (known.empty() ? "" : ", ") + sn.name + " (" + sn.id + ", " + sn.created_at + ")";
    throw Error(
        ErrorCode::NotFound,
        "target " + t_.name + " has no snapshot named \"" + options_.from + "\"" +
            (known.empty() ? std::string(" (it has no snapshots)") : "; its snapshots: " + known) +
            ". Pass a snapshot's name or id, or an RFC 3339 time for a point-in-time "
            "restore (neon)");
  }
  r_.restored_from = "snapshot " + from_snapshot_->name + " (" + from_snapshot_->id + ", taken " +
                     from_snapshot_->created_at + ")";
  s.detail = r_.restored_from;
}

// The typed confirmation is one person's approval; a target that asks for
// more (`approvals`, seed 004's two approvers) needs that many distinct
// names, from approved_by or DBSAFE_APPROVED_BY.
bool RestorePipeline::approved(DeployStep &s) {
  r_.approvals_required = t_.approvals;
  std::set<std::string> names;
  for (const auto &n : options_.approved_by)
    if (!deploy_detail::trim(n).empty()) names.insert(deploy_detail::trim(n));
  for (const auto &n : deploy_detail::split_names(deploy_detail::env("DBSAFE_APPROVED_BY")))
    names.insert(n);
  r_.approved_by.assign(names.begin(), names.end());
  if (names.size() >= static_cast<std::size_t>(t_.approvals)) {
    r_.gate = "approved";
    s.detail = "approved by";
    for (const auto &n : r_.approved_by) s.detail += " " + n;
    return true;
  }
  r_.gate = "needs-approval";
  s.status = "blocked";
  r_.approve_hint = "dbsafe restore --target " + t_.name + " --from " + shell_quote(options_.from) +
                    " --confirm " + shell_quote(t_.name);
  for (int i = 1; i <= t_.approvals; ++i)
    r_.approve_hint += " --approved-by NAME" + std::to_string(i);
  s.detail = "target " + t_.name + " needs " + std::to_string(t_.approvals) +
             " distinct approvers to restore (have " + std::to_string(names.size()) +
             "); to go ahead run: " + r_.approve_hint;
  return false;
}

void RestorePipeline::take_safety_snapshot(DeployStep &s) {
  CreateSnapshotOptions o;
  auto now = std::chrono::system_clock::now();
  o.name = timestamped_name("pre-restore-", now);
  // Of the branch the restore replaces: the rewound one, or the snapshot's
  // source (neon; the local provider has the one database).
  o.branch = branch_;
  if (o.branch.empty() && from_snapshot_ && t_.provider == "neon")
    o.branch = from_snapshot_->source_branch_id;
  o.expires_at = rfc3339(now + std::chrono::hours(24) * t_.snapshot_expiry_days);
  try {
    r_.safety_snapshot = provider_->create_snapshot(o, call_);
  } catch (const Error &e) {
    // A full snapshot quota (Neon's Free plan holds one: the backup being
    // restored). Neon's restore keeps the branch it replaces: named, it is
    // the safety copy, and no other snapshot has to go first.
    if (t_.provider != "neon" || !provider::is_snapshot_quota_error(e)) throw;
    preserve_as_ = o.name;
    s.detail = "the snapshot quota is full (" + e.message() +
               "); the data being replaced will be "
               "kept as the branch " +
               preserve_as_ + " that the restore leaves in place";
    r_.warnings.push_back(s.detail);
    return;
  }
  s.detail = "the data being replaced is kept as " + r_.safety_snapshot->name + " (" +
             r_.safety_snapshot->id + "); expires " + o.expires_at.value_or("");
}

void RestorePipeline::restore(DeployStep &s) {
  restore_started_ = true;
  util::failpoint("restore.provider");  // a provider that fails part-way
  RestoreResult result;
  if (from_snapshot_) {
    RestoreOptions ro;
    ro.preserve_under_name = preserve_as_;
    result = provider_->restore_snapshot(from_snapshot_->id, ro, call_);
  } else {
    result = provider_->restore_branch(branch_, from_timestamp_, preserve_as_, call_);
  }
  r_.restored = true;
  s.detail = "restored " + r_.restored_from + " into " + result.branch.name +
             (result.replaced_by.empty()
                  ? std::string()
                  : "; the provider also kept the replaced data as " + result.replaced_by);
  for (const auto &n : result.notes) r_.warnings.push_back(n);
}

void RestorePipeline::plan(DeployStep &s) {
  auto status = migrate_status(t_.migrations, migrate_options(), call_);
  std::size_t applied = 0;
  for (const auto &m : status.plan.migrations) {
    if (m.state == MigrationState::Applied) ++applied;
    if (m.state == MigrationState::Pending || m.state == MigrationState::OutOfOrder)
      r_.pending.push_back(m.name);
  }
  s.detail = "the restored database has " + std::to_string(applied) + " migration" +
             (applied == 1 ? "" : "s") + " applied; " + std::to_string(r_.pending.size()) +
             " newer " + (r_.pending.size() == 1 ? "is" : "are") + " pending";
  for (std::size_t i = 0; i < r_.pending.size(); ++i)
    s.detail += (i == 0 ? ": " : ", ") + r_.pending[i];
}

void RestorePipeline::reapply(DeployStep &s) {
  auto report = migrate_deploy(t_.migrations, migrate_options(), call_);
  for (const auto &a : report.applied) r_.applied.push_back(a.name);
  for (const auto &w : report.warnings) r_.warnings.push_back(w);
  s.detail = "re-applied " + std::to_string(report.applied.size()) + " migration" +
             (report.applied.size() == 1 ? "" : "s");
}

void RestorePipeline::verify(DeployStep &s) {
  DiffOptions d;
  d.shadow.mode = t_.runner;
  d.shadow.server_url = conn_.apply_url;
  auto dv = diff::drift_and_verify(conn_.apply_url, t_.migrations, d, call_);
  r_.drift_changes = dv.drift.changes.size();
  for (const auto &p : dv.verify.problems)
    r_.verify_problems.push_back(p.object_type + " " + p.object + ": " + p.problem +
                                 (p.detail.empty() ? "" : " (" + p.detail + ")"));
  if (!dv.drift.empty() || !dv.verify.ok())
    throw Error(ErrorCode::State,
                "after the restore, the database does not match its migrations: " +
                    std::to_string(dv.drift.changes.size()) + " drift change" +
                    (dv.drift.changes.size() == 1 ? "" : "s") + " and " +
                    std::to_string(dv.verify.problems.size()) + " verify problem" +
                    (dv.verify.problems.size() == 1 ? "" : "s") + "; `dbsafe drift --migrations " +
                    t_.migrations + "` shows the SQL that reconciles it");
  s.detail = "no drift; " + std::to_string(dv.verify.tables) + " tables, " +
             std::to_string(dv.verify.indexes) + " indexes and " +
             std::to_string(dv.verify.foreign_keys) + " foreign keys present and valid";
}

// The read-only window on the restored database (docs/maintenance.md): the
// application's new sessions cannot write while the restored data is
// brought up to date; dbsafe's own sessions (plan, apply, verify, audit)
// turn it off for themselves.
void RestorePipeline::open_window(DeployStep &s) {
  MaintenanceOptions o;
  o.database_url = conn_.apply_url;
  o.action = MaintenanceAction::On;
  o.actor = r_.actor;
  auto report = maintenance(o, call_);
  window_open_ = report.changed;
  s.detail = "database " + report.database + " is read-only for new sessions" +
             (report.changed ? std::string() : " (the window was already open; left open after)");
  if (!report.writers.empty())
    s.detail +=
        "; " + std::to_string(report.writers.size()) + " session" +
        (report.writers.size() == 1 ? " that connected before it" : "s that connected before it") +
        " can still write";
  for (const auto &w : report.warnings) r_.warnings.push_back("maintenance: " + w);
}

// Closes the window this restore opened, whatever happened since: never
// throws, a failure is a warning with the command that closes it by hand.
void RestorePipeline::close_window() {
  if (!window_open_) return;
  auto start = Clock::now();
  DeployStep s{"maintenance-off", "ok", 0, ""};
  try {
    MaintenanceOptions o;
    o.database_url = conn_.apply_url;
    o.action = MaintenanceAction::Off;
    // Not cancellable: a cancelled restore must still reopen the database.
    auto report = maintenance(o, CallOptions{});
    s.detail = "database " + report.database +
               " is writable again (default_transaction_read_only " +
               (report.restored_setting ? "set back to " + *report.restored_setting
                                        : std::string("reset")) +
               ")";
    window_open_ = false;
  } catch (const Error &e) {
    s.status = "failed";
    s.detail = e.message();
    r_.warnings.push_back("the read-only window could not be closed (" + e.message() +
                          "); close it with: dbsafe maintenance off --database-url <the "
                          "target's direct URL>");
  }
  s.duration_ms = ms_since(start);
  r_.steps.push_back(std::move(s));
}

std::string RestorePipeline::undo_command() const {
  if (!r_.safety_snapshot) return {};
  return "dbsafe restore --target " + t_.name + " --from " + r_.safety_snapshot->id +
         " --confirm " + shell_quote(t_.name);
}

void RestorePipeline::audit() {
  // The restore rewound dbsafe.audit to the snapshot's moment: the file has
  // every line since, so the rows come back before this restore's own.
  if (r_.restored && !conn_.apply_url.empty()) {
    try {
      r_.audit_rows_written_back =
          deploy_detail::write_back_audit_rows(t_, conn_.apply_url, r_.warnings);
    } catch (const Error &e) {
      r_.warnings.push_back("the audit file's rows could not be written back to dbsafe.audit: " +
                            e.message());
    }
  }
  deploy_detail::audit(r_, t_, conn_.apply_url);
}

DeployReport RestorePipeline::run() {
  r_.operation = "restore";
  r_.id = deploy_detail::new_id();
  r_.started_at = rfc3339(std::chrono::system_clock::now());
  r_.dry_run = options_.dry_run;
  t_ = options_.target_config ? *options_.target_config
                              : load_deploy_target(options_.target, options_.config_path);
  if (t_.name.empty()) t_.name = options_.target.empty() ? "default" : options_.target;
  r_.target = t_.name;
  if (t_.provider != "local" && t_.provider != "neon")
    throw Error(ErrorCode::Invalid,
                "target " + t_.name + " has provider = \"" + t_.provider +
                    "\": there are no snapshots to restore; set provider = \"neon\" or "
                    "\"local\" in [targets." +
                    t_.name + "], or restore a pg_dump backup with `dbsafe backup restore`");
  if (options_.from.empty())
    throw Error(ErrorCode::Invalid,
                "nothing to restore from: pass --from SNAPSHOT (a name or id; `dbsafe snapshot "
                "list` lists them) or --from TIMESTAMP (RFC 3339, neon)");
  // The confirmation comes first: nothing is touched without it.
  if (!options_.dry_run && options_.confirm != t_.name && options_.confirm != "RESTORE")
    throw Error(ErrorCode::Invalid,
                std::string(options_.confirm.empty() ? "not confirmed"
                                                     : "the confirmation \"" + options_.confirm +
                                                           "\" does not name the target") +
                    ": restoring replaces the data of target " + t_.name +
                    "; type its name (or RESTORE) when asked, or pass --confirm " +
                    shell_quote(t_.name));
  std::string config_dir =
      t_.check_config != "-" ? fs::path(t_.check_config).parent_path().string() : ".";
  r_.git_sha = options_.git_sha.empty() ? deploy_detail::git_sha(config_dir) : options_.git_sha;
  r_.actor = options_.actor.empty() ? deploy_detail::actor() : options_.actor;
  r_.audit_file = options_.dry_run ? std::string() : t_.audit_file;

  std::optional<Error> failure;
  try {
    step("connect", [&](DeployStep &s) {
      deploy_detail::connect_target(t_, options_.connect_retry_budget, ctx_, r_, s, conn_);
    });
    step("resolve", [&](DeployStep &s) { resolve(s); });
    bool go = true;
    if (t_.approvals > 1) step("gate", [&](DeployStep &s) { go = approved(s); });
    if (!go && !options_.dry_run) {
      for (const char *n : {"safety-snapshot", "restore", "plan", "apply", "verify"})
        skip(n, "stopped for approvals");
      r_.outcome = "stopped";
      r_.exit_code = 1;
      r_.message = "the restore was stopped: " + r_.steps.back().detail;
    } else if (options_.dry_run) {
      for (const char *n :
           {"safety-snapshot", "restore", "plan", "apply", "verify", "audit", "notify"})
        skip(n, "dry run");
      r_.outcome = "dry-run";
      r_.message =
          "dry run: would restore " + r_.restored_from + " into target " + t_.name +
          (options_.safety_snapshot ? " after a safety snapshot of its current data" : "") +
          "; nothing was changed";
    } else {
      if (options_.safety_snapshot)
        step("safety-snapshot", [&](DeployStep &s) { take_safety_snapshot(s); });
      else
        skip("safety-snapshot", "turned off by the caller");
      step("restore", [&](DeployStep &s) { restore(s); });
      if (options_.maintenance || t_.maintenance)
        step("maintenance-on", [&](DeployStep &s) { open_window(s); });
      step("plan", [&](DeployStep &s) { plan(s); });
      if (r_.pending.empty()) {
        skip("apply", "nothing is newer than the restored state");
      } else if (options_.reapply) {
        step("apply", [&](DeployStep &s) { reapply(s); });
      } else {
        skip("apply", "pass --reapply to apply the newer migrations again");
        r_.warnings.push_back(std::to_string(r_.pending.size()) + " migration" +
                              (r_.pending.size() == 1 ? " is" : "s are") +
                              " newer than the restored state and not applied; `dbsafe deploy "
                              "--target " +
                              t_.name + "` applies them (with its gate)");
      }
      if (!r_.pending.empty() && !options_.reapply)
        skip("verify", "the database is at an older migration than the directory");
      else if (!t_.verify)
        skip("verify", "verify = false");
      else
        step("verify", [&](DeployStep &s) { verify(s); });
      close_window();
      r_.outcome = "restored";
      r_.message =
          "target " + t_.name + " was restored from " + r_.restored_from +
          (r_.safety_snapshot ? "; the data it replaced is kept as " + r_.safety_snapshot->name +
                                    " (" + r_.safety_snapshot->id + ")"
                              : std::string());
    }
  } catch (const Error &e) {
    failure = e;
  } catch (const std::exception &e) {
    failure = Error(ErrorCode::Internal, std::string("internal error: ") + e.what());
  }
  close_window();  // a failed plan, apply or verify: the window still closes
  if (failure) {
    r_.exit_code = deploy_detail::exit_code_for(failure->code());
    bool cancelled =
        failure->code() == ErrorCode::Cancelled || failure->code() == ErrorCode::Callback;
    r_.outcome = cancelled ? "cancelled" : "failed";
    r_.message = failure->message();
    if (r_.restored) {
      r_.message += " (the restore itself completed: the data is that of " + r_.restored_from + ")";
    } else if (restore_started_ && r_.safety_snapshot) {
      // A restore that failed part-way: a person looks, with the way back.
      r_.exit_code = 2;
      r_.restore_command = undo_command();
      r_.message +=
          "; the restore may have been left half-done. The data it was replacing is "
          "kept as " +
          r_.safety_snapshot->name + "; to put it back: " + r_.restore_command;
    } else if (r_.safety_snapshot) {
      r_.message += " (nothing was restored; the safety snapshot " + r_.safety_snapshot->name +
                    " was taken and is kept)";
    }
  }
  r_.finished_at = rfc3339(std::chrono::system_clock::now());
  if (!options_.dry_run) {
    audit();
    deploy_detail::notify(r_, t_);
  }
  if (failure) {
    // A half-done restore is a state for a person (exit 2), whatever failed.
    Error out(r_.exit_code == 2 ? ErrorCode::State : failure->code(), r_.message);
    if (!failure->sqlstate().empty()) out.with_sqlstate(failure->sqlstate());
    if (failure->http_status()) out.with_http_status(failure->http_status());
    out.with_detail_json(r_.to_json());
    throw out;
  }
  return r_;
}

}  // namespace

DeployReport restore_target(const RestoreTargetOptions &options, const CallOptions &call) {
  RestorePipeline pipeline(options, call);
  return pipeline.run();
}

}  // namespace v1
}  // namespace dbsafe
