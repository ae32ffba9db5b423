// dbsafe_deploy (c/deploy.h) as a C caller sees it: option errors, a dry
// run, a deploy, a gate stop (DBSAFE_OK with "exit_code":1) and an approval.
// The database tests run when DBSAFE_TEST_DATABASE_URL names a server.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>

#include "dbsafe/dbsafe.h"
#include "support/capi_result.hpp"
#include "support/pg_test_env.hpp"

namespace {

namespace fs = std::filesystem;
using dbsafe::testing::TestDatabase;

using Result = dbsafe::testing::CResult;

void run(Result &r, const std::string &options) {
  r.status = dbsafe_deploy(&r.buf, options.c_str(), nullptr, &r.err);
}

void write(const fs::path &file, const std::string &text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

void query(const std::string &url, const std::string &sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(url.c_str()), PQfinish);
  std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), sql.c_str()), PQclear);
  if (PQresultStatus(res.get()) != PGRES_COMMAND_OK)
    throw std::runtime_error(sql + ": " + PQerrorMessage(conn.get()));
}

bool have_server() {
  const char *url = std::getenv("DBSAFE_TEST_DATABASE_URL");
  return url != nullptr && *url != '\0';
}

TEST(CapiDeploy, OptionErrorsNameTheKey) {
  Result none;
  run(none, "");
  EXPECT_EQ(none.status, DBSAFE_EINVALID);
  EXPECT_NE(none.message().find("no deploy target"), std::string::npos) << none.message();
  EXPECT_EQ(none.buf.ptr, nullptr);

  Result unknown;
  run(unknown, R"({"target": "prod", "aprove": true})");
  EXPECT_EQ(unknown.status, DBSAFE_EINVALID);
  EXPECT_STREQ(dbsafe_error_message(unknown.err), "options_json: unknown option \"aprove\"");

  Result bad;
  run(bad, R"({"target": "prod", "approved_by": "alice"})");
  EXPECT_EQ(bad.status, DBSAFE_EINVALID);

  Result missing;
  run(missing, R"({"target": "prod", "config": "/nonexistent/dbsafe.toml"})");
  EXPECT_EQ(missing.status, DBSAFE_ENOTFOUND) << missing.message();

  dbsafe_buf full = DBSAFE_BUF_INIT;
  full.ptr = const_cast<char *>("x");
  EXPECT_EQ(dbsafe_deploy(&full, R"({"target": "prod"})", nullptr, nullptr), DBSAFE_EINVALID);
}

TEST(CapiDeploy, DryRunDeployGateAndApproval) {
  if (!have_server()) GTEST_SKIP() << "DBSAFE_TEST_DATABASE_URL is not set; no server";
  TestDatabase db;
  fs::path dir =
      fs::temp_directory_path() / ("dbsafe-capi-deploy-" + std::to_string(std::random_device{}()));
  write(dir / "prisma/migrations/migration_lock.toml", "provider = \"postgresql\"\n");
  write(dir / "prisma/migrations/20240101000000_init/migration.sql",
        "CREATE TABLE t (id bigint PRIMARY KEY, a text);\n");
  write(dir / "dbsafe.toml",
        "[targets.capi]\nurl_env = \"DBSAFE_CAPI_DEPLOY_URL\"\n"
        "direct_url_env = \"DBSAFE_CAPI_DEPLOY_NO_DIRECT\"\n");
  setenv("DBSAFE_CAPI_DEPLOY_URL", db.url().c_str(), 1);
  std::string base = R"({"target": "capi", "config": ")" + (dir / "dbsafe.toml").string() + "\"";

  Result dry;
  run(dry, base + R"(, "dry_run": true})");
  ASSERT_EQ(dry.status, DBSAFE_OK) << dry.message();
  EXPECT_NE(dry.text().find(R"("schema_version":1,)"), std::string::npos);
  EXPECT_NE(dry.text().find(R"("outcome":"dry-run")"), std::string::npos) << dry.text();

  Result first;
  run(first, base + "}");
  ASSERT_EQ(first.status, DBSAFE_OK) << first.message();
  EXPECT_NE(first.text().find(R"("outcome":"deployed")"), std::string::npos) << first.text();
  EXPECT_NE(first.text().find(R"("applied":["20240101000000_init"])"), std::string::npos);

  // A column with data: dropping it is an error-level finding.
  query(db.url(), "INSERT INTO t VALUES (1, 'x')");
  write(dir / "prisma/migrations/20240201000000_drop/migration.sql",
        "ALTER TABLE t DROP COLUMN a;\n");
  Result stopped;
  run(stopped, base + "}");
  ASSERT_EQ(stopped.status, DBSAFE_OK) << stopped.message();
  EXPECT_NE(stopped.text().find(R"("outcome":"stopped","exit_code":1)"), std::string::npos)
      << stopped.text();
  EXPECT_NE(stopped.text().find("--approve"), std::string::npos);

  Result approved;
  run(approved, base + R"(, "approved_by": ["alice"]})");
  ASSERT_EQ(approved.status, DBSAFE_OK) << approved.message();
  EXPECT_NE(approved.text().find(R"("outcome":"deployed")"), std::string::npos) << approved.text();
  EXPECT_NE(approved.text().find(R"("approved_by":["alice"])"), std::string::npos);

  // A failing migration: the error carries the report.
  write(dir / "prisma/migrations/20240301000000_bad/migration.sql", "SELECT nosuch FROM t;\n");
  Result failed;
  run(failed, base + "}");
  EXPECT_EQ(failed.status, DBSAFE_EDB) << failed.message();
  EXPECT_EQ(failed.buf.ptr, nullptr);
  EXPECT_NE(std::string(dbsafe_error_detail_json(failed.err)).find(R"("outcome":"failed")"),
            std::string::npos);
  unsetenv("DBSAFE_CAPI_DEPLOY_URL");
  fs::remove_all(dir);
}

