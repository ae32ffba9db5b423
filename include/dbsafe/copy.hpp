// Moving data in: a SQLite database copied into an existing PostgreSQL
// schema (seed 001's move off SQLite), value by value converted by the
// target column's type, streamed with COPY, resumable per table and
// verified by digests computed on both sides. See docs/copy.md.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dbsafe/call.hpp"
#include "dbsafe/error.hpp"
#include "dbsafe/export.hpp"

namespace dbsafe {
inline namespace v1 {

// One progress step of one table, delivered while it is copied (about
// twice a second and once when the table ends).
struct DBSAFE_CXX_API CopyProgress {
  std::string table;        // the target table
  std::uint64_t rows = 0;   // rows read from the source so far
  std::uint64_t total = 0;  // rows in the source table
  double rows_per_second = 0;
  bool done = false;
};

struct DBSAFE_CXX_API CopyOptions {
  // "sqlite:PATH" (or a plain path): the SQLite file, opened read-only.
  std::string from;
  // The PostgreSQL database whose schema already exists. Empty:
  // DATABASE_URL. Its `schema` parameter (Prisma's) names the target
  // schema; "public" otherwise.
  std::string to;
  // SQLite table names to copy; empty: every table (without SQLite's own
  // and Prisma's _prisma_migrations).
  std::vector<std::string> tables;
  // A TOML or JSON file renaming tables and columns (docs/copy.md).
  std::string mapping_file;
  // Plan, read and convert every value, count, and change nothing.
  bool dry_run = false;
  // Empty the target tables first (refused without `confirm` naming the
  // target database). Without it a non-empty target table is refused.
  bool truncate = false;
  std::string confirm;
  // Everything in one transaction instead of one per table (no resume:
  // an interruption leaves nothing behind).
  bool single_transaction = false;
  // Compare row counts and digests after the copy (on by default).
  bool verify = true;
  // Called on the calling thread; returning is enough, it cannot abort
  // (CallOptions::progress can).
  std::function<void(const CopyProgress &)> on_progress;
};

// A value that does not convert to its target column's type.
struct DBSAFE_CXX_API CopyConversionFailure {
  std::string table;  // the SQLite table
  std::int64_t rowid = 0;
  std::string key;     // the row's primary key, as text
  std::string column;  // the SQLite column
  std::string value;   // the value as SQLite holds it, truncated to 80 bytes
  std::string reason;  // e.g. "not a boolean: only 0 and 1 are"
};

// A row whose normalised values differ between the two sides.
struct DBSAFE_CXX_API CopyDifference {
  std::string key;   // the primary key, as text
  std::string kind;  // "changed", "missing" (in the target) or "extra" (only in the target)
};

struct DBSAFE_CXX_API CopyTableReport {
  std::string source;  // the SQLite table
  std::string target;  // schema.table
  // "copied", "resumed" (done by an earlier run of the same source),
  // "planned" (dry run), "failed" (conversion failures; rolled back),
  // "blocked" (a table it references failed)
  std::string status;
  std::uint64_t source_rows = 0;
  std::uint64_t copied_rows = 0;
  std::int64_t duration_ms = 0;
  double rows_per_second = 0;
  // "column: sqlite INTEGER 0/1 -> boolean", one per converted column.
  std::vector<std::string> conversions;
  std::vector<std::string> sequences_reset;  // "seq = N"
  std::string note;                          // why a table failed, was blocked, …
  // Verification (when run): rows counted on the target, both digests.
  bool verified = false;
  std::uint64_t target_rows = 0;
  std::string source_digest;
  std::string target_digest;
  std::vector<CopyDifference> differences;  // at most 100 listed
  std::uint64_t differences_total = 0;
};

struct DBSAFE_CXX_API CopyReport {
  std::string source;           // the SQLite file
  std::string source_identity;  // SHA-256 of its bytes (and its -wal file)
  std::string target;           // the URL, password redacted
  std::string schema;
  std::string copy_id;
  bool dry_run = false;
  bool single_transaction = false;
  bool verify = true;
  std::vector<CopyTableReport> tables;
  std::vector<std::string> skipped;  // "table: why"
  // Foreign-key cycles and how they were handled.
  std::vector<std::string> cycles;
  std::vector<CopyConversionFailure> failures;  // at most 1000 listed
  std::uint64_t failures_total = 0;
  std::uint64_t rows_copied = 0;
  // No conversion failure, no verification difference.
  bool ok = false;
  std::int64_t duration_ms = 0;
  std::string to_json() const;      // docs/schema/copy-report.v1.json
  std::string to_text() const;      // for a terminal
  std::string to_markdown() const;  // for a PR comment or step summary
};

// Copies (or with dry_run plans) the SQLite database into PostgreSQL.
// Conversion failures and verification differences are in the report
// (ok = false), not errors. Errors: Invalid (bad options, a mapping that
// does not fit, a column without a counterpart, a non-empty target without
// truncate, a foreign-key cycle that is not deferrable), NotFound (no such
// file or table), Parse (mapping file), Io (SQLite cannot read the file),
// Connect/Auth, Database (the server refused a statement: the table being
// copied was rolled back, the tables before it are recorded as done),
// Cancelled/Timeout.
DBSAFE_CXX_API CopyReport copy_sqlite(const CopyOptions &options, const CallOptions &call = {});

}  // namespace v1
}  // namespace dbsafe
