// The migration runner against a real PostgreSQL server: the corpus applied
// from empty in both modes, failures recorded as Prisma records them, error
// positions, concurrent index builds, lock_timeout retries, the advisory
// lock, cancellation and URL handling.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <future>
#include <thread>

#include "dbsafe/migrate.hpp"
#include "pg/connection.hpp"
#include "support/pg_test_env.hpp"
#include "support/temp_dir.hpp"

namespace {

using dbsafe::MigrateOptions;
using dbsafe::MigrationState;
using dbsafe::Runner;
using dbsafe::testing::TempDir;
using dbsafe::testing::TestDatabase;

// A plain libpq session for checking what the runner left behind.
class Psql {
 public:
  explicit Psql(const std::string &url) : c_(PQconnectdb(url.c_str())) {
    if (PQstatus(c_) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(c_));
  }
  ~Psql() { PQfinish(c_); }
  std::string one(const std::string &sql) {
    PGresult *r = PQexec(c_, sql.c_str());
    auto status = PQresultStatus(r);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      std::string e = PQresultErrorMessage(r);
      PQclear(r);
      throw std::runtime_error(e + " in " + sql);
    }
    std::string out = PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    return out;
  }

 private:
  PGconn *c_;
};

MigrateOptions options_for(const TestDatabase &db, Runner mode = Runner::Safe) {
  MigrateOptions o;
  o.database_url = db.url();
  o.mode = mode;
  o.connect_retry_budget = std::chrono::milliseconds(0);
  return o;
}

std::size_t applied_count(const dbsafe::MigrateReport &r) {
  return r.plan.count(MigrationState::Applied);
}

// ---------------------------------------------------------------- corpus

struct CorpusCase {
  std::string project;
  Runner mode;
};

void PrintTo(const CorpusCase &c, std::ostream *os) {
  *os << c.project << (c.mode == Runner::Safe ? " (safe mode)" : " (prisma mode)");
}

class CorpusDeploy : public ::testing::TestWithParam<CorpusCase> {};

TEST_P(CorpusDeploy, AppliesFromEmptyThenIsUpToDate) {
  const auto &param = GetParam();
  TestDatabase db;
  auto dir = dbsafe::testing::corpus_dir() + "/" + param.project;
  auto options = options_for(db, param.mode);
  auto before = dbsafe::migrate_status(dir, options);
  ASSERT_EQ(before.plan.status_code(), 1);
  std::size_t total = before.plan.migrations.size();

  auto deployed = dbsafe::migrate_deploy(dir, options);
  EXPECT_EQ(deployed.applied.size(), total);
  EXPECT_EQ(applied_count(deployed), total);

  auto status = dbsafe::migrate_status(dir, options);
  EXPECT_EQ(status.plan.status_code(), 0) << status.to_json().substr(0, 2000);
  auto again = dbsafe::migrate_deploy(dir, options);
  EXPECT_TRUE(again.applied.empty());

  // The history is Prisma's: one finished row per migration, steps count 1.
  Psql psql(db.url());
  EXPECT_EQ(psql.one("SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL AND "
                     "applied_steps_count = 1 AND logs IS NULL AND rolled_back_at IS NULL"),
            std::to_string(total));
  // dbsafe's own schema holds its step records and nothing of the app's.
  EXPECT_EQ(psql.one("SELECT count(*) FROM pg_tables WHERE schemaname = 'dbsafe' AND tablename <> "
                     "'migration_steps'"),
            "0");
}

INSTANTIATE_TEST_SUITE_P(
    Projects, CorpusDeploy,
    ::testing::Values(
        CorpusCase{"hoppscotch", Runner::Safe}, CorpusCase{"hoppscotch", Runner::Prisma},
        CorpusCase{"documenso", Runner::Safe}, CorpusCase{"documenso", Runner::Prisma},
        CorpusCase{"inbox-zero", Runner::Safe}, CorpusCase{"inbox-zero", Runner::Prisma},
        CorpusCase{"langfuse", Runner::Safe}, CorpusCase{"langfuse", Runner::Prisma},
        CorpusCase{"trigger.dev", Runner::Safe}, CorpusCase{"trigger.dev", Runner::Prisma}),
    [](const auto &info) {
      std::string name =
          info.param.project + (info.param.mode == Runner::Safe ? "_safe" : "_prisma");
      for (auto &c : name)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      return name;
    });

