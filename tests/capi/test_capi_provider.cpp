// The provider calls of the C ABI (c/provider.h) as a C caller sees them,
// on the local provider: option errors, rotation, restore, retention and
// branch pruning. The database tests run when DBSAFE_TEST_DATABASE_URL
// names a server whose user may create databases (the harness sets it).
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

#include "dbsafe/dbsafe.h"
#include "support/capi_result.hpp"
#include "support/pg_test_env.hpp"

namespace {

using dbsafe::testing::TestDatabase;

using Result = dbsafe::testing::CResult;

using ProviderPtr = std::unique_ptr<dbsafe_provider, decltype(&dbsafe_provider_free)>;

ProviderPtr open_local(const std::string &url) {
  dbsafe_provider *p = nullptr;
  dbsafe_error *err = nullptr;
  std::string options = R"({"kind": "local", "database_url": ")" + url + "\"}";
  int status = dbsafe_provider_open(&p, options.c_str(), &err);
  std::string message = err ? dbsafe_error_message(err) : "";
  dbsafe_error_free(err);
  if (status != DBSAFE_OK) throw std::runtime_error("dbsafe_provider_open: " + message);
  return ProviderPtr(p, dbsafe_provider_free);
}

std::string query(const std::string &url, const std::string &sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(url.c_str()), PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK)
    throw std::runtime_error(std::string("connect: ") + PQerrorMessage(conn.get()));
  std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), sql.c_str()), PQclear);
  auto status = PQresultStatus(res.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throw std::runtime_error(sql + ": " + PQerrorMessage(conn.get()));
  return status == PGRES_TUPLES_OK && PQntuples(res.get()) > 0 ? PQgetvalue(res.get(), 0, 0) : "";
}

bool have_server() {
  const char *url = std::getenv("DBSAFE_TEST_DATABASE_URL");
  return url != nullptr && *url != '\0';
}

#define REQUIRE_SERVER() \
  if (!have_server()) GTEST_SKIP() << "DBSAFE_TEST_DATABASE_URL is not set; no server"

TEST(CapiProvider, OptionErrorsNameTheKey) {
  dbsafe_provider *p = nullptr;
  dbsafe_error *err = nullptr;
  EXPECT_EQ(dbsafe_provider_open(&p, R"({"kind": "local", "nonsense": 1})", &err), DBSAFE_EINVALID);
  EXPECT_EQ(p, nullptr);
  EXPECT_STREQ(dbsafe_error_message(err), "options_json: unknown option \"nonsense\"");
  dbsafe_error_free(err);
  err = nullptr;
  EXPECT_EQ(dbsafe_provider_open(&p, R"({"kind": "cloud"})", &err), DBSAFE_EINVALID);
  EXPECT_NE(std::string(dbsafe_error_message(err)).find("\"neon\" and \"local\""),
            std::string::npos);
  dbsafe_error_free(err);
}

TEST(CapiProvider, NullHandleIsAnError) {
  Result r;
  r.status = dbsafe_provider_list_snapshots(&r.buf, nullptr, nullptr, &r.err);
  EXPECT_EQ(r.status, DBSAFE_EINVALID);
  EXPECT_NE(r.message().find("dbsafe_provider_open"), std::string::npos);
  dbsafe_provider_free(nullptr);  // accepted
  EXPECT_EQ(dbsafe_provider_requests_made(nullptr), 0u);
}

