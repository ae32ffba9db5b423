// The backup calls of the C ABI (c/backup.h) as a C caller sees them:
// option errors, and create, verify, restore and prune through JSON. The
// database tests run when DBSAFE_TEST_DATABASE_URL names a server whose
// user may create databases (the harness sets it).
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <simdjson.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "dbsafe/dbsafe.h"
#include "support/capi_result.hpp"
#include "support/pg_test_env.hpp"
#include "support/sql_connection.hpp"
#include "support/temp_dir.hpp"

namespace {

using dbsafe::testing::TempDir;
using dbsafe::testing::TestDatabase;
using Result = dbsafe::testing::CResult;
using Conn = dbsafe::testing::SqlConnection;

bool have_server() {
  const char *url = std::getenv("DBSAFE_TEST_DATABASE_URL");
  return url != nullptr && *url != '\0';
}

#define REQUIRE_SERVER() \
  if (!have_server()) GTEST_SKIP() << "DBSAFE_TEST_DATABASE_URL is not set; no server"

std::string json_text(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

using Call = int (*)(dbsafe_buf *, const char *, const dbsafe_call_options *, dbsafe_error **);

void call(Result &r, Call fn, const std::string &options) {
  r.status = fn(&r.buf, options.c_str(), nullptr, &r.err);
}

TEST(CapiBackup, OptionErrorsNameTheKey) {
  Result a, b, c, d, e;
  call(a, dbsafe_backup_create, R"({"database_url": "postgresql://u@127.0.0.1:1/db"})");
  EXPECT_EQ(a.status, DBSAFE_EINVALID);
  EXPECT_EQ(a.message(), "options_json: \"dir\" is required");
  call(b, dbsafe_backup_prune, R"({"dir": "/tmp", "keep_days": 7, "nonsense": 1})");
  EXPECT_EQ(b.status, DBSAFE_EINVALID);
  EXPECT_EQ(b.message(), "options_json: unknown option \"nonsense\"");
  call(c, dbsafe_backup_create, R"({"dir": "/tmp", "compression": 12})");
  EXPECT_EQ(c.status, DBSAFE_EINVALID);
  EXPECT_EQ(c.message(), "options_json: compression must be an integer from 0 to 9");
  call(d, dbsafe_backup_verify, "{}");
  EXPECT_EQ(d.status, DBSAFE_EINVALID);
  call(e, dbsafe_backup_restore, R"({"file": "/nonexistent/x.dump", "confirm": 3})");
  EXPECT_EQ(e.status, DBSAFE_EINVALID);
  EXPECT_EQ(e.message(), "options_json: confirm must be a string");
}

TEST(CapiBackup, VerifyOfAMissingBackupIsNotFound) {
  Result r;
  call(r, dbsafe_backup_verify, R"({"file": "/nonexistent/x.dump"})");
  EXPECT_EQ(r.status, DBSAFE_ENOTFOUND);
  EXPECT_TRUE(r.text().empty());
}

TEST(CapiBackup, CreateVerifyRestorePrune) {
  REQUIRE_SERVER();
  TestDatabase source, target;
  Conn(source.url()).one("CREATE TABLE t (v int); INSERT INTO t SELECT generate_series(1, 7)");
  TempDir dir;
  Result created;
  call(created, dbsafe_backup_create,
       "{\"database_url\": " + json_text(source.url()) + ", \"dir\": " + json_text(dir.str()) +
           ", \"name\": \"nightly\", \"format\": \"plain-gz\"}");
  ASSERT_EQ(created.status, DBSAFE_OK) << created.message();
  simdjson::dom::parser parser;
  auto doc = parser.parse(created.text());
  EXPECT_EQ(int64_t(doc["schema_version"]), 1);
  EXPECT_EQ(std::string_view(doc["operation"]), "create");
  std::string path{std::string_view(doc["backup"]["path"])};
  EXPECT_EQ(path, dir.str() + "/nightly.sql.gz");
  EXPECT_EQ(uint64_t(doc["backup"]["manifest"]["tables"]), 1u);

  Result verified;
  call(verified, dbsafe_backup_verify, "{\"dir\": " + json_text(dir.str()) + "}");
  ASSERT_EQ(verified.status, DBSAFE_OK) << verified.message();
  EXPECT_TRUE(bool(parser.parse(verified.text())["verify"]["ok"]));

  Result refused;
  call(refused, dbsafe_backup_restore,
       "{\"file\": " + json_text(path) + ", \"database_url\": " + json_text(target.url()) + "}");
  EXPECT_EQ(refused.status, DBSAFE_EINVALID);
  EXPECT_NE(refused.message().find(target.name()), std::string::npos) << refused.message();

  Result restored;
  call(restored, dbsafe_backup_restore,
       "{\"file\": " + json_text(path) + ", \"database_url\": " + json_text(target.url()) +
           ", \"confirm\": " + json_text(target.name()) + "}");
  ASSERT_EQ(restored.status, DBSAFE_OK) << restored.message();
  EXPECT_EQ(Conn(target.url()).one("SELECT sum(v) FROM t"), "28");

  Result again;  // now the target is not empty, and plain backups cannot --clean
  call(again, dbsafe_backup_restore,
       "{\"file\": " + json_text(path) + ", \"database_url\": " + json_text(target.url()) +
           ", \"confirm\": " + json_text(target.name()) + "}");
  EXPECT_EQ(again.status, DBSAFE_ESTATE) << again.message();
  ASSERT_NE(dbsafe_error_detail_json(again.err), nullptr);
  EXPECT_NE(std::string(dbsafe_error_detail_json(again.err)).find("\"operation\":\"restore\""),
            std::string::npos);

  // Damage it: verify reports, it does not fail.
  std::ofstream(path, std::ios::binary | std::ios::app) << "trailing junk";
  Result damaged;
  call(damaged, dbsafe_backup_verify, "{\"file\": " + json_text(path) + "}");
  ASSERT_EQ(damaged.status, DBSAFE_OK) << damaged.message();
  EXPECT_FALSE(bool(parser.parse(damaged.text())["verify"]["ok"]));

  Result pruned;
  call(pruned, dbsafe_backup_prune,
       "{\"dir\": " + json_text(dir.str()) + ", \"keep_days\": 0, \"dry_run\": true}");
  ASSERT_EQ(pruned.status, DBSAFE_OK) << pruned.message();
  auto p = parser.parse(pruned.text());
  EXPECT_EQ(simdjson::dom::array(p["deleted"]).size(), 0u);  // the only one is the newest
  EXPECT_TRUE(std::filesystem::exists(path));
}

}  // namespace
