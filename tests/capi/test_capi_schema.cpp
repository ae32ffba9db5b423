// The schema calls of the C ABI (c/schema.h) as a C caller sees them: dump,
// render, diff, drift, verify and a baseline taken from a live database. The
// database tests run when DBSAFE_TEST_DATABASE_URL names a server whose user
// may create databases (the harness sets it), each on a fresh database.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <simdjson.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "dbsafe/dbsafe.h"
#include "support/pg_test_env.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using dbsafe::testing::TempDir;
using dbsafe::testing::TestDatabase;

constexpr const char *kInit =
    "CREATE TABLE \"User\" (id serial PRIMARY KEY, email text NOT NULL);\n"
    "CREATE UNIQUE INDEX \"User_email_key\" ON \"User\"(email);\n";
constexpr const char *kAddName = "ALTER TABLE \"User\" ADD COLUMN name text;\n";

// A two-migration Prisma directory: the User table with its unique index,
// then a column.
std::string write_migrations(const TempDir &dir) {
  dir.write("migrations/migration_lock.toml", "provider = \"postgresql\"\n");
  dir.write("migrations/20240101000000_init/migration.sql", kInit);
  dir.write("migrations/20240102000000_add_name/migration.sql", kAddName);
  return dir.str() + "/migrations";
}

// Runs SQL (several statements allowed) on `url`; throws when it fails.
void exec(const std::string &url, const std::string &sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(url.c_str()), PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK)
    throw std::runtime_error(std::string("connect: ") + PQerrorMessage(conn.get()));
  std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), sql.c_str()), PQclear);
  auto status = PQresultStatus(res.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throw std::runtime_error(sql + ": " + PQerrorMessage(conn.get()));
}

// Owns the buffer and error of one call.
struct Call {
  dbsafe_buf buf = DBSAFE_BUF_INIT;
  dbsafe_error *err = nullptr;
  int status = DBSAFE_OK;
  Call() = default;
  Call(const Call &) = delete;
  Call &operator=(const Call &) = delete;
  ~Call() {
    dbsafe_buf_dispose(&buf);
    dbsafe_error_free(err);
  }
  std::string text() const { return buf.ptr ? std::string(buf.ptr, buf.size) : std::string(); }
  std::string message() const { return dbsafe_error_message(err); }
};

bool have_server() {
  const char *url = std::getenv("DBSAFE_TEST_DATABASE_URL");
  return url != nullptr && *url != '\0';
}

#define REQUIRE_SERVER() \
  if (!have_server()) GTEST_SKIP() << "DBSAFE_TEST_DATABASE_URL is not set; no server"

simdjson::dom::element parse(simdjson::dom::parser &parser, const std::string &json) {
  return parser.parse(json);
}

void deploy(const std::string &dir, const std::string &url) {
  Call c;
  std::string options = "{\"database_url\": \"" + url + "\"}";
  c.status = dbsafe_migrate_deploy(&c.buf, dir.c_str(), options.c_str(), nullptr, &c.err);
  ASSERT_EQ(c.status, DBSAFE_OK) << c.message();
}