TEST(CapiProvider, RotateRestoreRetainPrune) {
  REQUIRE_SERVER();
  TestDatabase db;
  query(db.url(), "CREATE TABLE t (id int); INSERT INTO t VALUES (1)");
  auto p = open_local(db.url());
  {
    Result r;
    r.status = dbsafe_snapshot_rotate(&r.buf, p.get(), nullptr, nullptr, &r.err);
    ASSERT_EQ(r.status, DBSAFE_OK) << r.message();
    EXPECT_NE(r.text().find(R"("name":"pre-deploy-backup")"), std::string::npos) << r.text();
  }
  {
    Result r;
    r.status = dbsafe_snapshot_rotate(&r.buf, p.get(), nullptr, nullptr, &r.err);
    ASSERT_EQ(r.status, DBSAFE_OK) << r.message();
    EXPECT_NE(r.text().find(R"("replaced":{)"), std::string::npos) << r.text();
  }
  {
    Result r;
    r.status = dbsafe_provider_create_snapshot(
        &r.buf, p.get(), R"({"name": "pre-migration-1", "expires_at": "2099-01-01T00:00:00Z"})",
        nullptr, &r.err);
    ASSERT_EQ(r.status, DBSAFE_OK) << r.message();
    EXPECT_NE(r.text().find(R"("expires_at":"2099-01-01T00:00:00)"), std::string::npos) << r.text();
  }
  query(db.url(), "INSERT INTO t VALUES (2)");
  {
    Result r;
    r.status = dbsafe_provider_restore_snapshot(&r.buf, p.get(), "pre-deploy-backup", nullptr,
                                                nullptr, &r.err);
    ASSERT_EQ(r.status, DBSAFE_OK) << r.message();
    EXPECT_NE(r.text().find(R"("replaced_by":")" + db.name() + "_old_"), std::string::npos)
        << r.text();
  }
  EXPECT_EQ(query(db.url(), "SELECT count(*) FROM t"), "1");
  {
    // The one just taken is never deleted, whatever the policy says.
    Result r;
    r.status = dbsafe_snapshot_retention(
        &r.buf, p.get(),
        R"({"name_prefix": "pre-", "keep_last": 0, "just_taken": "pre-migration-1"})", nullptr,
        &r.err);
    ASSERT_EQ(r.status, DBSAFE_OK) << r.message();
    EXPECT_NE(r.text().find(R"("deleted":["pre-deploy-backup"])"), std::string::npos) << r.text();
    EXPECT_NE(r.text().find(R"({"name":"pre-migration-1","reason":"just taken"})"),
              std::string::npos)
        << r.text();
  }
  {
    Result r;
    r.status = dbsafe_branch_prune(&r.buf, p.get(), R"({"dry_run": false})", nullptr, &r.err);
    ASSERT_EQ(r.status, DBSAFE_OK) << r.message();
    EXPECT_NE(r.text().find(R"("deleted":[")" + db.name() + " (old"), std::string::npos)
        << r.text();
  }
  {
    Result r;
    r.status =
        dbsafe_provider_create_branch(&r.buf, p.get(), R"({"name": "feature"})", nullptr, &r.err);
    ASSERT_EQ(r.status, DBSAFE_OK) << r.message();
    Result url;
    url.status =
        dbsafe_provider_connection_url(&url.buf, p.get(), "feature", false, nullptr, &url.err);
    ASSERT_EQ(url.status, DBSAFE_OK) << url.message();
    EXPECT_EQ(query(url.text(), "SELECT count(*) FROM t"), "1");
  }
  {
    Result r;
    r.status = dbsafe_provider_delete_branch(p.get(), db.name().c_str(), nullptr, &r.err);
    EXPECT_EQ(r.status, DBSAFE_ESTATE) << "the default branch must never be deleted";
  }
  Result del;
  del.status = dbsafe_provider_delete_branch(p.get(), "feature", nullptr, &del.err);
  EXPECT_EQ(del.status, DBSAFE_OK) << del.message();
  Result dels;
  dels.status = dbsafe_provider_delete_snapshot(p.get(), "pre-migration-1", nullptr, &dels.err);
  EXPECT_EQ(dels.status, DBSAFE_OK) << dels.message();
  Result list;
  list.status = dbsafe_provider_list_snapshots(&list.buf, p.get(), nullptr, &list.err);
  ASSERT_EQ(list.status, DBSAFE_OK) << list.message();
  EXPECT_EQ(list.text(), R"({"schema_version":1,"snapshots":[]})");
  EXPECT_EQ(dbsafe_provider_requests_made(p.get()), 0u);
}

}  // namespace