void run_restore(Result &r, const std::string &options) {
  r.status = dbsafe_restore(&r.buf, options.c_str(), nullptr, &r.err);
}

TEST(CapiRestore, OptionErrorsNameTheKey) {
  Result none;
  run_restore(none, R"({"target": "prod"})");
  EXPECT_EQ(none.status, DBSAFE_EINVALID);
  EXPECT_NE(none.message().find("\"from\" are required"), std::string::npos) << none.message();
  Result unknown;
  run_restore(unknown, R"({"target": "prod", "from": "s", "confrim": "prod"})");
  EXPECT_STREQ(dbsafe_error_message(unknown.err), "options_json: unknown option \"confrim\"");
  Result bad;
  run_restore(bad, R"({"target": "prod", "from": "s", "reapply": "yes"})");
  EXPECT_EQ(bad.status, DBSAFE_EINVALID);
}

// The local provider's snapshots of `url` (database copies) are removed.
void delete_local_snapshots(const std::string &url) {
  dbsafe_provider *p = nullptr;
  dbsafe_error *err = nullptr;
  std::string options = R"({"kind": "local", "database_url": ")" + url + "\"}";
  ASSERT_EQ(dbsafe_provider_open(&p, options.c_str(), &err), DBSAFE_OK);
  Result list;
  ASSERT_EQ(dbsafe_provider_list_snapshots(&list.buf, p, nullptr, &list.err), DBSAFE_OK);
  std::string text = list.text();
  for (std::size_t pos = 0; (pos = text.find("\"id\":\"", pos)) != std::string::npos;) {
    pos += 6;
    std::string id = text.substr(pos, text.find('"', pos) - pos);
    Result del;
    EXPECT_EQ(dbsafe_provider_delete_snapshot(p, id.c_str(), nullptr, &del.err), DBSAFE_OK)
        << del.message();
  }
  dbsafe_provider_free(p);
}

TEST(CapiRestore, RefusedWithoutTheNameThenRestoresTheSnapshot) {
  if (!have_server()) GTEST_SKIP() << "DBSAFE_TEST_DATABASE_URL is not set; no server";
  TestDatabase db;
  fs::path dir =
      fs::temp_directory_path() / ("dbsafe-capi-restore-" + std::to_string(std::random_device{}()));
  write(dir / "prisma/migrations/migration_lock.toml", "provider = \"postgresql\"\n");
  write(dir / "prisma/migrations/20240101000000_init/migration.sql",
        "CREATE TABLE t (id bigint PRIMARY KEY);\n");
  write(dir / "dbsafe.toml",
        "[targets.capi]\nurl_env = \"DBSAFE_CAPI_RESTORE_URL\"\n"
        "direct_url_env = \"DBSAFE_CAPI_DEPLOY_NO_DIRECT\"\nprovider = \"local\"\n");
  setenv("DBSAFE_CAPI_RESTORE_URL", db.url().c_str(), 1);
  std::string config = R"("config": ")" + (dir / "dbsafe.toml").string() + "\"";
  Result deployed;
  run(deployed, R"({"target": "capi", )" + config + "}");
  ASSERT_EQ(deployed.status, DBSAFE_OK) << deployed.message();
  query(db.url(), "INSERT INTO t VALUES (1)");  // after the snapshot: gone after the restore

  std::string base = R"({"target": "capi", "from": "pre-deploy-backup", )" + config;
  Result refused;
  run_restore(refused, base + R"(, "confirm": "prod"})");
  EXPECT_EQ(refused.status, DBSAFE_EINVALID);
  EXPECT_NE(refused.message().find("--confirm 'capi'"), std::string::npos) << refused.message();

  Result restored;
  run_restore(restored, base + R"(, "confirm": "capi"})");
  ASSERT_EQ(restored.status, DBSAFE_OK) << restored.message();
  EXPECT_NE(restored.text().find(R"("operation":"restore")"), std::string::npos);
  EXPECT_NE(restored.text().find(R"("outcome":"restored","exit_code":0)"), std::string::npos)
      << restored.text();
  EXPECT_NE(restored.text().find(R"("name":"pre-restore-)"), std::string::npos);
  delete_local_snapshots(db.url());
  unsetenv("DBSAFE_CAPI_RESTORE_URL");
  fs::remove_all(dir);
}

}  // namespace
