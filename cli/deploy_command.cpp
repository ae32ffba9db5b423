// `dbsafe deploy --target NAME` and `dbsafe restore --target NAME`: parse
// flags, ask for a typed approval or confirmation on a terminal, print the
// report and append it to the GitHub step summary.
// Everything that decides (the gate, the snapshot, the audit) lives in
// lib/deploy, so every surface behaves the same.
#include "cli/deploy_command.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/exit_codes.hpp"
#include "cli/interrupt.hpp"
#include "dbsafe/deploy.hpp"

namespace dbsafe::cli {

namespace {

struct DeployArgs {
  std::string target, config, format = "text", output, seed;
  bool dry_run = false, approve = false, quiet = false;
  // restore
  std::string from, confirm;
  bool reapply = false, no_safety_snapshot = false, maintenance = false;
  long connect_retry_ms = 20000;
  std::vector<std::string> approved_by;
};

std::string render(const DeployArgs &a, const DeployReport &r) {
  if (a.format == "json") return r.to_json() + "\n";
  if (a.format == "markdown") return r.to_markdown();
  return r.to_text();
}

// The report goes to --output (or stdout), and as Markdown to the GitHub
// step summary when there is one.
void emit(const DeployArgs &a, std::ostream &out, const DeployReport &r) {
  std::string text = render(a, r);
  if (!a.output.empty()) {
    std::ofstream f(a.output, std::ios::binary);
    f << text;
    if (!f) throw Error(ErrorCode::Io, a.output + ": cannot write the report");
  } else {
    out << text;
  }
  if (const char *summary = std::getenv("GITHUB_STEP_SUMMARY"); summary && *summary) {
    std::ofstream f(summary, std::ios::app | std::ios::binary);
    f << r.to_markdown() << "\n";
    if (!f) std::cerr << "dbsafe: warning: could not append to GITHUB_STEP_SUMMARY\n";
  }
}

bool interactive() {
  return isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
}

// Runs `operation` ("deploy" or "restore"), prints its report, and maps a
// failure to its exit code; a failure's report still reaches --format json
// and the step summary.
template <typename Fn>
int report_and_exit(const DeployArgs &a, std::ostream &out, const char *operation, Fn &&fn) {
  auto cancel = std::make_shared<CancelToken>();
  InterruptScope interrupts(cancel);
  CallOptions call;
  call.cancel = cancel;
  call.log = [&a](LogLevel level, std::string_view component, std::string_view message) {
    if (a.quiet || level < LogLevel::Warning) return;
    if (component == "postgres") return;
    std::cerr << "dbsafe: " << message << "\n";
  };
  try {
    DeployReport r = fn(call);
    emit(a, out, r);
    return r.exit_code;
  } catch (const Error &e) {
    if (e.detail_json() != "{}" && e.detail_json().find("\"outcome\"") != std::string::npos) {
      if (a.format == "json") {
        if (!a.output.empty()) {
          std::ofstream f(a.output, std::ios::binary);
          f << e.detail_json() << "\n";
        } else {
          out << e.detail_json() << "\n";
        }
      }
      if (const char *summary = std::getenv("GITHUB_STEP_SUMMARY"); summary && *summary) {
        std::ofstream f(summary, std::ios::app | std::ios::binary);
        f << "### dbsafe " << operation << " `" << a.target << "`: FAILED\n\n"
          << e.message() << "\n\n";
      }
    }
    std::cerr << "dbsafe: error: " << e.message() << "\n";
    return exit_code_for(e.code());
  }
}

int run_restore(const DeployArgs &a, std::ostream &out) {
  RestoreTargetOptions o;
  o.target = a.target;
  o.config_path = a.config;
  o.from = a.from;
  o.confirm = a.confirm;
  o.reapply = a.reapply;
  o.maintenance = a.maintenance;
  o.approved_by = a.approved_by;
  o.dry_run = a.dry_run;
  o.safety_snapshot = !a.no_safety_snapshot;
  o.connect_retry_budget = std::chrono::milliseconds(a.connect_retry_ms);
  if (!a.dry_run && o.confirm.empty() && interactive()) {
    std::cerr << "This replaces the data of target " << a.target << " with " << a.from
              << (a.no_safety_snapshot ? "" : " (after a safety snapshot of its current data)")
              << ".\nType '" << a.target << "' (or RESTORE) to confirm: " << std::flush;
    std::string line;
    if (!std::getline(std::cin, line) || (line != a.target && line != "RESTORE")) {
      std::cerr << "dbsafe: not confirmed; nothing was changed\n";
      return kExitUsage;
    }
    o.confirm = line;
  }
  return report_and_exit(a, out, "restore",
                         [&](const CallOptions &call) { return restore_target(o, call); });
}

int run(const DeployArgs &a, std::ostream &out) {
  DeployOptions o;
  o.target = a.target;
  o.config_path = a.config;
  o.dry_run = a.dry_run;
  o.approve = a.approve;
  o.approved_by = a.approved_by;
  o.seed_command = a.seed;
  o.connect_retry_budget = std::chrono::milliseconds(a.connect_retry_ms);
  // On a terminal the operator may approve by typing the target's name; a
  // script never hangs on a prompt.
  if (interactive()) {
    o.confirm = [](const GateQuestion &q) {
      std::cerr << q.summary << q.findings << " finding" << (q.findings == 1 ? "" : "s")
                << " need an approval to deploy to " << q.target << ".\nType '" << q.target
                << "' to approve: " << std::flush;
      std::string line;
      return std::getline(std::cin, line) && line == q.target;
    };
  }
  return report_and_exit(a, out, "deploy",
                         [&](const CallOptions &call) { return deploy(o, call); });
}

// The options deploy and restore share: the report and the connection.
void add_report_options(CLI::App *cmd, DeployArgs &a) {
  cmd->add_option("--format", a.format, "output: text, json or markdown")
      ->check(CLI::IsMember({"text", "json", "markdown"}));
  cmd->add_option("--output", a.output, "write the report to FILE instead of stdout");
  cmd->add_option("--connect-retry-ms", a.connect_retry_ms,
                  "keep retrying a refused connection this long (a waking Neon compute)");
  cmd->add_flag("-q,--quiet", a.quiet, "no log lines");
}

}  // namespace

void add_deploy_command(CLI::App &app, std::ostream &out, int &exit_code) {
  auto a = std::make_shared<DeployArgs>();
  auto *cmd = app.add_subcommand(
      "deploy",
      "the safe deploy of one dbsafe.toml target: check, gate, snapshot, apply, verify, audit "
      "(exit 0 done, 1 stopped by the gate, 2 needs a person, 3 configuration, 4 unreachable, "
      "5 failed part-way)");
  cmd->add_option("--target", a->target,
                  "the [targets.NAME] table of dbsafe.toml (default in a Vercel build: the one "
                  "[vercel] maps VERCEL_ENV to)");
  cmd->add_option("--config", a->config,
                  "dbsafe.toml to read (default: in this directory or the nearest parent)");
  cmd->add_flag("--dry-run", a->dry_run,
                "connect, plan, check and gate only; change nothing, write no audit record");
  cmd->add_flag("--approve", a->approve, "approve the findings that need an approval");
  cmd->add_option("--approved-by", a->approved_by,
                  "an approver's name (repeatable; distinct names count toward `approvals`)")
      ->allow_extra_args(false);
  cmd->add_option("--seed", a->seed,
                  "a command that seeds the database after the migrations (run with /bin/sh -c, "
                  "DATABASE_URL set); only on targets with allow_seed = true");
  add_report_options(cmd, *a);
  cmd->callback([a, &out, &exit_code] { exit_code = run(*a, out); });
}

void add_restore_command(CLI::App &app, std::ostream &out, int &exit_code) {
  auto a = std::make_shared<DeployArgs>();
  auto *cmd = app.add_subcommand(
      "restore",
      "the guarded restore of one dbsafe.toml target from a snapshot or a point in time: typed "
      "confirmation, safety snapshot, restore, optional re-apply, verify, audit (exit 0 "
      "restored, 2 half-done, 3 not confirmed or bad input, 4 unreachable, 5 failed)");
  cmd->add_option("--target", a->target, "the [targets.NAME] table of dbsafe.toml")->required();
  cmd->add_option("--from", a->from,
                  "a snapshot's name or id (`dbsafe snapshot list`), or an RFC 3339 time for a "
                  "point-in-time restore (neon)")
      ->required();
  cmd->add_option("--confirm", a->confirm,
                  "the target's name (or RESTORE), to skip the typed confirmation");
  cmd->add_option("--config", a->config,
                  "dbsafe.toml to read (default: in this directory or the nearest parent)");
  cmd->add_option("--approved-by", a->approved_by,
                  "an approver's name (repeatable), on a target with approvals = N > 1")
      ->allow_extra_args(false);
  cmd->add_flag("--maintenance", a->maintenance,
                "hold the restored database read-only for other sessions while dbsafe plans, "
                "re-applies and verifies, then reopen it (docs/maintenance.md; also "
                "`maintenance = true` in the target's table)");
  cmd->add_flag("--reapply", a->reapply,
                "apply the migrations newer than the restored state again, then verify");
  cmd->add_flag("--no-safety-snapshot", a->no_safety_snapshot,
                "do not snapshot the data being replaced first (neon keeps it as a branch "
                "anyway)");
  cmd->add_flag("--dry-run", a->dry_run, "connect and find the snapshot only; change nothing");
  add_report_options(cmd, *a);
  cmd->callback([a, &out, &exit_code] { exit_code = run_restore(*a, out); });
}

}  // namespace dbsafe::cli
