// Backups to files, for teams without Neon (seeds 001, 003, 004): pg_dump
// of a database into a directory with a SHA-256 manifest beside each file,
// an integrity check (optionally a test restore into a throwaway
// database), a guarded restore, and retention by days. See docs/backup.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dbsafe/call.hpp"
#include "dbsafe/error.hpp"
#include "dbsafe/export.hpp"
#include "dbsafe/provider.hpp"

namespace dbsafe {
inline namespace v1 {

// What `<backup file>.manifest.json` holds (docs/schema/backup-manifest.v1.json).
// A file without a manifest is not a dbsafe backup: verify refuses it and
// prune never touches it.
struct DBSAFE_CXX_API BackupManifest {
  std::string file;    // the backup's file name, without a directory
  std::string format;  // "custom" (pg_dump -Fc) or "plain-gz" (gzipped SQL)
  std::uint64_t bytes = 0;
  std::string sha256;            // of the file's bytes, lower-case hex
  std::string database;          // the database's name
  std::string source;            // the URL it was dumped from, password redacted
  std::string server_version;    // e.g. "15.6"
  std::string pg_dump_version;   // e.g. "15.6"
  std::string created_at;        // RFC 3339 UTC, when the dump started
  std::uint64_t tables = 0;      // TABLE entries in the dump
  std::uint64_t table_data = 0;  // TABLE DATA entries (tables whose rows are in it)
  std::uint64_t entries = 0;     // archive entries (custom: the TOC; plain: object headers)
  std::string dbsafe_version;
  std::string to_json() const;
};

struct DBSAFE_CXX_API BackupCreateOptions {
  // The database to dump; a direct connection (a transaction pooler is
  // refused). Empty: DIRECT_URL, else DATABASE_URL.
  std::string database_url;
  std::string dir;                // created when missing
  std::string format = "custom";  // "custom" or "plain-gz"
  // The file's base name (".dump" or ".sql.gz" is added); empty:
  // "<database>-YYYYMMDD-HHMMSS" (UTC). An existing backup is never
  // overwritten.
  std::string name;
  // Where pg_dump / pg_restore / psql are; empty: PG_BINDIR, the PostgreSQL
  // installations of this machine and PATH, choosing the oldest pg_dump
  // whose major version is at least the server's.
  std::string pg_bindir;
  int compression = 6;  // 0-9
};

struct DBSAFE_CXX_API BackupCreateReport {
  std::string path;           // the backup file
  std::string manifest_path;  // beside it
  BackupManifest manifest;
  std::string pg_dump;  // the program used
  std::int64_t duration_ms = 0;
  std::string to_json() const;  // docs/schema/backup-report.v1.json ("create")
};

struct DBSAFE_CXX_API BackupVerifyOptions {
  // A backup file (or its manifest). Empty: the newest backup in `dir`.
  std::string file;
  std::string dir;
  // Restore into a throwaway database and count what came back; the
  // database is dropped afterwards, also on failure. Where: the empty
  // database of shadow_database_url (emptied again), else a temporary
  // database on server_url's server, else a throwaway cluster started from
  // this machine's PostgreSQL binaries.
  bool test_restore = false;
  std::string shadow_database_url;
  std::string server_url;
  std::string pg_bindir;
};

struct DBSAFE_CXX_API BackupCheck {
  std::string name;  // "manifest", "size", "sha256", "toc", "read", "gzip", "sql", "test_restore"
  bool ok = false;
  std::string detail;  // what was found
};

struct DBSAFE_CXX_API RestoredTable {
  std::string name;  // schema.table
  std::uint64_t rows = 0;
};

struct DBSAFE_CXX_API TestRestoreResult {
  std::string where;  // e.g. "temporary database dbsafe_shadow_… on the given server"
  std::uint64_t tables = 0;
  std::uint64_t rows = 0;
  std::vector<RestoredTable> table_rows;
  std::int64_t duration_ms = 0;
};

struct DBSAFE_CXX_API BackupVerifyReport {
  std::string path;
  std::optional<BackupManifest> manifest;
  bool ok = false;  // every check passed
  std::vector<BackupCheck> checks;
  std::optional<TestRestoreResult> test_restore;
  std::int64_t duration_ms = 0;
  std::string to_json() const;  // docs/schema/backup-report.v1.json ("verify")
};

struct DBSAFE_CXX_API BackupRestoreOptions {
  std::string file;  // the backup file (or its manifest)
  // The database that gets the backup's objects and rows. Empty:
  // DIRECT_URL, else DATABASE_URL.
  std::string database_url;
  // Must equal the target database's name: a restore replaces data.
  std::string confirm;
  // A target that holds tables is refused unless `clean`: then the
  // backup's objects are dropped and recreated (custom format only), after
  // a safety backup of the target into `safety_backup_dir` (default: the
  // backup's directory).
  bool clean = false;
  std::string safety_backup_dir;
  bool no_owner = false;  // restore neither owners nor privileges (the target has other roles)
  std::string pg_bindir;
};

struct DBSAFE_CXX_API BackupRestoreReport {
  std::string path;
  std::string database;  // the target's name
  std::string target;    // its URL, password redacted
  BackupVerifyReport verify;
  bool target_was_empty = true;
  bool clean = false;
  std::optional<BackupCreateReport> safety_backup;  // taken before a --clean restore
  bool single_transaction = true;
  std::uint64_t tables = 0;  // user tables in the target afterwards
  std::string program;       // pg_restore or psql
  std::int64_t duration_ms = 0;
  std::string to_json() const;  // docs/schema/backup-report.v1.json ("restore")
};

struct DBSAFE_CXX_API BackupPruneOptions {
  std::string dir;
  int keep_days = 7;  // delete backups created more than this many days ago…
  int keep_min = 1;   // …but always keep this many of the newest (at least 1)
  bool dry_run = false;
};

// Thread safety: every function is reentrant; two calls on one directory
// never write the same file (names are unique, writes go to a temporary
// file that is renamed).

// pg_dump into `<dir>/<name>.partial`, read back (the archive's table of
// contents or the whole gzip stream) and only then renamed into place, with
// the manifest written beside it. The password reaches pg_dump through its
// environment, never its command line. Errors: Invalid (bad options, a
// pooler URL, an existing file), NotFound (no fitting pg_dump: the message
// names the server's version), Connect/Auth, Io (pg_dump failed; nothing is
// left behind), Cancelled/Timeout.
DBSAFE_CXX_API BackupCreateReport create_backup(const BackupCreateOptions &options,
                                                const CallOptions &call = {});

// Checks a backup against its manifest (size, SHA-256), reads the whole
// archive or gzip stream, and optionally restores it into a throwaway
// database. A corrupt backup is a report with ok = false, not an error;
// errors are for what stops the check itself (no such file, no manifest,
// no pg_restore).
DBSAFE_CXX_API BackupVerifyReport verify_backup(const BackupVerifyOptions &options,
                                                const CallOptions &call = {});

// Verifies the backup, then restores it in one transaction (a failure
// leaves the target as it was). Refuses (Invalid) without a confirmation
// naming the target database, and (State) a target holding tables without
// `clean`, and (State) a backup that fails verification.
DBSAFE_CXX_API BackupRestoreReport restore_backup(const BackupRestoreOptions &options,
                                                  const CallOptions &call = {});

// Retention by days over the backups of `dir` that have dbsafe manifests:
// the `keep_min` newest are kept whatever their age, and the newest backup
// whose bytes still match its manifest is never deleted. Other files are
// never touched. `deleted` lists file names, newest first.
DBSAFE_CXX_API PruneReport prune_backups(const BackupPruneOptions &options,
                                         const CallOptions &call = {});

// The manifest of a backup file (or the manifest itself); Error(NotFound)
// when there is none, Error(Parse) naming the file when it is unreadable.
DBSAFE_CXX_API BackupManifest read_backup_manifest(const std::string &path);

}  // namespace v1
}  // namespace dbsafe
