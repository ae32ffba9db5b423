// Inputs the fuzzers (tests/fuzz, scripts/fuzz) found crashing or tripping a
// sanitizer, each fed through the same entry point as the fuzz target. They
// matter most in the sanitizer pass (scripts/test-sanitize), where the
// undefined behaviour they used to reach aborts the test.
#include <gtest/gtest.h>

#include <string>

#include "dbsafe/check.hpp"
#include "dbsafe/deploy.hpp"
#include "dbsafe/source.hpp"
#include "support/read_for_check.hpp"
#include "support/temp_dir.hpp"

using dbsafe::ErrorCode;
using dbsafe::testing::TempDir;

namespace {

// fuzz_config: a non-ASCII character where toml++ 3.3.0 looks for
// whitespace reached __builtin_unreachable() (lib/util/toml.hpp). The
// crashing input, then the everyday form of the same thing (an accented
// letter in a table name).
const char *const kTomlWhitespaceInputs[] = {
    "[targets.production]\nprovider = \"n&on\"\nsnapsh5ot_keep = 0\nunknown = 1\n"
    "[ta2gets\xcd\x9e]\nrunner = \"ix\"\n",
    "[targets.caf\xc3\xa9]\nprovider = \"local\"\n",
    "key = 1\n[x\xc2\xa7]\n",
};

TEST(FuzzRegressions, DeployConfigWithNonAsciiInATableHeaderIsAParseErrorNamingTheLine) {
  for (const char *text : kTomlWhitespaceInputs) {
    TempDir dir;
    auto path = dir.write("dbsafe.toml", text).string();
    try {
      dbsafe::load_deploy_target("production", path);
      ADD_FAILURE() << "expected a parse error for " << text;
    } catch (const dbsafe::Error &e) {
      EXPECT_EQ(e.code(), ErrorCode::Parse) << e.message();
      EXPECT_EQ(e.file(), path);
      EXPECT_GT(e.line(), 0u);
      EXPECT_NE(e.message().find(path + ":" + std::to_string(e.line()) + ":"), std::string::npos)
          << e.message();
    }
  }
}

TEST(FuzzRegressions, CheckConfigWithNonAsciiInATableHeaderIsAParseError) {
  TempDir dir;
  auto path = dir.write("dbsafe.toml", "[rules\xc3\xa9]\n").string();
  dbsafe::CheckOptions options;
  options.config_path = path;
  try {
    dbsafe::check_sql("SELECT 1;\n", "m.sql", options);
    ADD_FAILURE() << "expected a parse error";
  } catch (const dbsafe::Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Parse) << e.message();
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.line(), 1u);
  }
}

TEST(FuzzRegressions, MigrationLockWithNonAsciiInATableHeaderIsAParseError) {
  TempDir dir;
  dir.write("migrations/migration_lock.toml", "provider = \"postgresql\"\n[l\xc3\xa9]\n");
  dir.write("migrations/20240101000000_init/migration.sql", "CREATE TABLE a (id int);\n");
  try {
    dbsafe::MigrationSet::open(dir.path() / "migrations");
    ADD_FAILURE() << "expected a parse error";
  } catch (const dbsafe::Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Parse) << e.message();
    EXPECT_NE(e.message().find("migration_lock.toml"), std::string::npos) << e.message();
    EXPECT_EQ(e.line(), 2u);
  }
}

// The characters toml++ lists as non-ASCII whitespace still get its
// "whitespace is not allowed here" treatment rather than being read as part
// of a key.
TEST(FuzzRegressions, NonAsciiWhitespaceInATableHeaderIsStillRefused) {
  TempDir dir;
  auto path = dir.write("dbsafe.toml", "[targets.production\xc2\xa0]\n").string();
  EXPECT_THROW(dbsafe::load_deploy_target("production", path), dbsafe::Error);
}

