// Snapshot and branch providers: a backup taken before a deploy, found by
// name, restored in one step. Two implementations: Neon (API v2: branches,
// native snapshots, point-in-time restore) and local (any PostgreSQL you
// own: a snapshot is a database copy). See docs/providers.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dbsafe/call.hpp"
#include "dbsafe/error.hpp"
#include "dbsafe/export.hpp"

namespace dbsafe {
inline namespace v1 {

struct DBSAFE_CXX_API ProviderOptions {
  std::string kind = "neon";  // "neon" or "local"

  // --- neon ----------------------------------------------------------------
  // Empty: NEON_API_KEY from the environment. Sent only in the
  // Authorization header; never logged, never in an error or report.
  std::string api_key;
  std::string project_id;  // empty: NEON_PROJECT_ID
  // Empty: NEON_API_HOST, else https://console.neon.tech/api/v2.
  std::string api_host;
  // A PEM file of extra CA certificates trusted besides the system store.
  std::string ca_file;
  std::string database = "neondb";  // for connection URLs
  std::string role = "neondb_owner";
  // How long to wait for Neon operations (and for 423 "locked" to clear).
  std::chrono::milliseconds operation_timeout{300000};
  std::chrono::milliseconds poll_interval{1000};

  // --- local ---------------------------------------------------------------
  // The database snapshots are taken of (and restored into). Its role must
  // be allowed to create databases.
  std::string database_url;
  // "template": CREATE DATABASE ... TEMPLATE (fast; needs no other sessions
  // on the source); "dump": pg_dump -Fc / pg_restore (works with sessions).
  std::string local_method = "template";
  // Terminate the sessions that block a TEMPLATE copy or a restore instead
  // of failing with their names.
  bool terminate_blockers = false;
  std::string pg_bindir;  // pg_dump / pg_restore; empty: found on this machine
};

// A branch (Neon) or the database itself (local: one "branch", the source).
struct DBSAFE_CXX_API BranchInfo {
  std::string id, name;
  std::string parent_id;
  std::string state;  // neon: init, ready, ...; local: ready
  bool is_default = false;
  bool is_protected = false;
  std::string created_at;  // RFC 3339, UTC
  std::optional<std::string> expires_at;
};

// A snapshot: Neon's native snapshot, or a local database copy.
struct DBSAFE_CXX_API SnapshotInfo {
  std::string id, name;
  std::string source_branch_id;
  std::string created_at;
  std::optional<std::string> expires_at;
  bool is_protected = false;      // local: marked protected; neon: never deleted by retention
  std::string kind = "snapshot";  // "snapshot", or "branch" when a branch holds the backup
};

struct DBSAFE_CXX_API CreateSnapshotOptions {
  std::string name;
  std::string branch;  // name or id; empty: the default branch (local: the database)
  // A point in the past to take it at (neon only): RFC 3339 timestamp or LSN.
  std::string at_timestamp, at_lsn;
  std::optional<std::string> expires_at;
};

struct DBSAFE_CXX_API CreateBranchOptions {
  std::string name;
  std::string parent;  // name or id; empty: the default branch
  std::string at_timestamp, at_lsn;
  std::optional<std::string> expires_at;
  bool with_endpoint = true;  // neon: a read-write compute to connect to
};

struct DBSAFE_CXX_API RestoreOptions {
  // The branch that gets the snapshot's data; empty: the snapshot's source
  // branch (local: the database).
  std::string target_branch;
  // Neon: finalize, so the target keeps its name, id and connection URL and
  // the branch it replaced keeps running as "<name> (old)" (or
  // `preserve_under_name`). Without it the data comes back on a new branch.
  bool finalize = true;
  std::string preserve_under_name;
};

struct DBSAFE_CXX_API RestoreResult {
  BranchInfo branch;        // the branch that now holds the restored data
  std::string replaced_by;  // what the previous data is kept as (name), if anything
  std::vector<std::string> notes;
};

class DBSAFE_CXX_API Provider {
 public:
  // Reads missing settings from the environment; throws Error(Invalid)
  // naming what is missing (never the key's value).
  static std::unique_ptr<Provider> open(const ProviderOptions &options);
  virtual ~Provider();

  virtual std::string kind() const = 0;

  virtual std::vector<BranchInfo> list_branches(const CallOptions &call = {}) = 0;
  // By exact name or id; nullopt when there is none.
  virtual std::optional<BranchInfo> find_branch(const std::string &name_or_id,
                                                const CallOptions &call = {}) = 0;
  virtual BranchInfo default_branch(const CallOptions &call = {}) = 0;
  // Creates and waits until it is ready.
  virtual BranchInfo create_branch(const CreateBranchOptions &options,
                                   const CallOptions &call = {}) = 0;
  // Refuses the default branch and a protected one (Error(State)).
  virtual void delete_branch(const std::string &name_or_id, const CallOptions &call = {}) = 0;
  // Point-in-time restore of a branch in place (neon; seed 002). The data
  // it held before is kept as a branch named `preserve_under_name` (empty:
  // "<name> (old <timestamp>)").
  virtual RestoreResult restore_branch(const std::string &name_or_id,
                                       const std::string &at_timestamp,
                                       const std::string &preserve_under_name,
                                       const CallOptions &call = {}) = 0;
  // The connection string of a branch: direct, or through the pooler.
  virtual std::string connection_url(const std::string &name_or_id, bool pooled,
                                     const CallOptions &call = {}) = 0;

  virtual std::vector<SnapshotInfo> list_snapshots(const CallOptions &call = {}) = 0;
  virtual std::optional<SnapshotInfo> find_snapshot(const std::string &name_or_id,
                                                    const CallOptions &call = {}) = 0;
  // Creates and waits until it is ready.
  virtual SnapshotInfo create_snapshot(const CreateSnapshotOptions &options,
                                       const CallOptions &call = {}) = 0;
  virtual void delete_snapshot(const std::string &name_or_id, const CallOptions &call = {}) = 0;
  virtual RestoreResult restore_snapshot(const std::string &name_or_id,
                                         const RestoreOptions &options,
                                         const CallOptions &call = {}) = 0;

  // Requests made so far (HTTP requests for neon; 0 for local).
  virtual std::uint64_t requests_made() const { return 0; }
};

// --- naming and retention (seed 000, seed 002) -------------------------------

struct DBSAFE_CXX_API RotateOptions {
  std::string name = "pre-deploy-backup";
  std::string branch;  // empty: the default branch
};

struct DBSAFE_CXX_API RotateReport {
  SnapshotInfo snapshot;                 // the new backup, ready
  std::optional<SnapshotInfo> replaced;  // the previous one, deleted after
  // Where the plan allows one snapshot only: the temporary branch that held
  // the backup while the old snapshot was replaced (deleted at the end).
  std::optional<std::string> bridge_branch;
  std::vector<std::string> steps;  // what was done, in order
  std::string to_json() const;     // docs/schema/rotate-report.v1.json
};

// The single rotating backup of seed 000: creates the new snapshot, waits
// until it is ready, and only then deletes the old one, so there is never a
// moment without a backup. When the snapshot quota is full, a temporary
// branch holds the backup while the old snapshot is replaced.
DBSAFE_CXX_API RotateReport rotate_snapshot(Provider &provider, const RotateOptions &options = {},
                                            const CallOptions &call = {});

// "<prefix>YYYYMMDD-HHMM" in UTC (seed 002's pre-migration-20260101-0930).
DBSAFE_CXX_API std::string timestamped_name(
    const std::string &prefix,
    std::chrono::system_clock::time_point at = std::chrono::system_clock::now());

struct DBSAFE_CXX_API RetentionPolicy {
  std::string name_prefix;               // only snapshots / branches whose name starts with it
  std::optional<std::size_t> keep_last;  // keep the N newest
  std::optional<std::chrono::seconds> max_age;  // delete older ones
  std::vector<std::string> protected_names;     // never deleted
};

struct DBSAFE_CXX_API PruneReport {
  std::vector<std::string> deleted;  // names
  std::vector<std::string> kept;     // names, with the reason in `reasons`
  std::vector<std::string> reasons;
  bool dry_run = false;
  std::string to_json() const;  // docs/schema/prune-report.v1.json
};

// Applies a retention policy to snapshots. Never deletes `just_taken` (an
// id or name), a protected snapshot, or one in `protected_names`.
DBSAFE_CXX_API PruneReport apply_snapshot_retention(Provider &provider,
                                                    const RetentionPolicy &policy,
                                                    const std::string &just_taken = {},
                                                    bool dry_run = false,
                                                    const CallOptions &call = {});

struct DBSAFE_CXX_API BranchPruneOptions {
  RetentionPolicy policy;            // by name prefix and age / count
  bool expired = true;               // branches past their expires_at
  bool old_restore_branches = true;  // the "(old)" branches restores leave behind
  bool dry_run = false;
};

// `dbsafe branch prune`: removes expired preview branches and the "(old)"
// branches restores leave, by age and name; never the default branch or a
// protected one.
DBSAFE_CXX_API PruneReport prune_branches(Provider &provider, const BranchPruneOptions &options,
                                          const CallOptions &call = {});

}  // namespace v1
}  // namespace dbsafe
