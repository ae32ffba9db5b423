// Proves the PostgreSQL test harness (tests/support/pg_test_env.*): each
// TestDatabase is a real, separate database that disappears when destroyed.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../support/pg_test_env.hpp"

namespace {

using dbsafe::testing::server_url;
using dbsafe::testing::TestDatabase;
using dbsafe::testing::url_for_database;

struct PGconnDeleter {
  void operator()(PGconn *c) const { PQfinish(c); }
};
struct PGresultDeleter {
  void operator()(PGresult *r) const { PQclear(r); }
};
using ConnPtr = std::unique_ptr<PGconn, PGconnDeleter>;
using ResultPtr = std::unique_ptr<PGresult, PGresultDeleter>;

ConnPtr connect(const std::string &url) {
  ConnPtr conn(PQconnectdb(url.c_str()));
  EXPECT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
  return conn;
}

void exec(const std::string &url, const std::string &sql) {
  ConnPtr conn = connect(url);
  ResultPtr res(PQexec(conn.get(), sql.c_str()));
  ASSERT_EQ(PQresultStatus(res.get()), PGRES_COMMAND_OK) << PQresultErrorMessage(res.get());
}

// First column of the first row, or nullopt for no row / SQL NULL.
std::optional<std::string> scalar(const std::string &url, const std::string &sql,
                                  const std::vector<std::string> &params = {}) {
  ConnPtr conn = connect(url);
  std::vector<const char *> values;
  for (const auto &p : params) values.push_back(p.c_str());
  ResultPtr res(PQexecParams(conn.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                             values.data(), nullptr, nullptr, 0));
  EXPECT_EQ(PQresultStatus(res.get()), PGRES_TUPLES_OK) << PQresultErrorMessage(res.get());
  if (PQntuples(res.get()) == 0 || PQgetisnull(res.get(), 0, 0)) return std::nullopt;
  return std::string(PQgetvalue(res.get(), 0, 0));
}

bool database_exists(const std::string &name) {
  return scalar(server_url(), "SELECT 1 FROM pg_database WHERE datname = $1", {name}).has_value();
}

TEST(PostgresEnv, ServerAnswers) {
  EXPECT_EQ(scalar(server_url(), "SELECT 40 + 2"), "42");
}

TEST(PostgresEnv, TwoDatabasesAreDistinct) {
  TestDatabase a;
  TestDatabase b;
  EXPECT_NE(a.name(), b.name());
  EXPECT_NE(a.url(), b.url());
  EXPECT_EQ(a.name().rfind("dbsafe_t_", 0), 0u) << a.name();
  EXPECT_TRUE(database_exists(a.name()));
  EXPECT_TRUE(database_exists(b.name()));
  EXPECT_EQ(scalar(a.url(), "SELECT current_database()"), a.name());
  EXPECT_EQ(scalar(b.url(), "SELECT current_database()"), b.name());
}

TEST(PostgresEnv, TableInOneDatabaseIsAbsentInTheOther) {
  TestDatabase a;
  TestDatabase b;
  exec(a.url(), "CREATE TABLE harness_probe (id int PRIMARY KEY)");
  exec(a.url(), "INSERT INTO harness_probe VALUES (1)");
  EXPECT_EQ(scalar(a.url(), "SELECT to_regclass('public.harness_probe')::text"), "harness_probe");
  EXPECT_EQ(scalar(a.url(), "SELECT count(*) FROM harness_probe"), "1");
  EXPECT_EQ(scalar(b.url(), "SELECT to_regclass('public.harness_probe')::text"), std::nullopt);
}

TEST(PostgresEnv, DatabaseIsDroppedOnDestruction) {
  std::string name;
  {
    TestDatabase db;
    name = db.name();
    ASSERT_TRUE(database_exists(name));
    // An open connection must not keep the database alive (DROP ... WITH (FORCE)).
    ConnPtr lingering = connect(db.url());
    ASSERT_EQ(PQstatus(lingering.get()), CONNECTION_OK);
  }
  EXPECT_FALSE(database_exists(name));
}

TEST(PostgresEnv, MovedDatabaseIsDroppedOnce) {
  std::string name;
  {
    TestDatabase first;
    name = first.name();
    TestDatabase second(std::move(first));
    EXPECT_EQ(second.name(), name);
    EXPECT_TRUE(first.name().empty());  // NOLINT(bugprone-use-after-move)
    EXPECT_TRUE(database_exists(name));
  }
  EXPECT_FALSE(database_exists(name));
}

TEST(PostgresEnv, DatabasesCanBeCreatedInParallel) {
  constexpr int kThreads = 6;
  std::vector<std::string> names(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([i, &names] {
      TestDatabase db;
      names[i] = db.name();
      exec(db.url(), "CREATE TABLE t (id int)");
    });
  }
  for (auto &t : threads) t.join();
  std::set<std::string> distinct(names.begin(), names.end());
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kThreads));
  for (const auto &name : names) EXPECT_FALSE(database_exists(name)) << name;
}

TEST(PostgresEnv, UrlForDatabase) {
  EXPECT_EQ(url_for_database("postgresql://u@127.0.0.1:5432/postgres", "x"),
            "postgresql://u@127.0.0.1:5432/x");
  EXPECT_EQ(url_for_database("postgres://u:p@h:1/db?sslmode=disable&application_name=a", "x"),
            "postgres://u:p@h:1/x?sslmode=disable&application_name=a");
  EXPECT_EQ(url_for_database("postgresql://u@h:1", "x"), "postgresql://u@h:1/x");
  EXPECT_EQ(url_for_database("postgresql://u@h:1?sslmode=disable", "x"),
            "postgresql://u@h:1/x?sslmode=disable");
  EXPECT_EQ(url_for_database("host=h port=1 dbname=postgres", "x"),
            "host=h port=1 dbname=postgres dbname=x");
}

}  // namespace