// ---------------------------------------------------------------- failures

TEST(MigrateDeploy, SqlErrorIsRecordedAsPrismaDoesAndPointsIntoTheFile) {
  TestDatabase db;
  TempDir dir;
  dir.write("1_a/migration.sql", "CREATE TABLE t (id int);\n");
  dir.write("2_b/migration.sql",
            "ALTER TABLE t ADD COLUMN x int;\n-- comment\nINSERT INTO t (id, nosuch)\n  VALUES (1, "
            "2);\n");
  dir.write("3_c/migration.sql", "CREATE TABLE u (id int);\n");
  auto options = options_for(db);
  try {
    dbsafe::migrate_deploy(dir.str(), options);
    FAIL() << "deploy should fail";
  } catch (const dbsafe::Error &e) {
    EXPECT_EQ(e.code(), dbsafe::ErrorCode::Database);
    EXPECT_EQ(e.sqlstate(), "42703");
    EXPECT_EQ(e.line(), 3u);
    EXPECT_EQ(e.column(), 20u);
    EXPECT_NE(e.file().find("2_b/migration.sql"), std::string::npos);
    EXPECT_NE(e.message().find("dbsafe migrate resolve --rolled-back 2_b"), std::string::npos);
    EXPECT_NE(e.detail_json().find("\"failure\""), std::string::npos);
    EXPECT_NE(e.detail_json().find("\"rolled_back\":true"), std::string::npos);
  }
  Psql psql(db.url());
  // Nothing of 2_b is applied, and it is recorded as failed like Prisma's
  // rows: no finished_at, logs set, no steps.
  EXPECT_EQ(psql.one("SELECT count(*) FROM information_schema.columns WHERE column_name = 'x'"),
            "0");
  EXPECT_EQ(psql.one("SELECT finished_at IS NULL AND logs LIKE '%nosuch%' AND "
                     "applied_steps_count = 0 FROM _prisma_migrations WHERE migration_name = "
                     "'2_b'"),
            "t");
  auto status = dbsafe::migrate_status(dir.str(), options);
  EXPECT_EQ(status.plan.status_code(), 2);
  EXPECT_EQ(status.plan.count(MigrationState::Failed), 1u);
  // Deploy refuses until resolved (Prisma's P3009), naming the migration.
  try {
    dbsafe::migrate_deploy(dir.str(), options);
    FAIL() << "deploy should refuse";
  } catch (const dbsafe::Error &e) {
    EXPECT_EQ(e.code(), dbsafe::ErrorCode::State);
    EXPECT_NE(e.message().find("2_b"), std::string::npos);
  }
  dir.write("2_b/migration.sql", "ALTER TABLE t ADD COLUMN x int;\n");
  dbsafe::migrate_resolve(dir.str(), "2_b", dbsafe::ResolveAction::RolledBack, options);
  auto deployed = dbsafe::migrate_deploy(dir.str(), options);
  EXPECT_EQ(deployed.applied.size(), 2u);
  EXPECT_EQ(deployed.plan.status_code(), 0);
  // The rolled-back row stays; a new one records the success (as Prisma).
  EXPECT_EQ(psql.one("SELECT count(*) FROM _prisma_migrations WHERE migration_name = '2_b'"), "2");
}

TEST(MigrateDeploy, ModifiedMigrationIsNamedAndRefused) {
  TestDatabase db;
  TempDir dir;
  dir.write("1_a/migration.sql", "CREATE TABLE t (id int);\n");
  auto options = options_for(db);
  dbsafe::migrate_deploy(dir.str(), options);
  dir.write("1_a/migration.sql", "CREATE TABLE t (id bigint);\n");
  dir.write("2_b/migration.sql", "CREATE TABLE u (id int);\n");
  auto status = dbsafe::migrate_status(dir.str(), options);
  EXPECT_EQ(status.plan.status_code(), 2);
  EXPECT_EQ(status.plan.count(MigrationState::Modified), 1u);
  try {
    dbsafe::migrate_deploy(dir.str(), options);
    FAIL();
  } catch (const dbsafe::Error &e) {
    EXPECT_EQ(e.code(), dbsafe::ErrorCode::State);
    EXPECT_NE(e.message().find("1_a"), std::string::npos);
  }
  options.allow_modified = true;
  EXPECT_EQ(dbsafe::migrate_deploy(dir.str(), options).applied.size(), 1u);
}

