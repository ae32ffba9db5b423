// Risk classification: every statement of a migration set parsed by
// PostgreSQL's own parser (libpg_query) and judged by the rule catalogue
// (docs/rules.md), with the context of the whole run.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dbsafe/call.hpp"
#include "dbsafe/error.hpp"
#include "dbsafe/export.hpp"
#include "dbsafe/source.hpp"

namespace dbsafe {
inline namespace v1 {

enum class Level { Off = 0, Info = 1, Warning = 2, Error = 3 };
DBSAFE_CXX_API const char *level_name(Level level) noexcept;  // "off", "info", ...
DBSAFE_CXX_API std::optional<Level> level_from_name(std::string_view name) noexcept;

// How the migrations will be executed, which decides transaction rules.
enum class Runner {
  Safe,    // dbsafe's default: each file in its own transaction, non-transactional
           // statements run outside it
  Prisma,  // Prisma: each file sent as one simple query (one implicit transaction)
};

// Live facts about one table, from a database or a stats file.
struct DBSAFE_CXX_API TableStats {
  double row_estimate = -1;  // reltuples; -1 unknown
  std::int64_t total_bytes = -1;
  int index_count = -1;
  std::optional<bool> empty;  // SELECT EXISTS, never COUNT(*)
};

struct DBSAFE_CXX_API IndexStats {
  std::string table;
  std::int64_t idx_scan = -1;
  std::int64_t bytes = -1;
};

// What `dbsafe stats` writes and `check --stats` reads (docs/schema/stats.v1.json).
struct DBSAFE_CXX_API Stats {
  int server_version_num = 0;                 // e.g. 150018; 0 unknown
  std::map<std::string, TableStats> tables;   // "schema.table"
  std::map<std::string, IndexStats> indexes;  // "schema.index"
  static Stats from_json(std::string_view json);
  std::string to_json() const;
};

struct DBSAFE_CXX_API CheckOptions {
  int pg_version = 15;  // target major version
  Runner runner = Runner::Safe;
  Level fail_on = Level::Error;
  // Per-rule level overrides ("off" disables a rule); wins over dbsafe.toml.
  std::map<std::string, Level> rule_levels;
  // Rules that are off by default and enabled on request.
  std::vector<std::string> enable;
  std::optional<Stats> stats;
  // Tables at or above these are "large": blocking and rewrite findings become errors.
  double large_table_rows = 100000;
  std::int64_t large_table_bytes = 1ll << 30;
  // Assumed rewrite/scan rate for lock-duration estimates, in bytes per second.
  double rewrite_bytes_per_second = 100.0 * 1024 * 1024;
  // Report findings only for these migrations (by name); earlier ones give context.
  std::optional<std::vector<std::string>> only_migrations;
  // dbsafe.toml to load; empty: walk up from the first path to find one; "-": none.
  std::string config_path;
  SourceOptions source;
};

struct DBSAFE_CXX_API Impact {
  std::string table;
  double row_estimate = -1;
  std::int64_t total_bytes = -1;
  int index_count = -1;
  std::int64_t idx_scan = -1;  // index drops
  std::optional<bool> empty;
  double estimated_lock_seconds = -1;  // rewrites and scans: bytes / assumed rate
  double assumed_bytes_per_second = 0;
};

struct DBSAFE_CXX_API Finding {
  std::string rule;                   // catalogue id, e.g. "drop-column"
  std::vector<std::string> severity;  // classes, primary first ("data-loss", ...)
  Level level = Level::Warning;
  std::string file;       // path as given joined with the file's relative path
  std::string migration;  // migration name
  std::uint32_t line = 0, column = 0, end_line = 0, end_column = 0;
  std::string statement;             // the statement's SQL text
  std::vector<std::string> objects;  // qualified names touched
  std::string lock;                  // strongest lock, e.g. "ACCESS EXCLUSIVE"; empty if none
  bool rewrite = false;
  bool scan = false;
  std::string message;  // what this statement does
  std::string why;      // why it is risky
  std::string fix;      // the safe alternative
  std::optional<Impact> impact;
  std::string fingerprint;  // stable across pushes: rule + file + statement hash
};

struct DBSAFE_CXX_API CheckSummary {
  std::size_t files = 0, statements = 0;
  std::size_t errors = 0, warnings = 0, infos = 0;
  std::map<std::string, std::size_t> by_rule;
  int pg_version = 15;
  Runner runner = Runner::Safe;
  Level fail_on = Level::Error;
  bool failed = false;  // findings at or above fail_on
};

struct DBSAFE_CXX_API CheckReport {
  std::vector<Finding> findings;  // in file order, then line, column
  CheckSummary summary;
  std::string to_json() const;  // docs/schema/check-report.v1.json
};

// One rule of the catalogue (docs/rules.md).
struct DBSAFE_CXX_API RuleDescription {
  std::string id;
  std::vector<std::string> severity;  // classes, primary first
  std::string why;
  std::string fix;
  bool off_by_default = false;
};
DBSAFE_CXX_API std::vector<RuleDescription> rules();

// Checks migration directories or single .sql files in order; each path is a
// migration set as MigrationSet::open reads it. Throws Error for unreadable
// input or configuration; SQL syntax errors are findings ("syntax-error").
DBSAFE_CXX_API CheckReport check(const std::vector<std::string> &paths,
                                 const CheckOptions &options = {}, const CallOptions &call = {});

// Reads table sizes, row estimates, emptiness and index usage from a live
// database with read-only queries (works through a transaction pooler).
DBSAFE_CXX_API Stats collect_stats(const std::string &database_url, const CallOptions &call = {});

// Checks one SQL text as a one-file migration named `name`.
DBSAFE_CXX_API CheckReport check_sql(std::string_view sql, const std::string &name,
                                     const CheckOptions &options = {});

}  // namespace v1
}  // namespace dbsafe
