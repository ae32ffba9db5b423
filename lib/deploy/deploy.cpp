// The safe-deploy pipeline: connect and validate, plan, check, gate,
// snapshot, apply, verify, report, audit, notify (docs/deploy.md). It only
// orchestrates: every step is a call into analyze, runner, drift, provider
// or http.
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <simdjson.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "dbsafe/deploy.hpp"
#include "dbsafe/migrate.hpp"
#include "dbsafe/schema.hpp"
#include "deploy/deploy_internal.hpp"
#include "drift/drift.hpp"
#include "http/client.hpp"
#include "http/url.hpp"
#include "pg/connection.hpp"
#include "util/failpoint.hpp"
#include "util/json_writer.hpp"

namespace dbsafe {
inline namespace v1 {

namespace fs = std::filesystem;
using deploy_detail::Clock;

namespace deploy_detail {

int exit_code_for(ErrorCode code) {
  // The table of docs/cli.md (cli/exit_codes.hpp holds the CLI's copy).
  switch (code) {
    case ErrorCode::Ok:
      return 0;
    case ErrorCode::Invalid:
    case ErrorCode::NotFound:
    case ErrorCode::Parse:
    case ErrorCode::Io:
    case ErrorCode::Version:
      return 3;
    case ErrorCode::Connect:
    case ErrorCode::Auth:
    case ErrorCode::Http:
    case ErrorCode::Timeout:
      return 4;
    case ErrorCode::Cancelled:
    case ErrorCode::Callback:
      return 130;
    case ErrorCode::State:
      return 2;
    case ErrorCode::Database:
    case ErrorCode::Internal:
      return 5;
  }
  return 5;
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

}  // namespace deploy_detail

namespace {

using deploy_detail::actor;
using deploy_detail::current_message;
using deploy_detail::env;
using deploy_detail::git_sha;
using deploy_detail::ms_since;
using deploy_detail::new_id;
using deploy_detail::rfc3339;
using deploy_detail::shell_quote;
using deploy_detail::split_names;
using deploy_detail::trim;
using deploy_detail::truthy;

class Pipeline {
 public:
  Pipeline(const DeployOptions &options, const CallOptions &call)
      : options_(options), call_(call), ctx_(call) {}

  DeployReport run();

 private:
  template <typename Fn>
  void step(const std::string &name, Fn &&fn);
  void skip(const std::string &name, const std::string &why) {
    r_.steps.push_back({name, "skipped", 0, why});
  }
  void skip_rest(const std::vector<std::string> &names, const std::string &why) {
    for (const auto &n : names) skip(n, why);
  }

  MigrateOptions migrate_options() const;
  void connect_and_validate(DeployStep &s);
  void branch(DeployStep &s);
  void plan(DeployStep &s);
  void check(DeployStep &s);
  bool gate(DeployStep &s);  // false: stopped
  void snapshot(DeployStep &s);
  void apply(DeployStep &s);
  void verify(DeployStep &s);
  void seed(DeployStep &s);
  void seed_or_skip() {
    if (options_.seed_command.empty()) return;
    if (options_.dry_run)
      skip("seed", "dry run: the seed command would run after the migrations");
    else
      step("seed", [&](DeployStep &s) { seed(s); });
  }
  void on_failure(const Error &e);
  void restore_after_failure();
  void audit() { deploy_detail::audit(r_, t_, conn_.apply_url); }
  void notify() { deploy_detail::notify(r_, t_); }
  std::string restore_command() const;

  const DeployOptions &options_;
  const CallOptions &call_;
  CallContext ctx_;
  DeployTarget t_;
  DeployReport r_;
  deploy_detail::ConnectedTarget conn_;  // the URL applied through
  std::string config_dir_;
  std::unique_ptr<Provider> provider_;
  bool apply_started_ = false;
  bool seed_started_ = false;
};

template <typename Fn>
void Pipeline::step(const std::string &name, Fn &&fn) {
  // The connect step arms its failpoint once the URL is known, so the audit
  // row can still be written.
  deploy_detail::run_step(ctx_, r_, "deploy", name, name != "connect", fn);
}

MigrateOptions Pipeline::migrate_options() const {
  return deploy_detail::migrate_options(t_, conn_.apply_url, options_.lock_timeout,
                                        options_.connect_retry_budget);
}

void Pipeline::connect_and_validate(DeployStep &s) {
  deploy_detail::connect_target(t_, options_.connect_retry_budget, ctx_, r_, s, conn_);
}

// A branch of its own for this git branch (a Vercel preview, a pull
// request): created from the default branch with an expiry, or reused; the
// deploy then goes to its URLs.
void Pipeline::branch(DeployStep &s) {
  std::string git =
      options_.git_branch.empty() ? deploy_detail::git_branch(config_dir_) : options_.git_branch;
  if (git.empty())
    throw Error(
        ErrorCode::Invalid,
        "target " + t_.name +
            " deploys to a branch per git branch, but the git branch is unknown: set "
            "VERCEL_GIT_COMMIT_REF (Vercel sets it), GITHUB_HEAD_REF or GITHUB_REF_NAME, or "
            "run in a git checkout");
  ProviderOptions po = t_.provider_options;
  po.kind = "neon";
  provider_ = Provider::open(po);
  std::string name = t_.branch_prefix + git;
  auto found = provider_->find_branch(name, call_);
  if (found) {
    r_.branch = *found;
  } else if (options_.dry_run) {
    // A dry run creates nothing: it plans against what the new branch
    // would start from, the default branch.
    auto parent = provider_->default_branch(call_);
    t_.direct_url = provider_->connection_url(parent.id, false, call_);
    t_.database_url = provider_->connection_url(parent.id, true, call_);
    s.detail = "dry run: would create branch " + name + " from " + parent.name +
               " (expiring after " + std::to_string(t_.branch_expiry_days) +
               " days); planned against " + parent.name;
    return;
  } else {
    CreateBranchOptions o;
    o.name = name;
    o.expires_at =
        rfc3339(std::chrono::system_clock::now() + std::chrono::hours(24) * t_.branch_expiry_days);
    r_.branch = provider_->create_branch(o, call_);
    r_.branch_created = true;
  }
  t_.direct_url = provider_->connection_url(r_.branch->id, false, call_);
  t_.database_url = provider_->connection_url(r_.branch->id, true, call_);
  s.detail = std::string(r_.branch_created ? "created" : "reusing") + " branch " + name + " (" +
             r_.branch->id + ")" +
             (r_.branch->expires_at ? "; expires " + *r_.branch->expires_at : std::string());
  if (!t_.branch_env_file.empty()) {
    // The URLs hold the password: a file only its owner reads, replaced whole.
    std::string tmp = t_.branch_env_file + ".partial";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
      throw Error(ErrorCode::Io, t_.branch_env_file + ": cannot write: " + std::strerror(errno));
    std::string text = "DATABASE_URL=" + t_.database_url + "\nDIRECT_URL=" + t_.direct_url + "\n";
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ok = ::close(fd) == 0 && ok;
    if (!ok || std::rename(tmp.c_str(), t_.branch_env_file.c_str()) != 0) {
      std::remove(tmp.c_str());
      throw Error(ErrorCode::Io, t_.branch_env_file + ": cannot write: " + std::strerror(errno));
    }
    s.detail += "; DATABASE_URL and DIRECT_URL written to " + t_.branch_env_file;
  }
}

void Pipeline::plan(DeployStep &s) {
  auto status = migrate_status(t_.migrations, migrate_options(), call_);
  std::size_t applied = 0;
  for (const auto &m : status.plan.migrations) {
    if (m.state == MigrationState::Failed && !m.resumable)
      throw Error(ErrorCode::State,
                  "migration " + m.name + " is recorded as failed in " + status.plan.history_table +
                      "; nothing is deployed until it is resolved. If its changes are not in "
                      "the database, fix the file and run `dbsafe migrate resolve "
                      "--rolled-back " +
                      m.name + " --migrations " + status.plan.root +
                      "`; if you completed it by hand, run `dbsafe migrate resolve --applied " +
                      m.name + " --migrations " + status.plan.root + "`.");
    if (m.state == MigrationState::Modified)
      throw Error(ErrorCode::State,
                  "migration " + m.name + " was edited after it was applied (recorded checksum " +
                      m.recorded_checksum + ", the file now has " + m.checksum + "): restore " +
                      status.plan.root + "/" + m.path +
                      " as applied, or put the change in a new migration; `dbsafe migrate "
                      "status --migrations " +
                      status.plan.root + "` shows the history.");
    if (m.state == MigrationState::Missing)
      r_.warnings.push_back("migration " + m.name + " is recorded as applied but is not in " +
                            status.plan.root);
    if (m.state == MigrationState::Applied) ++applied;
    if (m.state == MigrationState::Pending || m.state == MigrationState::OutOfOrder ||
        (m.state == MigrationState::Failed && m.resumable))
      r_.pending.push_back(m.name);
  }
  for (const auto &w : status.warnings) r_.warnings.push_back(w);
  s.detail =
      std::to_string(applied) + " applied, " + std::to_string(r_.pending.size()) + " pending";
  for (std::size_t i = 0; i < r_.pending.size(); ++i)
    s.detail += (i == 0 ? ": " : ", ") + r_.pending[i];
}

void Pipeline::check(DeployStep &s) {
  CheckOptions co;
  co.runner = t_.runner;
  co.only_migrations = r_.pending;
  co.config_path = t_.check_config;
  try {
    co.stats = collect_stats(conn_.apply_url, call_);
  } catch (const Error &e) {
    if (e.code() == ErrorCode::Cancelled || e.code() == ErrorCode::Callback) throw;
    r_.warnings.push_back("table sizes could not be read (" + e.message() +
                          "); the check ran without them");
  }
  r_.check = dbsafe::check({t_.migrations}, co, call_);
  const auto &sum = r_.check.summary;
  for (const auto &f : r_.check.findings)
    if (f.level > r_.highest_level) r_.highest_level = f.level;
  s.detail = std::to_string(sum.errors) + " errors, " + std::to_string(sum.warnings) +
             " warnings, " + std::to_string(sum.infos) + " infos in " +
             std::to_string(r_.pending.size()) + " pending migration" +
             (r_.pending.size() == 1 ? "" : "s") + (co.stats ? " (with live table sizes)" : "");
}

bool Pipeline::gate(DeployStep &s) {
  std::string flag_prefix = "dbsafe deploy --target " + t_.name;
  if (t_.block_on != Level::Off && r_.highest_level != Level::Off &&
      r_.highest_level >= t_.block_on) {
    r_.gate = "blocked";
    s.status = "blocked";
    s.detail = std::string("findings at level ") + level_name(r_.highest_level) +
               " are refused on this target (block_on = \"" + level_name(t_.block_on) +
               "\") even with an approval; change the migration (see the findings' fixes)";
    return false;
  }
  bool needs = t_.approve_on != Level::Off && r_.highest_level != Level::Off &&
               r_.highest_level >= t_.approve_on;
  if (!needs) {
    r_.gate = "none";
    s.detail = r_.highest_level == Level::Off
                   ? "no findings"
                   : std::string("highest finding level ") + level_name(r_.highest_level) +
                         " is below approve_on = \"" + level_name(t_.approve_on) + "\"";
    return true;
  }
  r_.approvals_required = t_.approvals;
  std::set<std::string> approvers;
  for (const auto &n : options_.approved_by)
    if (!trim(n).empty()) approvers.insert(trim(n));
  for (const auto &n : split_names(env("DBSAFE_APPROVED_BY"))) approvers.insert(n);
  bool approve = options_.approve || truthy(env("DBSAFE_APPROVE"));
  if (approve && approvers.empty()) approvers.insert(r_.actor);
  if (approvers.size() < static_cast<std::size_t>(t_.approvals) && options_.confirm &&
      !options_.dry_run) {
    GateQuestion q;
    q.target = t_.name;
    q.highest = r_.highest_level;
    for (const auto &f : r_.check.findings)
      if (f.level >= t_.approve_on) {
        ++q.findings;
        q.summary += f.file + ":" + std::to_string(f.line) + ": " + level_name(f.level) + "[" +
                     f.rule + "] " + f.message + "\n";
      }
    if (options_.confirm(q)) approvers.insert(r_.actor);
  }
  r_.approved_by.assign(approvers.begin(), approvers.end());
  std::size_t need = 0;
  for (const auto &f : r_.check.findings)
    if (f.level >= t_.approve_on) ++need;
  if (approvers.size() >= static_cast<std::size_t>(t_.approvals)) {
    r_.gate = "approved";
    std::string names;
    for (const auto &a : r_.approved_by) names += (names.empty() ? "" : ", ") + a;
    s.detail = std::to_string(need) + " finding" + (need == 1 ? "" : "s") + " at or above " +
               level_name(t_.approve_on) + ", approved by " + names;
    return true;
  }
  r_.gate = "needs-approval";
  s.status = "blocked";
  if (t_.approvals == 1)
    r_.approve_hint = flag_prefix + " --approve";
  else {
    r_.approve_hint = flag_prefix;
    for (int i = 1; i <= t_.approvals; ++i)
      r_.approve_hint += " --approved-by NAME" + std::to_string(i);
  }
  s.detail =
      std::to_string(need) + " finding" + (need == 1 ? "" : "s") + " at or above " +
      level_name(t_.approve_on) + " need" + (need == 1 ? "s" : "") + " " +
      (t_.approvals == 1 ? std::string("an approval")
                         : std::to_string(t_.approvals) + " distinct approvers") +
      (approvers.empty() ? std::string() : " (have " + std::to_string(approvers.size()) + ")") +
      "; to go ahead run: " + r_.approve_hint;
  return false;
}

void Pipeline::snapshot(DeployStep &s) {
  ProviderOptions po = t_.provider_options;
  po.kind = t_.provider;
  if (t_.provider == "local" && po.database_url.empty()) po.database_url = conn_.apply_url;
  provider_ = Provider::open(po);
  if (t_.snapshot == SnapshotMode::Rotate) {
    auto rr = rotate_snapshot(*provider_, RotateOptions{}, call_);
    r_.snapshot = rr.snapshot;
    s.detail = "rotating backup " + rr.snapshot.name + " (" + rr.snapshot.id + ") is ready" +
               (rr.replaced ? "; it replaced " + rr.replaced->id : std::string());
  } else {
    CreateSnapshotOptions o;
    auto now = std::chrono::system_clock::now();
    o.name = timestamped_name("pre-migration-", now);
    o.expires_at = rfc3339(now + std::chrono::hours(24) * t_.snapshot_expiry_days);
    r_.snapshot = provider_->create_snapshot(o, call_);
    s.detail = "snapshot " + r_.snapshot->name + " (" + r_.snapshot->id + ") is ready; expires " +
               o.expires_at.value_or("");
    if (t_.snapshot_keep) {
      RetentionPolicy policy;
      policy.name_prefix = "pre-migration-";
      policy.keep_last = t_.snapshot_keep;
      auto pruned = apply_snapshot_retention(*provider_, policy, r_.snapshot->id, false, call_);
      if (!pruned.deleted.empty())
        s.detail += "; retention deleted " + std::to_string(pruned.deleted.size()) + " older";
    }
  }
}

void Pipeline::apply(DeployStep &s) {
  apply_started_ = true;
  try {
    auto report = migrate_deploy(t_.migrations, migrate_options(), call_);
    for (const auto &a : report.applied) r_.applied.push_back(a.name);
    s.detail = "applied " + std::to_string(report.applied.size()) + " migration" +
               (report.applied.size() == 1 ? "" : "s") + " (" +
               (t_.runner == Runner::Safe ? "safe" : "prisma") + " mode)";
    for (const auto &w : report.warnings) r_.warnings.push_back(w);
  } catch (const Error &e) {
    // What was applied before the failure, from the runner's report.
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    simdjson::dom::array applied;
    if (!parser.parse(e.detail_json()).get(doc) && !doc["applied"].get_array().get(applied))
      for (auto a : applied) {
        std::string_view name;
        if (!a["name"].get_string().get(name)) r_.applied.emplace_back(name);
      }
    throw;
  }
}

void Pipeline::verify(DeployStep &s) {
  DiffOptions d;
  d.shadow.mode = t_.runner;
  d.shadow.server_url = conn_.apply_url;
  auto dv = diff::drift_and_verify(conn_.apply_url, t_.migrations, d, call_);
  r_.drift_changes = dv.drift.changes.size();
  for (const auto &p : dv.verify.problems)
    r_.verify_problems.push_back(p.object_type + " " + p.object + ": " + p.problem +
                                 (p.detail.empty() ? "" : " (" + p.detail + ")"));
  if (!dv.drift.empty() || !dv.verify.ok()) {
    std::string what;
    for (std::size_t i = 0; i < dv.drift.changes.size() && i < 5; ++i)
      what += (what.empty() ? "" : "; ") + dv.drift.changes[i].description;
    throw Error(ErrorCode::State,
                "after applying, the database does not match the migrations: " +
                    std::to_string(dv.drift.changes.size()) + " drift change" +
                    (dv.drift.changes.size() == 1 ? "" : "s") +
                    (what.empty() ? std::string() : " (" + what + ")") + " and " +
                    std::to_string(dv.verify.problems.size()) + " verify problem" +
                    (dv.verify.problems.size() == 1 ? "" : "s") + "; `dbsafe drift --migrations " +
                    t_.migrations + "` shows the SQL that reconciles it");
  }
  s.detail = "no drift; " + std::to_string(dv.verify.tables) + " tables, " +
             std::to_string(dv.verify.indexes) + " indexes, " +
             std::to_string(dv.verify.foreign_keys) + " foreign keys and " +
             std::to_string(dv.verify.constraints) + " constraints present and valid";
}

std::string Pipeline::restore_command() const {
  if (!r_.snapshot) return {};
  std::string cmd = "dbsafe snapshot restore " + r_.snapshot->id;
  if (t_.provider == "local") {
    cmd += " --provider local --database-url ";
    cmd += conn_.url_from_env ? "\"$" + conn_.url_env_used + "\""
                              : std::string("'<the target's URL>'");
  } else {
    cmd += " --provider neon";
  }
  return cmd + " --confirm " + shell_quote(r_.snapshot->source_branch_id);
}

void Pipeline::restore_after_failure() {
  DeployStep s{"restore", "ok", 0, ""};
  auto start = Clock::now();
  try {
    util::failpoint("deploy.restore");
    // A fresh call: the deploy's deadline may be what stopped it.
    auto result = provider_->restore_snapshot(r_.snapshot->id, RestoreOptions{}, CallOptions{});
    r_.restored = true;
    s.detail =
        "restored snapshot " + r_.snapshot->name + " (" + r_.snapshot->id + ") into " +
        result.branch.name +
        (result.replaced_by.empty() ? std::string()
                                    : "; the data it replaced is kept as " + result.replaced_by);
  } catch (...) {
    s.status = "failed";
    s.detail = current_message() + "; restore by hand: " + r_.restore_command;
    r_.warnings.push_back("auto_restore failed: " + s.detail);
  }
  s.duration_ms = ms_since(start);
  r_.steps.push_back(s);
}

// The seed runs as its own process so a seed script in any language works;
// the URL reaches it through the environment, never the command line (which
// process listings show).
void Pipeline::seed(DeployStep &s) {
  seed_started_ = true;
  std::vector<std::string> env_text;
  for (char **e = environ; *e; ++e) {
    std::string_view entry(*e);
    if (entry.starts_with("DATABASE_URL=") || entry.starts_with("DIRECT_URL=")) continue;
    env_text.emplace_back(entry);
  }
  env_text.push_back("DATABASE_URL=" + conn_.apply_url);
  env_text.push_back("DIRECT_URL=" + conn_.apply_url);
  std::vector<char *> envp;
  for (auto &e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string command = options_.seed_command;
  char sh[] = "/bin/sh", dash_c[] = "-c";
  char *argv[] = {sh, dash_c, command.data(), nullptr};
  pid_t pid = 0;
  if (int rc = ::posix_spawn(&pid, "/bin/sh", nullptr, nullptr, argv, envp.data()); rc != 0)
    throw Error(ErrorCode::Internal,
                std::string("could not start the seed command: ") + std::strerror(rc));
  int status = 0;
  for (;;) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR)
      throw Error(ErrorCode::Internal, "waiting for the seed command failed");
    try {
      ctx_.checkpoint();
    } catch (...) {  // cancelled or out of time: the seed stops too
      ::kill(pid, SIGTERM);
      ::waitpid(pid, &status, 0);
      throw;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    s.detail = "the seed command finished";
    return;
  }
  throw Error(ErrorCode::Database,
              WIFEXITED(status)
                  ? "the seed command exited with status " + std::to_string(WEXITSTATUS(status))
                  : "the seed command was killed by signal " + std::to_string(WTERMSIG(status)));
}

void Pipeline::on_failure(const Error &e) {
  r_.exit_code = deploy_detail::exit_code_for(e.code());
  bool cancelled = e.code() == ErrorCode::Cancelled || e.code() == ErrorCode::Callback;
  r_.outcome = cancelled ? "cancelled" : "failed";
  r_.message = e.message();
  if (r_.snapshot && provider_) {
    r_.restore_command = restore_command();
    if (!apply_started_) {
      r_.message +=
          " (nothing was applied; the snapshot " + r_.snapshot->name + " was taken and is kept)";
    } else if (seed_started_) {
      // The migrations were applied and verified; only the seed failed.
      r_.message +=
          " (the migrations were applied and verified; only the seed failed, so "
          "nothing was restored)";
    } else if (t_.auto_restore && !cancelled) {
      restore_after_failure();
      if (r_.restored) {
        r_.outcome = "restored";
        r_.message += "; the database was restored from snapshot " + r_.snapshot->name + " (" +
                      r_.snapshot->id + ")";
      }
    } else {
      r_.message += "; to put the data back as it was before the deploy run: " + r_.restore_command;
    }
  }
}

DeployReport Pipeline::run() {
  auto wall_start = std::chrono::system_clock::now();
  r_.id = new_id();
  r_.started_at = rfc3339(wall_start);
  r_.dry_run = options_.dry_run;
  // The target: a configuration error is an error before anything starts.
  std::string target_name = options_.target;
  if (!options_.target_config && target_name.empty()) {
    // A Vercel build: VERCEL_ENV picks the target through [vercel].
    r_.vercel_env = env("VERCEL_ENV");
    if (!r_.vercel_env.empty()) {
      target_name = vercel_target(r_.vercel_env, options_.config_path);
      if (target_name.empty()) {
        r_.target = "vercel-" + r_.vercel_env;
        r_.outcome = "skipped";
        r_.message = "VERCEL_ENV=" + r_.vercel_env + ": [vercel] " + r_.vercel_env +
                     " = \"skip\" (the default for previews and development); nothing was "
                     "deployed";
        r_.finished_at = rfc3339(std::chrono::system_clock::now());
        return r_;
      }
    }
  }
  if (options_.target_config) {
    t_ = *options_.target_config;
  } else {
    t_ = load_deploy_target(target_name, options_.config_path);
  }
  if (t_.name.empty()) t_.name = target_name.empty() ? "default" : target_name;
  if (t_.provider != "none" && t_.provider != "local" && t_.provider != "neon")
    throw Error(ErrorCode::Invalid, "target " + t_.name +
                                        ": provider must be \"neon\", "
                                        "\"local\" or \"none\"");
  r_.target = t_.name;
  if (!options_.seed_command.empty() && !t_.allow_seed)
    throw Error(ErrorCode::Invalid,
                "target " + t_.name +
                    " does not allow seeding: set allow_seed = true in its [targets." + t_.name +
                    "] table (seed staging and previews, never production unless its config "
                    "says so), or leave --seed out");
  config_dir_ =
      t_.check_config != "-" ? fs::path(t_.check_config).parent_path().string() : std::string(".");
  r_.git_sha = options_.git_sha.empty() ? git_sha(config_dir_) : options_.git_sha;
  r_.actor = options_.actor.empty() ? actor() : options_.actor;
  r_.audit_file = options_.dry_run ? std::string() : t_.audit_file;

  std::optional<Error> failure;
  try {
    if (t_.branch_per_git_branch) step("branch", [&](DeployStep &s) { branch(s); });
    step("connect", [&](DeployStep &s) { connect_and_validate(s); });
    step("plan", [&](DeployStep &s) { plan(s); });
    const std::vector<std::string> after_gate = {"snapshot", "apply", "verify"};
    if (r_.pending.empty()) {
      skip("check", "nothing pending");
      skip("gate", "nothing pending");
      skip_rest(after_gate, "nothing pending");
      r_.outcome = options_.dry_run ? "dry-run" : "up-to-date";
      r_.message = "the database is up to date; nothing to deploy";
      seed_or_skip();
    } else {
      step("check", [&](DeployStep &s) { check(s); });
      bool go = true;
      step("gate", [&](DeployStep &s) { go = gate(s); });
      if (options_.dry_run) {
        r_.outcome = "dry-run";
        r_.exit_code = go ? 0 : 1;
        std::string snap =
            t_.provider == "none" || t_.snapshot == SnapshotMode::None
                ? std::string("no snapshot (")
                      .append(t_.provider == "none" ? "provider" : "snapshot")
                      .append(" = \"none\")")
            : t_.snapshot == SnapshotMode::Rotate
                ? "the rotating snapshot pre-deploy-backup through " + t_.provider
                : "the snapshot " + timestamped_name("pre-migration-") + " through " + t_.provider;
        r_.message = "dry run: " + std::to_string(r_.pending.size()) + " migration" +
                     (r_.pending.size() == 1 ? "" : "s") + " would be applied after " + snap +
                     (go ? "" : ", but the gate would stop the deploy: " + r_.steps.back().detail) +
                     "; nothing was changed, no audit row or line was written";
        skip_rest(after_gate, "dry run");
        seed_or_skip();
      } else if (!go) {
        r_.outcome = r_.gate == "blocked" ? "blocked" : "stopped";
        r_.exit_code = 1;
        r_.message = "the deploy was stopped by its gate: " + r_.steps.back().detail;
        skip_rest(after_gate, "stopped by the gate");
      } else {
        if (t_.branch_per_git_branch)
          skip("snapshot", "the branch is itself a copy of its parent");
        else if (t_.provider == "none" || t_.snapshot == SnapshotMode::None)
          skip("snapshot", t_.provider == "none" ? "provider = \"none\"" : "snapshot = \"none\"");
        else
          step("snapshot", [&](DeployStep &s) { snapshot(s); });
        step("apply", [&](DeployStep &s) { apply(s); });
        if (!t_.verify)
          skip("verify", "verify = false");
        else
          step("verify", [&](DeployStep &s) { verify(s); });
        seed_or_skip();
        r_.outcome = "deployed";
        r_.message = "applied " + std::to_string(r_.applied.size()) + " migration" +
                     (r_.applied.size() == 1 ? "" : "s");
      }
    }
    if (options_.dry_run) {
      skip("audit", "dry run: no audit row or line");
      skip("notify", "dry run");
    }
  } catch (const Error &e) {
    failure = e;
  } catch (const std::exception &e) {
    failure = Error(ErrorCode::Internal, std::string("internal error: ") + e.what());
  }
  if (failure) on_failure(*failure);
  r_.finished_at = rfc3339(std::chrono::system_clock::now());
  if (!options_.dry_run) {
    audit();
    notify();
  }
  if (failure) {
    Error e = *failure;
    if (e.code() != ErrorCode::Internal) {
      // The failure's own message already names its step; the report holds
      // the rest (restore command, what was applied).
      Error out(e.code(), r_.message);
      out.with_file(e.file(), e.line(), e.column());
      if (!e.sqlstate().empty()) out.with_sqlstate(e.sqlstate());
      if (e.http_status()) out.with_http_status(e.http_status());
      out.with_detail_json(r_.to_json());
      throw out;
    }
    Error out(ErrorCode::Internal, r_.message);
    out.with_detail_json(r_.to_json());
    throw out;
  }
  return r_;
}

}  // namespace

DeployReport deploy(const DeployOptions &options, const CallOptions &call) {
  Pipeline pipeline(options, call);
  return pipeline.run();
}

}  // namespace v1
}  // namespace dbsafe
