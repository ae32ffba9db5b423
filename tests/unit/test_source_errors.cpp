// Every error of the migration-set reader, with its exact message: each
// names the path (and position where it applies) and what to do.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbsafe/source.hpp"
#include "support/read_for_check.hpp"
#include "support/temp_dir.hpp"

using dbsafe::ErrorCode;
using dbsafe::MigrationSet;
using dbsafe::testing::TempDir;

namespace {

struct Caught {
  ErrorCode code;
  std::string message, file, detail;
  std::uint32_t line, column;
};

Caught open_error(const std::string &path, dbsafe::SourceOptions options = {}) {
  try {
    MigrationSet::open(path, options);
  } catch (const dbsafe::Error &e) {
    return {e.code(), e.message(), e.file(), e.detail_json(), e.line(), e.column()};
  }
  ADD_FAILURE() << "expected an error for " << path;
  return {};
}

constexpr std::string_view kLock = "provider = \"postgresql\"\n";

TEST(SourceErrors, MissingDirectory) {
  TempDir dir;
  auto e = open_error(dir.str() + "/nope");
  EXPECT_EQ(e.code, ErrorCode::NotFound);
  EXPECT_EQ(e.message, dir.str() +
                           "/nope: no such directory; pass the directory that holds the "
                           "migrations (for Prisma, prisma/migrations)");
  EXPECT_EQ(e.file, dir.str() + "/nope");
}

TEST(SourceErrors, UnreadableDirectory) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads every directory";
  TempDir dir;
  dir.write("m/001.sql", "SELECT 1;\n");
  std::filesystem::permissions(dir.path() / "m", std::filesystem::perms::none);
  auto e = open_error(dir.str() + "/m");
  std::filesystem::permissions(dir.path() / "m", std::filesystem::perms::owner_all);
  EXPECT_EQ(e.code, ErrorCode::Io);
  EXPECT_EQ(e.message, dir.str() + "/m: cannot read directory: Permission denied");
}

TEST(SourceErrors, NoMigrationsFound) {
  TempDir dir;
  dir.write("README.md", "hello\n");
  auto e = open_error(dir.str());
  EXPECT_EQ(e.code, ErrorCode::NotFound);
  EXPECT_EQ(e.message, dir.str() +
                           ": no migrations found (no migration_lock.toml, no */migration.sql, "
                           "no .sql files, and no Prisma migrations directory below it); pass "
                           "the directory that holds the migrations");
}

TEST(SourceErrors, SeveralPrismaDirectoriesBelowAProject) {
  TempDir dir;
  dir.write("a/prisma/migrations/migration_lock.toml", kLock);
  dir.write("b/prisma/migrations/migration_lock.toml", kLock);
  auto e = open_error(dir.str());
  EXPECT_EQ(e.code, ErrorCode::Invalid);
  EXPECT_EQ(e.message, dir.str() + ": holds several Prisma migration directories (" + dir.str() +
                           "/a/prisma/migrations, " + dir.str() +
                           "/b/prisma/migrations); pass the one to use");
}

TEST(SourceErrors, EmptyMigrationFile) {
  TempDir dir;
  dir.write("migration_lock.toml", kLock);
  dir.write("20240101000000_empty/migration.sql", "");
  auto e = open_error(dir.str());
  EXPECT_EQ(e.code, ErrorCode::Invalid);
  EXPECT_EQ(e.message, dir.str() +
                           "/20240101000000_empty/migration.sql: migration file is empty (0 "
                           "bytes); write the migration's SQL or delete the file");
  EXPECT_EQ(e.file, dir.str() + "/20240101000000_empty/migration.sql");
}

TEST(SourceErrors, DuplicateVersions) {
  TempDir dir;
  dir.write("V1__a.sql", "SELECT 1;\n");
  dir.write("V1.0__b.sql", "SELECT 2;\n");
  auto e = open_error(dir.str());
  EXPECT_EQ(e.code, ErrorCode::Invalid);
  EXPECT_EQ(e.message, dir.str() +
                           ": version 1 is used by both V1.0__b.sql and V1__a.sql; give each "
                           "migration its own version");

  TempDir go;
  go.write("1_a.up.sql", "SELECT 1;\n");
  go.write("01_b.up.sql", "SELECT 2;\n");
  auto g = open_error(go.str());
  EXPECT_EQ(g.message, go.str() +
                           ": version 1 is used by both 01_b.up.sql and 1_a.up.sql; give each "
                           "migration its own version");

  TempDir db;
  db.write("20240101_a.sql", "-- migrate:up\nSELECT 1;\n");
  db.write("20240101_b.sql", "-- migrate:up\nSELECT 2;\n");
  auto d = open_error(db.str());
  EXPECT_EQ(d.message, db.str() +
                           ": version 20240101 is used by both 20240101_a.sql and "
                           "20240101_b.sql; give each migration its own version");
}