TEST(CApiSchema, ArgumentsAndOptionsAreChecked) {
  Call dump;
  dump.status =
      dbsafe_schema_dump(&dump.buf, nullptr, DBSAFE_SCHEMA_SQL, nullptr, nullptr, &dump.err);
  EXPECT_EQ(dump.status, DBSAFE_EINVALID);
  EXPECT_NE(dump.message().find("database_url"), std::string::npos) << dump.message();
  EXPECT_EQ(dump.buf.ptr, nullptr);

  Call format;
  format.status = dbsafe_schema_render(&format.buf, "empty", 7, nullptr, nullptr, &format.err);
  EXPECT_EQ(format.status, DBSAFE_EINVALID);
  EXPECT_NE(format.message().find("DBSAFE_SCHEMA_SQL"), std::string::npos) << format.message();

  Call unknown;
  unknown.status = dbsafe_schema_diff(&unknown.buf, "empty", "empty", "{\"shadow\": true}", nullptr,
                                      &unknown.err);
  EXPECT_EQ(unknown.status, DBSAFE_EINVALID);
  EXPECT_EQ(unknown.message(), "options_json: unknown option \"shadow\"");

  Call not_json;
  not_json.status =
      dbsafe_schema_diff(&not_json.buf, "empty", "empty", "[1]", nullptr, &not_json.err);
  EXPECT_EQ(not_json.status, DBSAFE_EINVALID);

  Call schemas;
  schemas.status = dbsafe_schema_diff(&schemas.buf, "empty", "empty", "{\"schemas\": \"public\"}",
                                      nullptr, &schemas.err);
  EXPECT_EQ(schemas.status, DBSAFE_EINVALID);
  EXPECT_EQ(schemas.message(), "options_json: schemas must be an array of strings");

  Call rename;
  rename.status = dbsafe_schema_diff(&rename.buf, "empty", "empty",
                                     "{\"renames\": [\"sideways a=b\"]}", nullptr, &rename.err);
  EXPECT_EQ(rename.status, DBSAFE_EINVALID);
  EXPECT_EQ(rename.message().rfind("options_json: renames", 0), 0u) << rename.message();

  Call source;
  source.status =
      dbsafe_schema_diff(&source.buf, "nonsense:thing", "empty", nullptr, nullptr, &source.err);
  EXPECT_EQ(source.status, DBSAFE_EINVALID);
  Call no_source;
  no_source.status =
      dbsafe_schema_diff(&no_source.buf, "empty", "", nullptr, nullptr, &no_source.err);
  EXPECT_EQ(no_source.status, DBSAFE_EINVALID);
  EXPECT_NE(no_source.message().find("to is empty"), std::string::npos) << no_source.message();

  Call drift;
  drift.status = dbsafe_drift(&drift.buf, "postgresql://u@127.0.0.1:1/db", nullptr, nullptr,
                              nullptr, &drift.err);
  EXPECT_EQ(drift.status, DBSAFE_EINVALID);
  EXPECT_NE(drift.message().find("migrations_dir"), std::string::npos) << drift.message();

  Call verify;
  verify.status =
      dbsafe_verify(&verify.buf, "", "prisma/migrations", nullptr, nullptr, &verify.err);
  EXPECT_EQ(verify.status, DBSAFE_EINVALID);

  // Baseline takes the migrate options and the filter, not the diff's.
  Call baseline;
  baseline.status = dbsafe_migrate_baseline_from_database(
      &baseline.buf, "prisma/migrations", "{\"shadow_database_url\": \"postgresql://x/y\"}",
      nullptr, &baseline.err);
  EXPECT_EQ(baseline.status, DBSAFE_EINVALID);
  EXPECT_EQ(baseline.message(), "options_json: unknown option \"shadow_database_url\"");
  Call baseline_mode;
  baseline_mode.status = dbsafe_migrate_baseline_from_database(
      &baseline_mode.buf, "prisma/migrations", "{\"mode\": \"fast\"}", nullptr, &baseline_mode.err);
  EXPECT_EQ(baseline_mode.status, DBSAFE_EINVALID);
  Call baseline_dir;
  baseline_dir.status = dbsafe_migrate_baseline_from_database(&baseline_dir.buf, nullptr, nullptr,
                                                              nullptr, &baseline_dir.err);
  EXPECT_EQ(baseline_dir.status, DBSAFE_EINVALID);

  // A used buffer and an unversioned call struct are refused before any work.
  char junk[] = "x";
  dbsafe_buf used = {junk, 1, 2};
  EXPECT_EQ(dbsafe_schema_diff(&used, "empty", "empty", nullptr, nullptr, nullptr),
            DBSAFE_EINVALID);
  dbsafe_call_options zero = DBSAFE_CALL_OPTIONS_INIT;
  zero.version = 0;
  Call versioned;
  EXPECT_EQ(dbsafe_schema_diff(&versioned.buf, "empty", "empty", nullptr, &zero, nullptr),
            DBSAFE_EVERSION);
}

TEST(CApiSchema, EmptyAgainstEmptyIsNoChange) {
  Call c;
  c.status = dbsafe_schema_diff(&c.buf, "empty", "empty", nullptr, nullptr, &c.err);
  ASSERT_EQ(c.status, DBSAFE_OK) << c.message();
  simdjson::dom::parser parser;
  auto doc = parse(parser, c.text());
  EXPECT_EQ(int64_t(doc["schema_version"]), 1);
  EXPECT_EQ(std::string_view(doc["kind"]), "diff");
  EXPECT_FALSE(bool(doc["drift"]));
  EXPECT_EQ(simdjson::dom::array(doc["changes"]).size(), 0u);
  EXPECT_EQ(std::string_view(doc["sql"]), "");
}