TEST(MigrateDeploy, CrlfCheckoutOfAnAppliedFileIsNotModified) {
  TestDatabase db;
  TempDir dir;
  dir.write("1_a/migration.sql", "CREATE TABLE t (id int);\nCREATE TABLE u (id int);\n");
  auto options = options_for(db);
  dbsafe::migrate_deploy(dir.str(), options);
  dir.write("1_a/migration.sql", "CREATE TABLE t (id int);\r\nCREATE TABLE u (id int);\r\n");
  EXPECT_EQ(dbsafe::migrate_status(dir.str(), options).plan.status_code(), 0);
}

TEST(MigrateDeploy, MissingAndOutOfOrderAreReported) {
  TestDatabase db;
  TempDir dir;
  dir.write("1_a/migration.sql", "CREATE TABLE a (id int);\n");
  dir.write("3_c/migration.sql", "CREATE TABLE c (id int);\n");
  auto options = options_for(db);
  dbsafe::migrate_deploy(dir.str(), options);
  dir.write("2_b/migration.sql", "CREATE TABLE b (id int);\n");
  auto status = dbsafe::migrate_status(dir.str(), options);
  EXPECT_EQ(status.plan.count(MigrationState::OutOfOrder), 1u);
  EXPECT_EQ(status.plan.status_code(), 1);
  std::filesystem::remove_all(dir.path() / "1_a");
  status = dbsafe::migrate_status(dir.str(), options);
  EXPECT_EQ(status.plan.count(MigrationState::Missing), 1u);
  EXPECT_EQ(status.plan.status_code(), 2);
}

// ------------------------------------------------------ steps and indexes

TEST(MigrateDeploy, SafeModeRunsConcurrentIndexOutsideTheTransaction) {
  TestDatabase db;
  TempDir dir;
  dir.write("1_a/migration.sql", "CREATE TABLE t (id int, v text);\n");
  dir.write("2_b/migration.sql",
            "ALTER TABLE t ADD COLUMN w int;\nCREATE INDEX CONCURRENTLY t_v ON t (v);\nUPDATE t "
            "SET w = 1;\n");
  auto safe = options_for(db);
  auto report = dbsafe::migrate_deploy(dir.str(), safe);
  ASSERT_EQ(report.applied.size(), 2u);
  EXPECT_EQ(report.applied[1].steps, 3u);
  Psql psql(db.url());
  EXPECT_EQ(psql.one("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_v'::regclass"), "t");
  EXPECT_EQ(psql.one("SELECT count(*) FROM dbsafe.migration_steps WHERE migration_name = '2_b'"),
            "4");  // the start marker and three steps
}

TEST(MigrateDeploy, PrismaModeFailsMixedFileLikePrisma) {
  TestDatabase db;
  TempDir dir;
  dir.write("1_a/migration.sql",
            "CREATE TABLE t (id int, v text);\nCREATE INDEX CONCURRENTLY t_v ON t (v);\n");
  auto options = options_for(db, Runner::Prisma);
  try {
    dbsafe::migrate_deploy(dir.str(), options);
    FAIL();
  } catch (const dbsafe::Error &e) {
    EXPECT_EQ(e.sqlstate(), "25001");  // active_sql_transaction
    EXPECT_EQ(e.line(), 2u);
  }
}