TEST(SourceErrors, InvalidUtf8WithOffsetLineAndColumn) {
  TempDir dir;
  dir.write("001.sql", "SELECT 1;\nSELECT '\xC3\x28';\n");
  auto e = open_error(dir.str());
  EXPECT_EQ(e.code, ErrorCode::Invalid);
  EXPECT_EQ(e.message, dir.str() +
                           "/001.sql: invalid UTF-8 at byte 18 (line 2, column 9); save the file "
                           "as UTF-8");
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.column, 9u);
  EXPECT_EQ(e.detail, "{\"offset\":18}");
}

TEST(SourceErrors, ByteOrderMark) {
  TempDir dir;
  dir.write("001.sql", "\xEF\xBB\xBFSELECT 1;\n");
  auto e = open_error(dir.str());
  EXPECT_EQ(e.message, dir.str() +
                           "/001.sql: starts with a UTF-8 byte order mark (BOM) at byte 0; "
                           "PostgreSQL rejects it, save the file as UTF-8 without BOM");
  EXPECT_EQ(e.line, 1u);
  EXPECT_EQ(e.column, 1u);
}

TEST(SourceErrors, NulByte) {
  TempDir dir;
  dir.write("001.sql", std::string_view("SELECT\0 1;\n", 11));
  auto e = open_error(dir.str());
  EXPECT_EQ(e.message, dir.str() +
                           "/001.sql: contains a NUL byte at byte 6 (line 1, column 7); "
                           "PostgreSQL cannot execute it, remove it");
}

TEST(SourceErrors, FileOverTheSizeLimit) {
  TempDir dir;
  dir.write("001.sql", std::string(2048, ' ') + "SELECT 1;\n");
  dbsafe::SourceOptions options;
  options.max_file_bytes = 1024;
  auto e = open_error(dir.str(), options);
  EXPECT_EQ(e.message, dir.str() +
                           "/001.sql: 2058 bytes is over the limit of 1024 bytes; split the "
                           "migration, or raise the limit (--max-file-size)");
}

// A Prisma set at `set` in `dir` whose one migration's migration.sql is a
// symlink to a file outside it: opening `open` must refuse it.
void expect_file_link_outside_refused(const TempDir &dir, const std::string &set,
                                      const std::string &open) {
  auto outside = dir.write("secret.sql", "SELECT 1;\n");
  dir.write(set + "/migration_lock.toml", kLock);
  std::filesystem::create_directories(dir.path() / set / "20240101000000_a");
  std::filesystem::create_symlink(outside, dir.path() / set / "20240101000000_a/migration.sql");
  auto e = open_error(dir.str() + "/" + open);
  EXPECT_EQ(e.code, ErrorCode::Invalid);
  EXPECT_EQ(e.message, dir.str() + "/" + set +
                           "/20240101000000_a/migration.sql: symbolic link leads outside the "
                           "migration directory (to " +
                           std::filesystem::canonical(outside).generic_string() +
                           "); copy the file into the migration directory instead");
}

TEST(SourceErrors, SymlinkLeadingOutsideTheDirectory) {
  TempDir dir;
  expect_file_link_outside_refused(dir, "m", "m");
}

TEST(SourceErrors, DirectorySymlinkLeadingOutside) {
  TempDir dir;
  dir.write("elsewhere/20240101000000_a/migration.sql", "SELECT 1;\n");
  dir.write("m/migration_lock.toml", kLock);
  std::filesystem::create_directory_symlink(dir.path() / "elsewhere/20240101000000_a",
                                            dir.path() / "m/20240101000000_a");
  auto e = open_error(dir.str() + "/m");
  EXPECT_EQ(
      e.message,
      dir.str() +
          "/m/20240101000000_a: symbolic link leads outside the migration "
          "directory (to " +
          std::filesystem::canonical(dir.path() / "elsewhere/20240101000000_a").generic_string() +
          "); copy the directory into the migration directory instead");
}

