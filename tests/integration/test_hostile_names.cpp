// Hostile names against a real server (issue 10): a schema named
// `"; DROP TABLE x; --"` as the migrations' schema and the history table's,
// a migration directory whose name holds quotes, and a backup that names a
// role with "$$" in it. Every identifier dbsafe builds into SQL must be
// quoted and every value bound, so each of these is only a strange name:
// the canary table `x` survives, the names come back byte for byte, and
// introspection, drift, verify and the runner treat them like any other.
#include <gtest/gtest.h>

#include <string>

#include "dbsafe/backup.hpp"
#include "dbsafe/migrate.hpp"
#include "dbsafe/schema.hpp"
#include "support/pg_test_env.hpp"
#include "support/sql_connection.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace dbsafe;
using dbsafe::testing::TempDir;
using dbsafe::testing::TestDatabase;
using Conn = dbsafe::testing::SqlConnection;

// The name itself, and as SQL spells it.
const std::string kSchema = "\"; DROP TABLE x; --";
const std::string kSchemaSql = "\"\"\"; DROP TABLE x; --\"";
const std::string kMigration = "20240101000000_it's \"quoted\"; DROP TABLE x; --";

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

// A Prisma migration set that creates the canary table and a table in the
// hostile schema.
std::string write_migrations(const TempDir &dir) {
  dir.write("m/migration_lock.toml", "provider = \"postgresql\"\n");
  // `items` is unqualified: it lands in the hostile schema only if the
  // runner set search_path to it correctly quoted.
  dir.write("m/" + kMigration + "/migration.sql",
            "CREATE TABLE public.x (id int PRIMARY KEY);\n"
            "CREATE SCHEMA IF NOT EXISTS " +
                kSchemaSql +
                ";\n"
                "CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL);\n"
                "CREATE INDEX items_label ON items (label);\n");
  return dir.str() + "/m";
}

class HostileSchema : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = write_migrations(tmp_);
    // The schema exists before the first deploy: the history table goes in it.
    Conn(db_.url()).one("CREATE SCHEMA " + kSchemaSql);
  }

  MigrateOptions migrate_options() const {
    MigrateOptions o;
    o.database_url = db_.url();
    o.schema = kSchema;
    return o;
  }

  TempDir tmp_;
  TestDatabase db_;
  std::string dir_;
};

TEST_F(HostileSchema, DeployStatusDumpDriftAndVerify) {
  auto deployed = migrate_deploy(dir_, migrate_options());
  ASSERT_FALSE(deployed.failure) << deployed.to_json();
  ASSERT_EQ(deployed.applied.size(), 1u) << deployed.to_json();

  Conn c(db_.url());
  EXPECT_EQ(c.one("SELECT to_regclass('public.x') IS NOT NULL"), "t");
  EXPECT_EQ(c.one("SELECT count(*) FROM " + kSchemaSql + ".items"), "0");
  // The history row is in the hostile schema, under the name as written.
  EXPECT_EQ(c.one("SELECT migration_name FROM " + kSchemaSql + "._prisma_migrations"), kMigration);

  auto status = migrate_status(dir_, migrate_options());
  EXPECT_TRUE(contains(status.to_json(), "\"state\":\"applied\"")) << status.to_json();

  std::string ddl = schema_dump(db_.url(), SchemaFormat::Sql);
  EXPECT_TRUE(contains(ddl, "CREATE SCHEMA IF NOT EXISTS " + kSchemaSql + ";")) << ddl;
  EXPECT_TRUE(contains(ddl, kSchemaSql + ".\"items\"")) << ddl;

  // The dump, run on an empty database, rebuilds the same schema: proof
  // that every name in it is quoted, not just that it looks so.
  TestDatabase copy;
  Conn(copy.url()).one(ddl);
  EXPECT_EQ(Conn(copy.url())
                .one("SELECT count(*) FROM pg_namespace WHERE nspname = '" +
                     std::string("\"; DROP TABLE x; --") + "'"),
            "1");
  EXPECT_EQ(schema_dump(copy.url(), SchemaFormat::Sql), ddl);

  DiffOptions d;
  d.shadow.schema = kSchema;
  auto none = drift(db_.url(), dir_, d);
  EXPECT_TRUE(none.empty()) << none.to_text();

  auto verified = verify(db_.url(), dir_, d);
  EXPECT_TRUE(verified.ok()) << verified.to_text();
  EXPECT_EQ(verified.indexes, 1u) << verified.to_json();

  // Drift in the hostile schema: its SQL, run as given, repairs it.
  c.one("DROP INDEX " + kSchemaSql + ".items_label");
  c.one("ALTER TABLE " + kSchemaSql + ".items DROP COLUMN label");
  auto some = drift(db_.url(), dir_, d);
  ASSERT_FALSE(some.empty());
  c.one(some.sql());
  EXPECT_EQ(c.one("SELECT to_regclass('public.x') IS NOT NULL"), "t");
  auto after = drift(db_.url(), dir_, d);
  EXPECT_TRUE(after.empty()) << after.to_text();
}

// A plain-SQL backup that grants to a role whose name would end a DO
// block's $$ body: the throwaway cluster of the test restore gets the role
// under its exact name, and nothing the name holds runs.
TEST(HostileBackup, RoleNameWithDollarQuotesIsOnlyAName) {
  const std::string role = "r$$; CREATE TABLE pwned(); --";
  const std::string role_sql = "\"r$$; CREATE TABLE pwned(); --\"";
  TestDatabase source;
  Conn s(source.url());
  s.one("CREATE TABLE t (id int); INSERT INTO t VALUES (1)");
  if (s.one("SELECT count(*) FROM pg_roles WHERE rolname = '" + role + "'") == "0")
    s.one("CREATE ROLE " + role_sql);
  s.one("GRANT SELECT ON t TO " + role_sql);
  TempDir dir;
  BackupCreateOptions o;
  o.database_url = source.url();
  o.dir = dir.str();
  o.format = "plain-gz";
  auto created = create_backup(o);
  BackupVerifyOptions v;
  v.file = created.path;
  v.test_restore = true;
  auto r = verify_backup(v);
  ASSERT_TRUE(r.ok) << r.to_json();
  ASSERT_TRUE(r.test_restore);
  EXPECT_TRUE(contains(r.test_restore->where, "throwaway cluster")) << r.test_restore->where;
  EXPECT_EQ(r.test_restore->rows, 1u);
  EXPECT_EQ(r.test_restore->tables, 1u);  // no "pwned" table
  s.one("REVOKE SELECT ON t FROM " + role_sql);
  s.one("DROP ROLE " + role_sql);
}

}  // namespace