TEST(MigrateDeploy, FailedConcurrentIndexLeavesNoInvalidIndex) {
  TestDatabase db;
  TempDir dir;
  dir.write("1_a/migration.sql", "CREATE TABLE t (id int);\nINSERT INTO t VALUES (1), (1);\n");
  dir.write("2_b/migration.sql", "CREATE UNIQUE INDEX CONCURRENTLY t_id ON t (id);\n");
  auto options = options_for(db);
  EXPECT_THROW(dbsafe::migrate_deploy(dir.str(), options), dbsafe::Error);
  Psql psql(db.url());
  EXPECT_EQ(psql.one("SELECT count(*) FROM pg_class WHERE relname = 't_id'"), "0");
  // Fix the data, resolve, deploy: the index is built.
  psql.one("DELETE FROM t WHERE ctid = (SELECT max(ctid) FROM t)");
  dbsafe::migrate_resolve(dir.str(), "2_b", dbsafe::ResolveAction::RolledBack, options);
  dbsafe::migrate_deploy(dir.str(), options);
  EXPECT_EQ(psql.one("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_id'::regclass"), "t");
}

TEST(MigrateDeploy, InterruptedStepMigrationResumesAndReusesAValidIndex) {
  TestDatabase db;
  TempDir dir;
  dir.write("1_a/migration.sql", "CREATE TABLE t (id int, v text);\n");
  dir.write("2_b/migration.sql",
            "CREATE INDEX CONCURRENTLY t_v ON t (v);\nCREATE TABLE after_index (id int);\n");
  auto options = options_for(db);
  dbsafe::migrate_deploy(dir.str(), options);
  Psql psql(db.url());
  // What a crash after the index build and before its step record leaves:
  // the row started, the start marker, the index, no step records.
  psql.one("DELETE FROM dbsafe.migration_steps WHERE migration_name = '2_b' AND step > 0");
  psql.one(
      "UPDATE _prisma_migrations SET finished_at = NULL, applied_steps_count = 0 WHERE "
      "migration_name = '2_b'");
  psql.one("DROP TABLE after_index");
  auto status = dbsafe::migrate_status(dir.str(), options);
  ASSERT_EQ(status.plan.count(MigrationState::Failed), 1u);
  EXPECT_TRUE(status.plan.migrations[1].resumable);
  auto report = dbsafe::migrate_deploy(dir.str(), options);
  ASSERT_EQ(report.applied.size(), 1u);
  EXPECT_TRUE(report.applied[0].resumed);
  EXPECT_EQ(report.plan.status_code(), 0);
  EXPECT_EQ(psql.one("SELECT to_regclass('after_index') IS NOT NULL"), "t");
  EXPECT_EQ(psql.one("SELECT count(*) FROM _prisma_migrations WHERE migration_name = '2_b'"), "1");
}

TEST(PlanSteps, CutsAtStatementsThatRefuseATransaction) {
  auto steps = dbsafe::plan_steps(
      "-- head\nCREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY a_i ON a (id);\nVACUUM a;\n"
      "ALTER TABLE a ADD COLUMN b int;\n",
      Runner::Safe);
  ASSERT_EQ(steps.size(), 4u);
  EXPECT_TRUE(steps[0].transactional);
  EXPECT_EQ(steps[0].line, 2u);
  EXPECT_FALSE(steps[1].transactional);
  EXPECT_EQ(steps[1].line, 3u);
  EXPECT_FALSE(steps[2].transactional);
  EXPECT_TRUE(steps[3].transactional);
  EXPECT_EQ(dbsafe::plan_steps("CREATE TABLE a (id int);\nVACUUM a;\n", Runner::Prisma).size(), 1u);
}

// ------------------------------------------------------------- locking

TEST(MigrateDeploy, LockTimeoutIsRetriedAndNamesTheBlocker) {
  TestDatabase db;
  TempDir dir;
  dir.write("1_a/migration.sql", "CREATE TABLE t (id int);\n");
  auto options = options_for(db);
  dbsafe::migrate_deploy(dir.str(), options);
  dir.write("2_b/migration.sql", "ALTER TABLE t ADD COLUMN x int;\n");
  Psql blocker(db.url());
  blocker.one("SET application_name = 'blocking-test'");
  blocker.one("BEGIN");
  blocker.one("LOCK TABLE t IN ACCESS SHARE MODE");
  options.lock_timeout = std::chrono::milliseconds(600);
  options.lock_retries = 5;
  options.lock_retry_backoff = std::chrono::milliseconds(200);
  std::vector<std::string> logs;
  std::mutex logs_mutex;
  dbsafe::CallOptions call;
  call.log = [&](dbsafe::LogLevel, std::string_view, std::string_view m) {
    std::lock_guard<std::mutex> lock(logs_mutex);
    logs.emplace_back(m);
  };
  auto release = std::async(std::launch::async, [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    blocker.one("COMMIT");
  });
  auto report = dbsafe::migrate_deploy(dir.str(), options, call);
  release.get();
  EXPECT_EQ(report.applied.size(), 1u);
  std::string all;
  for (const auto &l : logs) all += l + "\n";
  EXPECT_NE(all.find("lock_timeout hit"), std::string::npos) << all;
  EXPECT_NE(all.find("blocking-test"), std::string::npos) << all;
}