// fuzz_check: input with invalid UTF-8 and nul bytes made the parsing throw
// after the scanner's split, past pg_query_free_split_result, and the split
// leaked (LeakSanitizer; the sanitizer pass runs this test).
TEST(FuzzRegressions, CheckOfAStatementRefusedAfterTheSplitLeaksNothing) {
  const std::string sql(
      "-- CreateEnum\n"
      "CREATE TYPE \"RuleType\" AS ENUM ('AI', '\xff"
      "STATIC', 'GROUP');\n"
      "\n"
      "-- AlterTable\n"
      "ALTER TABLE \"Rule\" ADD COLUMN     \"type\" \x00"
      "\x00"
      "\x00"
      "\x00"
      "\x00"
      "\x00"
      "\x00"
      "\x00"
      "e\" NOT NULL DEFAULT 'AI';\n",
      163);
  ASSERT_EQ(sql.size(), 163u);
  for (auto runner : {dbsafe::Runner::Safe, dbsafe::Runner::Prisma}) {
    dbsafe::CheckOptions options;
    options.config_path = "-";
    options.runner = runner;
    try {
      auto report = dbsafe::check_sql(sql, "fuzz.sql", options);
      EXPECT_FALSE(report.to_json().empty());
    } catch (const dbsafe::Error &e) {
      EXPECT_FALSE(e.message().empty());
    }
  }
}

// fuzz_check (LeakSanitizer, inside libpg_query): a DO block whose body is
// not valid PL/pgSQL, and one whose body ends the dollar quote the analyzer
// wraps it in. Both take libpg_query's early returns that leak (see
// embedded_plpgsql in lib/analyze/analyzer.cpp and tests/sanitizers/lsan.supp);
// each must still be reported as unanalyzable with the parser's reason.
TEST(FuzzRegressions, UnparsableDoBlockBodiesAreReportedAndLeakNothingOfOurs) {
  const char *const inputs[] = {
      "DO $$\nBEGIN\n  INSERT INTO t VALUES (1) oops-not-plpgsql;\nEND\n$$;\n",
      "DO $outer$\nBEGIN\n  PERFORM 1; $dbsafe$ SELECT (\nEND\n$outer$;\n",
  };
  for (const char *sql : inputs) {
    dbsafe::CheckOptions options;
    options.config_path = "-";
    auto report = dbsafe::check_sql(sql, "fuzz.sql", options);
    bool unanalyzable = false;
    for (const auto &finding : report.findings)
      if (finding.rule == "unanalyzable-sql" &&
          finding.message.find("could not be parsed") != std::string::npos)
        unanalyzable = true;
    EXPECT_TRUE(unanalyzable) << sql << "\n" << report.to_json();
  }
}

}  // namespace

// fuzz_migration_set: a migration directory whose name holds a control
// character and whose migration.sql is empty. `dbsafe list` (files read one
// by one) reported the empty file, printing the raw name; `dbsafe check`
// (files read in parallel afterwards) reported the name. Both now refuse the
// name first, with the same message, also when an earlier migration's file
// could not be read either.
TEST(FuzzRegressions, ControlCharacterNameIsReportedBeforeTheFileIsReadByEveryReader) {
  for (const char *dir_name : {"20240101000000_a\x06"
                               "b",
                               "20240101000000_a\nb"}) {
    TempDir dir;
    dir.write(std::string("migrations/") + dir_name + "/migration.sql", "");
    // An earlier migration that cannot be read either (invalid UTF-8).
    dir.write("migrations/20230101000000_first/migration.sql",
              "SELECT '\xd4"
              "E';\n");
    std::string opened, checked;
    try {
      dbsafe::MigrationSet::open(dir.path() / "migrations");
    } catch (const dbsafe::Error &e) {
      opened = e.message();
    }
    try {
      dbsafe::testing::read_for_check(dir.path() / "migrations", {}, {});
    } catch (const dbsafe::Error &e) {
      checked = e.message();
    }
    EXPECT_NE(opened.find("contains a control character"), std::string::npos) << opened;
    EXPECT_EQ(opened, checked);
  }
}