TEST(CApiSchema, AnUnreachableDatabaseIsAConnectErrorWithoutThePassword) {
  Call c;
  c.status = dbsafe_schema_dump(&c.buf, "postgresql://u:canary-pw@127.0.0.1:1/db?connect_timeout=2",
                                DBSAFE_SCHEMA_JSON, nullptr, nullptr, &c.err);
  EXPECT_EQ(c.status, DBSAFE_ECONNECT) << c.message();
  EXPECT_EQ(c.message().find("canary-pw"), std::string::npos) << c.message();
  EXPECT_EQ(c.buf.ptr, nullptr);
}

TEST(CApiSchema, DriftIsFoundAndTheReconcileSqlRepairsIt) {
  REQUIRE_SERVER();
  TempDir tmp;
  TestDatabase db;
  auto dir = write_migrations(tmp);
  deploy(dir, db.url());
  simdjson::dom::parser parser;

  Call none;
  none.status = dbsafe_drift(&none.buf, db.url().c_str(), dir.c_str(), nullptr, nullptr, &none.err);
  ASSERT_EQ(none.status, DBSAFE_OK) << none.message();
  auto clean = parse(parser, none.text());
  EXPECT_EQ(std::string_view(clean["kind"]), "drift");
  EXPECT_FALSE(bool(clean["drift"])) << none.text();

  exec(db.url(), "DROP INDEX \"User_email_key\";");
  Call found;
  found.status =
      dbsafe_drift(&found.buf, db.url().c_str(), dir.c_str(), nullptr, nullptr, &found.err);
  ASSERT_EQ(found.status, DBSAFE_OK) << found.message();
  auto drifted = parse(parser, found.text());
  EXPECT_TRUE(bool(drifted["drift"]));
  std::string sql{std::string_view(drifted["sql"])};
  EXPECT_NE(sql.find("CREATE UNIQUE INDEX"), std::string::npos) << sql;
  EXPECT_GE(simdjson::dom::array(drifted["changes"]).size(), 1u);

  exec(db.url(), sql);
  Call repaired;
  repaired.status =
      dbsafe_drift(&repaired.buf, db.url().c_str(), dir.c_str(), nullptr, nullptr, &repaired.err);
  ASSERT_EQ(repaired.status, DBSAFE_OK) << repaired.message();
  EXPECT_FALSE(bool(parse(parser, repaired.text())["drift"])) << repaired.text();
}

TEST(CApiSchema, DiffRenderAndDump) {
  REQUIRE_SERVER();
  TempDir tmp;
  TestDatabase db;
  auto dir = write_migrations(tmp);
  simdjson::dom::parser parser;
  // The shadow database is made on the test server, not a throwaway cluster.
  std::string options = "{\"server_url\": \"" + dbsafe::testing::server_url() + "\"}";

  Call diff;
  std::string migrations = "migrations:" + dir;
  diff.status = dbsafe_schema_diff(&diff.buf, "empty", migrations.c_str(), options.c_str(), nullptr,
                                   &diff.err);
  ASSERT_EQ(diff.status, DBSAFE_OK) << diff.message();
  auto report = parse(parser, diff.text());
  EXPECT_TRUE(bool(report["drift"]));
  EXPECT_NE(std::string(std::string_view(report["sql"])).find("CREATE TABLE"), std::string::npos);

  Call render;
  render.status = dbsafe_schema_render(&render.buf, migrations.c_str(), DBSAFE_SCHEMA_SQL,
                                       options.c_str(), nullptr, &render.err);
  ASSERT_EQ(render.status, DBSAFE_OK) << render.message();
  EXPECT_NE(render.text().find("CREATE TABLE"), std::string::npos) << render.text();

  deploy(dir, db.url());
  Call dump;
  dump.status = dbsafe_schema_dump(&dump.buf, db.url().c_str(), DBSAFE_SCHEMA_JSON, nullptr,
                                   nullptr, &dump.err);
  ASSERT_EQ(dump.status, DBSAFE_OK) << dump.message();
  auto model = parse(parser, dump.text());
  EXPECT_EQ(int64_t(model["schema_version"]), 1);
  // _prisma_migrations is left out of the model unless asked for.
  EXPECT_EQ(dump.text().find("_prisma_migrations"), std::string::npos);

  Call ddl;
  ddl.status =
      dbsafe_schema_dump(&ddl.buf, db.url().c_str(), DBSAFE_SCHEMA_SQL, nullptr, nullptr, &ddl.err);
  ASSERT_EQ(ddl.status, DBSAFE_OK) << ddl.message();
  EXPECT_NE(ddl.text().find("\"User\""), std::string::npos) << ddl.text();

  // A saved model is a source: the database against its own dump is no change.
  auto saved = tmp.write("model.json", dump.text());
  std::string url_source = "url:" + db.url();
  Call same;
  same.status =
      dbsafe_schema_diff(&same.buf, url_source.c_str(), saved.c_str(), nullptr, nullptr, &same.err);
  ASSERT_EQ(same.status, DBSAFE_OK) << same.message();
  EXPECT_FALSE(bool(parse(parser, same.text())["drift"])) << same.text();
}