// A Prisma set at `set` in `dir` whose first migration's migration.sql is a
// symlink to a file inside the set holding "SELECT 1;".
void write_set_with_inside_link(const TempDir &dir, const std::string &set) {
  dir.write(set + "/shared/body.sql", "SELECT 1;\n");
  dir.write(set + "/shared/migration.sql", "SELECT 0;\n");  // "shared" is a migration too
  dir.write(set + "/migration_lock.toml", kLock);
  std::filesystem::create_directories(dir.path() / set / "20240101000000_a");
  std::filesystem::create_symlink(dir.path() / set / "shared/body.sql",
                                  dir.path() / set / "20240101000000_a/migration.sql");
}

TEST(SourceErrors, SymlinkInsideTheDirectoryIsFollowed) {
  TempDir dir;
  write_set_with_inside_link(dir, "m");
  auto set = MigrationSet::open(dir.str() + "/m");
  EXPECT_EQ(set.migrations()[0].sql, "SELECT 1;\n");
}

// The set's own directory is resolved only once a symlink needs it: a set
// found below a project directory, and one reached through a symlinked
// path, judge their symlinks by where the set really is.
TEST(SourceErrors, SymlinkLeadingOutsideADiscoveredSet) {
  TempDir dir;
  expect_file_link_outside_refused(dir, "app/prisma/migrations", "app");
}

TEST(SourceErrors, SymlinkInsideASetReachedThroughASymlinkIsFollowed) {
  TempDir dir;
  write_set_with_inside_link(dir, "real/m");
  std::filesystem::create_directory_symlink(dir.path() / "real/m", dir.path() / "link");
  auto set = MigrationSet::open(dir.str() + "/link");
  EXPECT_EQ(set.migrations()[0].sql, "SELECT 1;\n");
  // A check reads the files on two threads, which may both resolve the set.
  auto checked = dbsafe::testing::read_for_check(dir.str() + "/link", {}, {});
  EXPECT_EQ(checked.migrations[0].sql, "SELECT 1;\n");
}

TEST(SourceErrors, SymlinkLoop) {
  TempDir dir;
  dir.write("m/migration_lock.toml", kLock);
  std::filesystem::create_directories(dir.path() / "m/20240101000000_a");
  std::filesystem::create_symlink("loop", dir.path() / "m/20240101000000_a/migration.sql.tmp");
  std::filesystem::create_symlink("migration.sql", dir.path() / "m/20240101000000_a/migration.sql");
  std::filesystem::rename(dir.path() / "m/20240101000000_a/migration.sql.tmp",
                          dir.path() / "m/20240101000000_a/loop");
  auto e = open_error(dir.str() + "/m");
  EXPECT_EQ(e.code, ErrorCode::Io);
  EXPECT_EQ(e.message, dir.str() +
                           "/m/20240101000000_a/migration.sql: cannot resolve symbolic link: Too "
                           "many levels of symbolic links");
}

TEST(SourceErrors, PrismaDirectoryWithoutMigrationSql) {
  TempDir dir;
  dir.write("migration_lock.toml", kLock);
  dir.write("20240101000000_a/migration.sql", "SELECT 1;\n");
  dir.write("20240102000000_b/notes.txt", "forgot the sql\n");
  auto e = open_error(dir.str());
  EXPECT_EQ(e.code, ErrorCode::Invalid);
  EXPECT_EQ(e.message, dir.str() +
                           "/20240102000000_b: migration directory has no migration.sql; add the "
                           "migration's SQL or remove the directory");
}

TEST(SourceErrors, PrismaLockForAnotherProvider) {
  TempDir dir;
  dir.write("migration_lock.toml", "provider = \"mysql\"\n");
  dir.write("20240101000000_a/migration.sql", "SELECT 1;\n");
  auto e = open_error(dir.str());
  EXPECT_EQ(e.message, dir.str() +
                           "/migration_lock.toml: provider is \"mysql\"; dbsafe reads "
                           "PostgreSQL migrations only");
}

