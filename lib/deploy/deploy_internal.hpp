// The deploy pipeline's parts shared between its files.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "dbsafe/call.hpp"
#include "dbsafe/deploy.hpp"
#include "dbsafe/migrate.hpp"

namespace dbsafe {
inline namespace v1 {
namespace deploy_detail {

// The exit code of docs/cli.md for an error code.
int exit_code_for(ErrorCode code);
std::string rfc3339(std::chrono::system_clock::time_point t);

using Clock = std::chrono::steady_clock;

// The value of an environment variable; empty when unset (or name empty).
std::string env(const std::string &name);
double ms_since(Clock::time_point t);
// A random UUID (version 4): the id shared by an audit row and its line.
std::string new_id();
std::string trim(std::string s);
std::string shell_quote(const std::string &s);
// GITHUB_SHA, VERCEL_GIT_COMMIT_SHA, else `git rev-parse HEAD` in `dir`.
std::string git_sha(const std::string &dir);
// VERCEL_GIT_COMMIT_REF, GITHUB_HEAD_REF, GITHUB_REF_NAME, else the
// checked-out branch in `dir`; empty when none is known.
std::string git_branch(const std::string &dir);
// GITHUB_ACTOR, VERCEL_GIT_COMMIT_AUTHOR_LOGIN, USER, else the account name.
std::string actor();
std::vector<std::string> split_names(const std::string &comma_separated);
bool truthy(const std::string &value);
// The message of the exception being handled (call inside a catch).
std::string current_message();

// Runs one step of `operation` ("deploy" or "restore"): arms the failpoint
// "<operation>.<name>" unless `arm_failpoint` is false, records the step in
// `r.steps` with its duration (also when it throws, with the message), and
// reports it as a "<operation>-step" progress event and a log line.
void run_step(CallContext &ctx, DeployReport &r, const std::string &operation,
              const std::string &name, bool arm_failpoint,
              const std::function<void(DeployStep &)> &fn);

// The runner's options for applying to `apply_url` as target `t` does.
MigrateOptions migrate_options(const DeployTarget &t, const std::string &apply_url,
                               std::chrono::milliseconds lock_timeout,
                               std::chrono::milliseconds connect_retry_budget);

struct ConnectedTarget {
  std::string apply_url;  // the direct URL when set, else the URL
  bool url_from_env = false;
  std::string url_env_used;  // the variable apply_url came from
};

// The connect step of a deploy and of a restore: finds the URL (refusing a
// transaction-mode pooler without a direct URL), connects (retrying while a
// compute wakes up, within `retry_budget`), reads the server version into
// `r`, checks the CREATE privilege and that the migration lock is free.
// `out` is filled as soon as the URL is known, so a failure after that
// still leaves the URL the audit row is written through.
void connect_target(const DeployTarget &t, std::chrono::milliseconds retry_budget, CallContext &ctx,
                    DeployReport &r, DeployStep &s, ConnectedTarget &out);

// Writes the audit row into dbsafe.audit of the target (creating the schema
// and table when missing) and appends the line to the target's audit file,
// whatever happened to the row; records the "audit" step in `r`.
void audit(DeployReport &r, const DeployTarget &t, const std::string &apply_url);

// After a restore rewound dbsafe.audit: inserts the audit file's lines of
// target `t` whose rows are missing (by id), returns how many. Unreadable
// lines are counted into `warnings`.
std::size_t write_back_audit_rows(const DeployTarget &t, const std::string &apply_url,
                                  std::vector<std::string> &warnings);

// Posts {"text": ...} to the target's webhook; a failure is a warning in
// `r`, never an error. Records the "notify" step.
void notify(DeployReport &r, const DeployTarget &t);

}  // namespace deploy_detail
}  // namespace v1
}  // namespace dbsafe
