// Migration sets on disk: Prisma, plain SQL, Flyway, dbmate and
// golang-migrate layouts, read with Prisma-compatible checksums.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbsafe/call.hpp"
#include "dbsafe/error.hpp"
#include "dbsafe/export.hpp"

namespace dbsafe {
inline namespace v1 {

enum class Layout { Auto, Prisma, Plain, Flyway, Dbmate, GolangMigrate };

// "auto", "prisma", "plain", "flyway", "dbmate", "golang-migrate".
DBSAFE_CXX_API std::string_view layout_name(Layout layout) noexcept;
DBSAFE_CXX_API std::optional<Layout> layout_from_name(std::string_view name) noexcept;

inline constexpr std::uint64_t kDefaultMaxFileBytes = 64ull * 1024 * 1024;

struct DBSAFE_CXX_API SourceOptions {
  Layout layout = Layout::Auto;
  std::uint64_t max_file_bytes = kDefaultMaxFileBytes;
};

struct DBSAFE_CXX_API Migration {
  std::string name;           // Prisma: the directory name; others: the file name without .sql
  std::string version;        // the ordering key as written ("20230518191501", "1.2")
  std::string description;    // the part after the version
  std::string path;           // relative to the set's root, '/'-separated
  std::string sql;            // the SQL to apply (dbmate: the up section), exact bytes
  std::uint64_t bytes = 0;    // size of the file
  std::string checksum;       // lowercase hex SHA-256 of the file's bytes, as Prisma stores it
  bool transactional = true;  // false for dbmate's "-- migrate:up transaction:false"
  std::optional<std::string> down_path;  // golang-migrate .down.sql, Flyway U<ver>__
  std::optional<std::string> down_sql;   // dbmate's down section, or the down file's text
};

class DBSAFE_CXX_API MigrationSet {
 public:
  // Reads the set at `path`: a migration directory, or a project directory
  // holding exactly one Prisma migration directory below it. Throws Error
  // naming the file (and byte offset) and what to do.
  static MigrationSet open(const std::filesystem::path &path, const SourceOptions &options = {},
                           const CallOptions &call = {});

  // The directory actually read, spelled as given plus any discovered part.
  const std::string &root() const noexcept { return root_; }
  Layout layout() const noexcept { return layout_; }
  // Prisma's migration_lock.toml provider, when the file exists.
  const std::optional<std::string> &provider() const noexcept { return provider_; }
  // In application order.
  const std::vector<Migration> &migrations() const noexcept { return migrations_; }
  // Flyway's R__ repeatable migrations, by description.
  const std::vector<Migration> &repeatables() const noexcept { return repeatables_; }

  // The listing document (docs/schema/migration-set.v1.json).
  std::string to_json() const;

 private:
  friend class MigrationSetReader;
  std::string root_;
  Layout layout_ = Layout::Auto;
  std::optional<std::string> provider_;
  std::vector<Migration> migrations_;
  std::vector<Migration> repeatables_;
};

// Lowercase hex SHA-256 of `data`.
DBSAFE_CXX_API std::string sha256_hex(std::string_view data);

// Whether `script` matches a checksum from _prisma_migrations the way Prisma
// compares them: as is, with CRLF turned into LF, or LF into CRLF; and in
// Prisma's early unpadded hex form.
DBSAFE_CXX_API bool checksum_matches(std::string_view script, std::string_view stored_checksum);

}  // namespace v1
}  // namespace dbsafe