TEST(SourceErrors, PrismaLockThatIsNotToml) {
  TempDir dir;
  dir.write("migration_lock.toml", "provider = \n");
  dir.write("20240101000000_a/migration.sql", "SELECT 1;\n");
  auto e = open_error(dir.str());
  EXPECT_EQ(e.code, ErrorCode::Parse);
  EXPECT_EQ(e.file, dir.str() + "/migration_lock.toml");
  EXPECT_EQ(e.line, 1u);
  EXPECT_NE(e.message.find("; restore the file Prisma wrote"), std::string::npos) << e.message;
}

TEST(SourceErrors, NamingRulesOfForcedLayouts) {
  TempDir dir;
  dir.write("create.sql", "SELECT 1;\n");
  dbsafe::SourceOptions options;
  options.layout = dbsafe::Layout::Flyway;
  EXPECT_EQ(open_error(dir.str(), options).message,
            dir.str() +
                "/create.sql: not a Flyway migration name (V<version>__<description>.sql or "
                "R__<description>.sql); rename it");
  options.layout = dbsafe::Layout::GolangMigrate;
  EXPECT_EQ(open_error(dir.str(), options).message,
            dir.str() +
                "/create.sql: not a golang-migrate name (<version>_<name>.up.sql or .down.sql); "
                "rename it");
  options.layout = dbsafe::Layout::Dbmate;
  EXPECT_EQ(
      open_error(dir.str(), options).message,
      dir.str() + "/create.sql: not a dbmate migration name (<version>_<name>.sql); rename it");
}

TEST(SourceErrors, DbmateFileWithoutUpMarker) {
  TempDir dir;
  dir.write("20240101_a.sql", "SELECT 1;\n");
  dbsafe::SourceOptions options;
  options.layout = dbsafe::Layout::Dbmate;
  EXPECT_EQ(open_error(dir.str(), options).message,
            dir.str() +
                "/20240101_a.sql: no \"-- migrate:up\" line; a dbmate migration starts with -- "
                "migrate:up (and may end with a -- migrate:down section)");
}

// MigrationSet::open and check's reader (two threads) stop at the same error.
void expect_both_readers_report(const TempDir &dir, const std::string &expected) {
  EXPECT_EQ(open_error(dir.str()).message, expected);
  try {
    dbsafe::testing::read_for_check(dir.path(), {}, {});
    ADD_FAILURE() << "expected an error";
  } catch (const dbsafe::Error &e) {
    EXPECT_EQ(e.message(), expected);
  }
}

// A directory of plain files is read once, while telling dbmate files from
// plain ones, on two threads when `check` reads it: the error reported is
// still that of the first bad file in order, and a marker in the very last
// file still makes the set dbmate's.
TEST(SourceErrors, ManyPlainFilesReportTheFirstBadFileInOrder) {
  TempDir dir;
  char name[16];
  for (int i = 1; i <= 300; ++i) {
    std::snprintf(name, sizeof name, "%05d.sql", i);
    dir.write(name, i == 120 ? "SELECT '\xC3\x28';\n" : i == 250 ? "" : "SELECT 1;\n");
  }
  const std::string expected =
      dir.str() + "/00120.sql: invalid UTF-8 at byte 8 (line 1, column 9); save the file as UTF-8";
  expect_both_readers_report(dir, expected);
}

TEST(SourceErrors, DbmateMarkerInTheLastOfManyFilesMakesTheSetDbmate) {
  TempDir dir;
  char name[16];
  for (int i = 1; i <= 300; ++i) {
    std::snprintf(name, sizeof name, "%05d_m.sql", i);
    dir.write(name, i == 300 ? "-- a comment\n\n-- migrate:up\nSELECT 1;\n" : "SELECT 1;\n");
  }
  const std::string expected =
      dir.str() +
      "/00001_m.sql: no \"-- migrate:up\" line; a dbmate migration starts with -- "
      "migrate:up (and may end with a -- migrate:down section)";
  expect_both_readers_report(dir, expected);
}

TEST(SourceErrors, NotADirectory) {
  TempDir dir;
  auto fifo = dir.path() / "pipe";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(open_error(fifo.string()).message,
            fifo.string() +
                ": not a directory or a .sql file; pass the directory that holds the migrations");
}

