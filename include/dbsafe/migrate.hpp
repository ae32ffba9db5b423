// The migration runner: deploy, status, resolve and baseline over Prisma's
// _prisma_migrations table, so a team can switch between `prisma migrate
// deploy` and dbsafe in either direction on the same database.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dbsafe/call.hpp"
#include "dbsafe/check.hpp"
#include "dbsafe/error.hpp"
#include "dbsafe/export.hpp"
#include "dbsafe/source.hpp"

namespace dbsafe {
inline namespace v1 {

// Prisma's migration advisory lock key: dbsafe and Prisma exclude each other.
inline constexpr std::int64_t kMigrationLockKey = 72707369;

// Timeouts one migration may set apart from the run's.
struct DBSAFE_CXX_API MigrationTimeouts {
  std::optional<std::chrono::milliseconds> lock_timeout;
  std::optional<std::chrono::milliseconds> statement_timeout;
};

struct DBSAFE_CXX_API MigrateOptions {
  // Empty: DIRECT_URL, else DATABASE_URL, from the environment (like Prisma).
  // Prisma's own URL parameters (schema, pgbouncer, connection_limit, ...)
  // are understood and not passed to libpq.
  std::string database_url;
  // Runner::Safe: each file in its own transaction, statements that cannot
  // run in one (CREATE INDEX CONCURRENTLY, VACUUM, ...) run outside it.
  // Runner::Prisma: each file sent as one simple query, as Prisma does.
  Runner mode = Runner::Safe;
  SourceOptions source;
  // The schema of _prisma_migrations; empty: the URL's `schema` parameter,
  // else "public".
  std::string schema;
  std::chrono::milliseconds lock_timeout{5000};  // SET lock_timeout per statement
  std::optional<std::chrono::milliseconds> statement_timeout;
  // Per migration name; wins over the run's values.
  std::map<std::string, MigrationTimeouts> migration_timeouts;
  // Times a statement that hit lock_timeout is retried (with backoff).
  int lock_retries = 3;
  std::chrono::milliseconds lock_retry_backoff{500};
  // How long to wait for the migration advisory lock held by another deploy.
  std::chrono::milliseconds advisory_lock_timeout{60000};
  // Total time to keep retrying a connection that fails to open (a Neon
  // compute waking up), with backoff.
  std::chrono::milliseconds connect_retry_budget{20000};
  // Deploy even though an applied migration's file changed since.
  bool allow_modified = false;
  // deploy: compute and report the plan and its SQL without running it.
  bool dry_run = false;
};

enum class MigrationState {
  Applied,   // recorded as finished, checksum matches
  Pending,   // on disk, not recorded (or only rolled back)
  Failed,    // recorded as started and not finished nor rolled back
  Modified,  // applied, but the file's checksum differs from the record
  Missing,   // recorded as applied, not on disk
  // Pending, but a migration after it on disk is already applied: it was
  // merged late and will run after newer ones (deploy applies it; status
  // warns).
  OutOfOrder,
};
DBSAFE_CXX_API const char *migration_state_name(MigrationState state) noexcept;

// One unit the runner sends: a run of statements in one transaction, or one
// statement that cannot run in a transaction.
struct DBSAFE_CXX_API MigrationStep {
  std::uint32_t line = 1, column = 1;  // where the step starts in the file
  std::string sql;
  bool transactional = true;  // false: runs outside any transaction
};

struct DBSAFE_CXX_API PlannedMigration {
  std::string name;
  MigrationState state = MigrationState::Pending;
  std::string path;               // relative to the set's root; empty when missing
  std::string checksum;           // of the file on disk
  std::string recorded_checksum;  // from _prisma_migrations
  std::optional<std::string> started_at, finished_at;  // ISO 8601, from the record
  std::optional<std::string> logs;                     // the failure recorded
  // True when dbsafe's step records show a multi-step migration stopped
  // part-way by a crash (not an SQL error): the next deploy resumes it.
  bool resumable = false;
  std::vector<MigrationStep> steps;  // deploy --dry-run: what would run
};

struct DBSAFE_CXX_API MigrationPlan {
  std::string root;           // the migration directory read
  std::string history_table;  // e.g. "public"."_prisma_migrations"
  bool history_exists = false;
  std::vector<PlannedMigration> migrations;  // disk order, then missing ones
  std::size_t count(MigrationState state) const;
  // 0 up to date, 1 pending, 2 failed / modified / missing (docs/cli.md).
  int status_code() const;
};

struct DBSAFE_CXX_API AppliedMigration {
  std::string name;
  std::size_t steps = 0;
  double elapsed_ms = 0;
  bool resumed = false;  // continued a crashed multi-step migration
};

// Where and why a deploy stopped.
struct DBSAFE_CXX_API MigrationFailure {
  std::string migration;
  std::string file;  // the migration's file as given (root joined with path)
  std::uint32_t line = 0, column = 0;
  std::string sqlstate;
  std::string message;
  // True when nothing of the failed migration is left in the database (it
  // ran in one transaction that was rolled back).
  bool rolled_back = false;
  std::size_t steps_done = 0;   // steps of the migration that committed
  std::string resolve_command;  // the command that clears the failure
};

// What a migrate command did. On a failed deploy the Error thrown carries
// this document (with "failure" filled) as its detail JSON.
struct DBSAFE_CXX_API MigrateReport {
  std::string command;  // "status", "deploy", "resolve", "baseline"
  Runner mode = Runner::Safe;
  bool dry_run = false;
  MigrationPlan plan;  // status: the plan; others: the plan after the command
  std::vector<AppliedMigration> applied;
  std::vector<std::string> resolved;  // resolve / baseline: names marked
  std::vector<std::string> warnings;
  std::optional<MigrationFailure> failure;  // deploy stopped by an error
  double elapsed_ms = 0;
  std::string to_json() const;  // docs/schema/migrate-report.v1.json
};

// Reads the history and the set and classifies every migration. Read-only:
// works through a transaction pooler.
DBSAFE_CXX_API MigrateReport migrate_status(const std::string &migrations_dir,
                                            const MigrateOptions &options = {},
                                            const CallOptions &call = {});

// Applies every pending migration in order under the migration advisory
// lock. Refuses (Error(Invalid), naming the migration and the fixing
// command) when a migration is failed, or modified without allow_modified.
// On an SQL error throws Error(Database) with the file, line and column, the
// SQLSTATE, and the resolve command in the message.
DBSAFE_CXX_API MigrateReport migrate_deploy(const std::string &migrations_dir,
                                            const MigrateOptions &options = {},
                                            const CallOptions &call = {});

enum class ResolveAction { Applied, RolledBack };

// Prisma's `migrate resolve --applied NAME` / `--rolled-back NAME`.
DBSAFE_CXX_API MigrateReport migrate_resolve(const std::string &migrations_dir,
                                             const std::string &migration_name,
                                             ResolveAction action,
                                             const MigrateOptions &options = {},
                                             const CallOptions &call = {});

// Marks every migration up to and including `migration_name` as applied
// without running it (an existing database adopting the migration history).
DBSAFE_CXX_API MigrateReport migrate_baseline(const std::string &migrations_dir,
                                              const std::string &migration_name,
                                              const MigrateOptions &options = {},
                                              const CallOptions &call = {});

// Splits a migration's SQL into the steps the runner sends in `mode`.
DBSAFE_CXX_API std::vector<MigrationStep> plan_steps(std::string_view sql, Runner mode,
                                                     int pg_version = 15);

}  // namespace v1
}  // namespace dbsafe
