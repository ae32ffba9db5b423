// Schema introspection and drift: a model of a PostgreSQL schema read from
// pg_catalog, rendered back to DDL, and diffed against another model into
// the ordered SQL that turns one into the other (docs/drift.md).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dbsafe/call.hpp"
#include "dbsafe/check.hpp"
#include "dbsafe/error.hpp"
#include "dbsafe/export.hpp"
#include "dbsafe/migrate.hpp"
#include "dbsafe/source.hpp"

namespace dbsafe {
inline namespace v1 {

// Which schemas a model holds. Empty `include`: every schema except
// PostgreSQL's own and `exclude`. `_prisma_migrations` and dbsafe's own
// `dbsafe` schema are left out unless `include_history` is set.
struct DBSAFE_CXX_API SchemaFilter {
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  bool include_history = false;
};

// Where a model comes from, as `dbsafe diff --from/--to` spell it:
//   "url:postgresql://…" (or a bare postgres:// / postgresql:// URL),
//   "migrations:DIR", "empty", or the path of a saved JSON model
//   ("file:PATH" or a path ending in .json).
struct DBSAFE_CXX_API SchemaSource {
  enum class Kind { Url, Migrations, Empty, File };
  Kind kind = Kind::Empty;
  std::string location;  // URL, directory or file; empty for Empty
  // Throws Error(Invalid) naming the spec and the accepted forms.
  static SchemaSource parse(const std::string &spec);
  std::string describe() const;  // for reports; a URL's password redacted
};

// How a migration directory is turned into a model: replayed by the runner
// on a shadow database that is always dropped afterwards.
struct DBSAFE_CXX_API ShadowOptions {
  // A server to replay on (its database is emptied first and must hold no
  // tables). Empty: a temporary database on `server_url`'s server when its
  // role may create databases (as Prisma does), else an embedded throwaway
  // cluster started from the PostgreSQL server binaries on this machine.
  std::string shadow_database_url;
  // The server to create the temporary shadow database on (drift: the
  // database checked). Empty: only the other two ways.
  std::string server_url;
  // The schema the migrations run in (Prisma's `schema` URL parameter);
  // empty: the server URL's, else "public".
  std::string schema;
  Runner mode = Runner::Safe;
  SourceOptions source;
  // A directory where replayed schemas are kept, keyed by the migrations'
  // checksums, the mode, schema and filter, the dbsafe version and the shadow
  // server's major version: an unchanged migration set is not replayed
  // again. Empty: always replay.
  std::string cache_dir;
};

// A hint that an object was renamed, so the diff renames instead of
// dropping and adding: "table public.Old=public.New" or
// "column public.Table.old=new".
struct DBSAFE_CXX_API RenameHint {
  enum class Kind { Table, Column };
  Kind kind = Kind::Table;
  std::string from;  // qualified: schema.table or schema.table.column
  std::string to;    // the new name (table: schema.table; column: name)
  // Throws Error(Invalid) for an unknown form.
  static RenameHint parse(const std::string &spec);
};

struct DBSAFE_CXX_API DiffOptions {
  SchemaFilter filter;
  ShadowOptions shadow;
  std::vector<RenameHint> renames;
  // Risk classification of the emitted SQL (run as one migration file).
  CheckOptions check;
};

// One change of a diff, in the order it must run.
struct DBSAFE_CXX_API SchemaChange {
  std::string action;            // "create", "drop", "alter", "rename"
  std::string object_type;       // "table", "column", "index", "constraint", ...
  std::string object;            // qualified name, e.g. public.User.email
  std::string description;       // what differs, in words
  std::vector<std::string> sql;  // statements, each ending in ';'
  bool destructive = false;      // loses data or objects (drops)
};

struct DBSAFE_CXX_API DiffReport {
  std::string kind = "diff";  // "diff" or "drift"
  std::string from, to;       // sources, described (passwords redacted)
  std::vector<SchemaChange> changes;
  std::vector<std::string> warnings;  // likely renames, unsupported differences
  CheckReport check;                  // the rules run over sql()
  double elapsed_ms = 0;
  bool empty() const { return changes.empty(); }
  // Every statement in order, with a header comment; "" when empty.
  std::string sql() const;
  std::string to_json() const;  // docs/schema/diff-report.v1.json
  std::string to_markdown() const;
  std::string to_text() const;
};

enum class SchemaFormat { Sql, Json };

// Introspects a live database into a model and renders it: DDL in
// dependency order (Sql) or the model (Json, docs/schema/schema-model.v1.json).
// Read-only; works through a transaction pooler.
DBSAFE_CXX_API std::string schema_dump(const std::string &database_url, SchemaFormat format,
                                       const SchemaFilter &filter = {},
                                       const CallOptions &call = {});

// Loads a model from any source and renders it (a saved JSON model or a
// migration directory to DDL, for example).
DBSAFE_CXX_API std::string schema_render(const SchemaSource &source, SchemaFormat format,
                                         const DiffOptions &options = {},
                                         const CallOptions &call = {});

// The changes and SQL that turn `from` into `to`.
DBSAFE_CXX_API DiffReport schema_diff(const SchemaSource &from, const SchemaSource &to,
                                      const DiffOptions &options = {},
                                      const CallOptions &call = {});

// Drift: the live database against what the migrations produce; the SQL
// brings the database back to the migrations. Empty report: no drift.
// The shadow database is created on the checked server when allowed.
DBSAFE_CXX_API DiffReport drift(const std::string &database_url, const std::string &migrations_dir,
                                const DiffOptions &options = {}, const CallOptions &call = {});

struct DBSAFE_CXX_API VerifyProblem {
  std::string object_type;  // "table", "index", "foreign key", "constraint"
  std::string object;       // qualified name
  std::string problem;      // "missing", "invalid", "not valid", "different"
  std::string detail;       // expected vs found, in words
};

struct DBSAFE_CXX_API VerifyReport {
  std::size_t tables = 0, indexes = 0, foreign_keys = 0, constraints = 0;  // checked
  std::vector<VerifyProblem> problems;
  double elapsed_ms = 0;
  bool ok() const { return problems.empty(); }
  std::string to_json() const;  // docs/schema/verify-report.v1.json
  std::string to_text() const;
};

// After a deploy: every table, index and foreign key (and other table
// constraint) the migrations define is present in the live database and
// valid: no INVALID index, no NOT VALID constraint the migrations do not
// leave so.
DBSAFE_CXX_API VerifyReport verify(const std::string &database_url,
                                   const std::string &migrations_dir,
                                   const DiffOptions &options = {}, const CallOptions &call = {});

struct DBSAFE_CXX_API BaselineFromDatabaseOptions {
  SchemaFilter filter;
  // Name of the directory written under the migrations directory; empty:
  // "<UTC yyyymmddHHMMSS>_baseline".
  std::string migration_name;
  MigrateOptions migrate;  // database_url: the database to baseline
};

// Seed 002's baseline in one call: writes `<name>/migration.sql` with the
// live database's schema (DDL) into `migrations_dir` and records it as
// applied in _prisma_migrations. Refuses when the directory already holds
// migrations that are not applied on the database.
DBSAFE_CXX_API MigrateReport migrate_baseline_from_database(
    const std::string &migrations_dir, const BaselineFromDatabaseOptions &options,
    const CallOptions &call = {});

}  // namespace v1
}  // namespace dbsafe