TEST(CApiSchema, VerifyReportsAMissingIndex) {
  REQUIRE_SERVER();
  TempDir tmp;
  TestDatabase db;
  auto dir = write_migrations(tmp);
  deploy(dir, db.url());
  simdjson::dom::parser parser;

  Call ok;
  ok.status = dbsafe_verify(&ok.buf, db.url().c_str(), dir.c_str(), nullptr, nullptr, &ok.err);
  ASSERT_EQ(ok.status, DBSAFE_OK) << ok.message();
  auto clean = parse(parser, ok.text());
  EXPECT_TRUE(bool(clean["ok"])) << ok.text();
  EXPECT_GE(int64_t(clean["checked"]["tables"]), 1);

  exec(db.url(), "DROP INDEX \"User_email_key\";");
  Call bad;
  bad.status = dbsafe_verify(&bad.buf, db.url().c_str(), dir.c_str(), nullptr, nullptr, &bad.err);
  ASSERT_EQ(bad.status, DBSAFE_OK) << bad.message();
  auto report = parse(parser, bad.text());
  EXPECT_FALSE(bool(report["ok"]));
  bool missing_index = false;
  for (auto problem : simdjson::dom::array(report["problems"]))
    missing_index |=
        std::string_view(problem["object_type"]) == "index" &&
        std::string_view(problem["problem"]) == "missing" &&
        std::string_view(problem["object"]).find("User_email_key") != std::string_view::npos;
  EXPECT_TRUE(missing_index) << bad.text();
}

TEST(CApiSchema, BaselineFromADatabaseWritesAMigrationAndRecordsIt) {
  REQUIRE_SERVER();
  TempDir tmp;
  TestDatabase db;
  exec(db.url(), kInit);
  auto dir = tmp.str() + "/migrations";
  fs::create_directories(dir);
  std::string options =
      "{\"database_url\": \"" + db.url() + "\", \"migration_name\": \"0_baseline\"}";

  Call baseline;
  baseline.status = dbsafe_migrate_baseline_from_database(&baseline.buf, dir.c_str(),
                                                          options.c_str(), nullptr, &baseline.err);
  ASSERT_EQ(baseline.status, DBSAFE_OK) << baseline.message();
  EXPECT_TRUE(fs::exists(dir + "/0_baseline/migration.sql"));
  auto written = dbsafe::testing::read_file(dir + "/0_baseline/migration.sql");
  EXPECT_NE(written.find("CREATE TABLE"), std::string::npos) << written;

  Call status;
  std::string status_options = "{\"database_url\": \"" + db.url() + "\"}";
  status.status =
      dbsafe_migrate_status(&status.buf, dir.c_str(), status_options.c_str(), nullptr, &status.err);
  ASSERT_EQ(status.status, DBSAFE_OK) << status.message();
  simdjson::dom::parser parser;
  EXPECT_EQ(int64_t(parse(parser, status.text())["status_code"]), 0) << status.text();
}

}  // namespace