// Hostile directory entries (issue 10): a looping or dangling symlink where a
// migration should be is an error, never a migration that silently drops out.
TEST(SourceErrors, LoopingMigrationDirectorySymlinkIsNotSkipped) {
  TempDir dir;
  dir.write("m/migration_lock.toml", kLock);
  dir.write("m/20240101000000_a/migration.sql", "SELECT 1;\n");
  std::filesystem::create_directory_symlink("20240102000000_b", dir.path() / "m/20240102000000_b");
  auto e = open_error(dir.str() + "/m");
  EXPECT_EQ(e.code, ErrorCode::Io);
  EXPECT_EQ(e.message, dir.str() +
                           "/m/20240102000000_b: cannot resolve symbolic link: Too many levels "
                           "of symbolic links; point it at a directory or file inside the "
                           "migration directory, or remove it");
  EXPECT_EQ(e.file, dir.str() + "/m/20240102000000_b");
}

TEST(SourceErrors, DanglingMigrationFileSymlinkIsNotSkipped) {
  TempDir dir;
  dir.write("m/001_init.sql", "SELECT 1;\n");
  std::filesystem::create_symlink("gone.sql", dir.path() / "m/002_more.sql");
  auto e = open_error(dir.str() + "/m");
  EXPECT_EQ(e.code, ErrorCode::Io);
  EXPECT_EQ(e.message, dir.str() +
                           "/m/002_more.sql: cannot resolve symbolic link: No such file or "
                           "directory; point it at a directory or file inside the migration "
                           "directory, or remove it");
}

// A symlink back up to the set's own directory must not make the reader
// recurse: only the migration's own file is read.
TEST(SourceErrors, SymlinkToAnAncestorInsideAMigrationIsNotWalked) {
  TempDir dir;
  dir.write("m/migration_lock.toml", kLock);
  dir.write("m/20240101000000_a/migration.sql", "SELECT 1;\n");
  std::filesystem::create_directory_symlink("..", dir.path() / "m/20240101000000_a/up");
  auto set = MigrationSet::open(dir.str() + "/m");
  ASSERT_EQ(set.migrations().size(), 1u);
  EXPECT_EQ(set.migrations()[0].sql, "SELECT 1;\n");
}

TEST(SourceErrors, MigrationNameWithANewlineIsRefused) {
  TempDir dir;
  dir.write("m/migration_lock.toml", kLock);
  dir.write("m/20240101000000_new\nline/migration.sql", "SELECT 1;\n");
  auto e = open_error(dir.str() + "/m");
  EXPECT_EQ(e.code, ErrorCode::Invalid);
  EXPECT_EQ(e.message, dir.str() +
                           "/m/20240101000000_new\\nline/migration.sql: the migration name "
                           "20240101000000_new\\nline contains a control character (byte 10 at "
                           "offset 18); rename it using letters, digits, '_' and '-'");
  // The message is one line, whatever the name holds.
  EXPECT_EQ(e.message.find('\n'), std::string::npos);
}

TEST(SourceErrors, EscapeSequenceInAFlatFileNameIsRefused) {
  TempDir dir;
  dir.write("m/001_\x1b[2Jclear.sql", "SELECT 1;\n");
  auto e = open_error(dir.str() + "/m");
  EXPECT_EQ(e.code, ErrorCode::Invalid);
  EXPECT_NE(e.message.find("001_\\x1b[2Jclear"), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find('\x1b'), std::string::npos) << e.message;
}

// Quotes and dots are legal in a name; they are data, kept byte for byte
// (the runner binds names as parameters), and ".." as a name's suffix is a
// directory of the set, not a way out of it.
TEST(SourceErrors, QuotesAndDotsInNamesAreKept) {
  TempDir dir;
  dir.write("m/migration_lock.toml", kLock);
  dir.write("m/20240101000000_it's \"q\"; --/migration.sql", "SELECT 1;\n");
  dir.write("m/20240102000000_../migration.sql", "SELECT 2;\n");
  auto set = MigrationSet::open(dir.str() + "/m");
  ASSERT_EQ(set.migrations().size(), 2u);
  EXPECT_EQ(set.migrations()[0].name, "20240101000000_it's \"q\"; --");
  EXPECT_EQ(set.migrations()[1].name, "20240102000000_..");
  EXPECT_EQ(set.migrations()[1].sql, "SELECT 2;\n");
}

}  // namespace