TEST(MigrateDeploy, AdvisoryLockTimeoutNamesTheHolder) {
  TestDatabase db;
  TempDir dir;
  dir.write("1_a/migration.sql", "CREATE TABLE t (id int);\n");
  Psql holder(db.url());
  holder.one("SET application_name = 'other-deploy'");
  holder.one("SELECT pg_advisory_lock(72707369)");
  auto options = options_for(db);
  options.advisory_lock_timeout = std::chrono::milliseconds(500);
  try {
    dbsafe::migrate_deploy(dir.str(), options);
    FAIL();
  } catch (const dbsafe::Error &e) {
    EXPECT_EQ(e.code(), dbsafe::ErrorCode::Timeout);
    EXPECT_NE(e.message().find("other-deploy"), std::string::npos) << e.message();
  }
  holder.one("SELECT pg_advisory_unlock(72707369)");
  EXPECT_EQ(dbsafe::migrate_deploy(dir.str(), options).applied.size(), 1u);
}

TEST(MigrateDeploy, CancelStopsTheRunningStatementAndLeavesNoTrace) {
  TestDatabase db;
  TempDir dir;
  dir.write("1_a/migration.sql", "CREATE TABLE t (id int);\nSELECT pg_sleep(30);\n");
  auto options = options_for(db);
  auto token = std::make_shared<dbsafe::CancelToken>();
  dbsafe::CallOptions call;
  call.cancel = token;
  auto started = std::chrono::steady_clock::now();
  auto canceller = std::async(std::launch::async, [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    token->request();
  });
  try {
    dbsafe::migrate_deploy(dir.str(), options, call);
    FAIL();
  } catch (const dbsafe::Error &e) {
    EXPECT_EQ(e.code(), dbsafe::ErrorCode::Cancelled);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  auto status = dbsafe::migrate_status(dir.str(), options);
  EXPECT_EQ(status.plan.count(MigrationState::Pending), 1u);
  Psql psql(db.url());
  EXPECT_EQ(psql.one("SELECT to_regclass('t') IS NULL"), "t");
}

// ---------------------------------------------------- resolve, baseline

TEST(MigrateBaseline, MarksEverythingUpToTheNameAsApplied) {
  TestDatabase db;
  TempDir dir;
  dir.write("1_a/migration.sql", "CREATE TABLE a (id int);\n");
  dir.write("2_b/migration.sql", "CREATE TABLE b (id int);\n");
  dir.write("3_c/migration.sql", "CREATE TABLE c (id int);\n");
  auto options = options_for(db);
  Psql psql(db.url());
  psql.one("CREATE TABLE a (id int); CREATE TABLE b (id int)");  // an existing database
  auto report = dbsafe::migrate_baseline(dir.str(), "2_b", options);
  EXPECT_EQ(report.resolved, (std::vector<std::string>{"1_a", "2_b"}));
  auto deployed = dbsafe::migrate_deploy(dir.str(), options);
  ASSERT_EQ(deployed.applied.size(), 1u);
  EXPECT_EQ(deployed.applied[0].name, "3_c");
  EXPECT_THROW(dbsafe::migrate_baseline(dir.str(), "9_nope", options), dbsafe::Error);
}

TEST(MigrateResolve, FollowsPrismasRules) {
  TestDatabase db;
  TempDir dir;
  dir.write("1_a/migration.sql", "CREATE TABLE a (id int);\n");
  auto options = options_for(db);
  // Never applied: cannot be rolled back (P3011).
  EXPECT_THROW(
      dbsafe::migrate_resolve(dir.str(), "1_a", dbsafe::ResolveAction::RolledBack, options),
      dbsafe::Error);
  dbsafe::migrate_resolve(dir.str(), "1_a", dbsafe::ResolveAction::Applied, options);
  // Already applied (P3008).
  EXPECT_THROW(dbsafe::migrate_resolve(dir.str(), "1_a", dbsafe::ResolveAction::Applied, options),
               dbsafe::Error);
  // Applied, not failed (P3012).
  EXPECT_THROW(
      dbsafe::migrate_resolve(dir.str(), "1_a", dbsafe::ResolveAction::RolledBack, options),
      dbsafe::Error);
  EXPECT_EQ(dbsafe::migrate_status(dir.str(), options).plan.status_code(), 0);
}

// ------------------------------------------------------------ URLs, schema

TEST(MigrateUrl, PrismaSchemaParameterPlacesHistoryAndTables) {
  TestDatabase db;
  TempDir dir;
  dir.write("1_a/migration.sql", "CREATE TABLE a (id int);\n");
  auto options = options_for(db);
  options.database_url = db.url() + (db.url().find('?') == std::string::npos ? "?" : "&") +
                         "schema=app&connection_limit=1";
  auto report = dbsafe::migrate_deploy(dir.str(), options);
  EXPECT_EQ(report.plan.history_table, "\"app\".\"_prisma_migrations\"");
  Psql psql(db.url());
  EXPECT_EQ(psql.one("SELECT to_regclass('app.a') IS NOT NULL AND "
                     "to_regclass('app._prisma_migrations') IS NOT NULL"),
            "t");
}

TEST(MigrateUrl, PoolerHintsAreRefusedForDeployButNotStatus) {
  auto t = dbsafe::pg::parse_target("postgresql://u:pw@ep-cool-1234-pooler.eu.aws.neon.tech/db");
  EXPECT_NE(t.pooler_reason.find("pooler"), std::string::npos);
  EXPECT_NE(dbsafe::pg::parse_target("postgresql://u@h:6543/db").pooler_reason, "");
  auto flagged = dbsafe::pg::parse_target("postgresql://u@h/db?pgbouncer=true&schema=s");
  EXPECT_TRUE(flagged.pgbouncer_flag);
  EXPECT_EQ(flagged.schema, "s");
  EXPECT_EQ(flagged.conninfo, "postgresql://u@h/db");
  EXPECT_EQ(dbsafe::pg::parse_target("postgresql://u@h:5432/db").pooler_reason, "");

  TestDatabase db;
  TempDir dir;
  dir.write("1_a/migration.sql", "CREATE TABLE a (id int);\n");
  auto options = options_for(db);
  options.database_url =
      db.url() + (db.url().find('?') == std::string::npos ? "?" : "&") + "pgbouncer=true";
  EXPECT_EQ(dbsafe::migrate_status(dir.str(), options).plan.status_code(), 1);
  try {
    dbsafe::migrate_deploy(dir.str(), options);
    FAIL();
  } catch (const dbsafe::Error &e) {
    EXPECT_NE(e.message().find("DIRECT_URL"), std::string::npos);
  }
}

TEST(MigrateUrl, UnreachableHostAndBadUrlKeepTheSecret) {
  TempDir dir;
  dir.write("1_a/migration.sql", "CREATE TABLE a (id int);\n");
  MigrateOptions options;
  options.connect_retry_budget = std::chrono::milliseconds(0);
  options.database_url = "postgresql://someone:sup3rsecret@127.0.0.1:1/db?connect_timeout=2";
  try {
    dbsafe::migrate_status(dir.str(), options);
    FAIL();
  } catch (const dbsafe::Error &e) {
    EXPECT_EQ(e.code(), dbsafe::ErrorCode::Connect);
    EXPECT_EQ(e.message().find("sup3rsecret"), std::string::npos);
  }
  EXPECT_THROW(dbsafe::pg::parse_target("postgresql://u:sup3rsecret@h/db?bogus=1"), dbsafe::Error);
  try {
    dbsafe::pg::parse_target("postgresql://u:sup3rsecret@h/db?bogus=1");
  } catch (const dbsafe::Error &e) {
    EXPECT_EQ(e.message().find("sup3rsecret"), std::string::npos);
  }
}

TEST(MigrateUrl, ConnectRetriesWithinTheBudget) {
  TempDir dir;
  dir.write("1_a/migration.sql", "CREATE TABLE a (id int);\n");
  MigrateOptions options;
  options.database_url = "postgresql://u@127.0.0.1:1/db";
  options.connect_retry_budget = std::chrono::milliseconds(1200);
  int retries = 0;
  dbsafe::CallOptions call;
  call.progress = [&](std::string_view e) {
    if (e.find("connect-retry") != std::string_view::npos) ++retries;
    return true;
  };
  auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(dbsafe::migrate_status(dir.str(), options, call), dbsafe::Error);
  EXPECT_GE(retries, 2);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

}  // namespace

namespace {

TEST(MigrateUrl, WrongPasswordIsAnAuthErrorWithoutThePassword) {
  TestDatabase db;
  Psql admin(db.url());
  admin.one(
      "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dbsafe_pw') THEN "
      "CREATE ROLE dbsafe_pw LOGIN PASSWORD 'the-right-pw'; END IF; END $$");
  // The URL of this server for dbsafe_pw with a wrong password.
  std::string url = db.url();
  auto at = url.find('@');
  auto scheme = url.find("://");
  ASSERT_NE(at, std::string::npos);
  url = url.substr(0, scheme + 3) + "dbsafe_pw:wr0ng-pw-canary" + url.substr(at);
  PGconn *probe = PQconnectdb(url.c_str());
  bool trusted = PQstatus(probe) == CONNECTION_OK;
  PQfinish(probe);
  if (trusted) GTEST_SKIP() << "this server trusts dbsafe_pw (not a scripts/pg-throwaway cluster)";
  TempDir dir;
  dir.write("1_a/migration.sql", "CREATE TABLE a (id int);\n");
  MigrateOptions options;
  options.database_url = url;
  options.connect_retry_budget = std::chrono::milliseconds(0);
  try {
    dbsafe::migrate_deploy(dir.str(), options);
    FAIL();
  } catch (const dbsafe::Error &e) {
    EXPECT_EQ(e.code(), dbsafe::ErrorCode::Auth) << e.message();
    EXPECT_EQ(e.message().find("wr0ng-pw-canary"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("password"), std::string::npos) << e.message();
  }
}

}  // namespace

namespace {

// What a kill leaves when it lands in a step dbsafe cannot re-run (the
// file's own BEGIN/COMMIT): status and deploy agree that a person decides.
TEST(MigrateDeploy, InterruptedSelfManagedStepNeedsAPersonInStatusAndDeploy) {
  TestDatabase db;
  TempDir dir;
  dir.write("1_a/migration.sql", "CREATE TABLE log (m text);\n");
  dir.write("2_tx/migration.sql",
            "BEGIN;\nINSERT INTO log VALUES ('part1');\nCOMMIT;\nINSERT INTO log VALUES "
            "('part2');\n");
  auto options = options_for(db);
  dbsafe::migrate_deploy(dir.str(), options);
  Psql psql(db.url());
  psql.one("DELETE FROM dbsafe.migration_steps WHERE migration_name = '2_tx' AND step > 0");
  psql.one(
      "UPDATE _prisma_migrations SET finished_at = NULL, applied_steps_count = 0 WHERE "
      "migration_name = '2_tx'");
  auto status = dbsafe::migrate_status(dir.str(), options);
  EXPECT_FALSE(status.plan.migrations[1].resumable);
  EXPECT_EQ(status.plan.status_code(), 2);
  try {
    dbsafe::migrate_deploy(dir.str(), options);
    FAIL();
  } catch (const dbsafe::Error &e) {
    EXPECT_EQ(e.code(), dbsafe::ErrorCode::State);
    EXPECT_NE(e.message().find("dbsafe migrate resolve"), std::string::npos);
    EXPECT_NE(e.detail_json().find("\"status_code\":2"), std::string::npos) << e.detail_json();
  }
}

}  // namespace
