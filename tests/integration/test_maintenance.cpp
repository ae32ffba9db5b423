// The read-only window against a real PostgreSQL server: new ordinary
// sessions cannot write (SQLSTATE 25006), sessions from before the window are
// listed and can be ended, dbsafe's own sessions still write, `off` puts back
// exactly the previous per-database setting, `on` twice keeps the first
// record, a database name that needs quoting, and a role that may neither
// alter the database nor end another role's session; and the guarded
// restore's --maintenance, which holds the restored database read-only while
// it re-applies and reopens it afterwards, also when re-applying fails.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "dbsafe/deploy.hpp"
#include "dbsafe/maintenance.hpp"
#include "dbsafe/migrate.hpp"
#include "dbsafe/provider.hpp"
#include "pg/connection.hpp"
#include "support/pg_test_env.hpp"
#include "support/sql_connection.hpp"
#include "support/temp_dir.hpp"

namespace {

using dbsafe::MaintenanceAction;
using dbsafe::MaintenanceOptions;
using dbsafe::MaintenanceReport;
using dbsafe::testing::SqlConnection;
using dbsafe::testing::TempDir;
using dbsafe::testing::TestDatabase;

MaintenanceReport window(const std::string &url, MaintenanceAction action,
                         bool terminate_writers = false) {
  MaintenanceOptions o;
  o.database_url = url;
  o.action = action;
  o.terminate_writers = terminate_writers;
  o.actor = "maintenance-test";
  return dbsafe::maintenance(o);
}

// The SQLSTATE `sql` fails with on `conn`; "" when it succeeds.
std::string sqlstate_of(PGconn *conn, const std::string &sql) {
  std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn, sql.c_str()), PQclear);
  auto status = PQresultStatus(r.get());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return "";
  const char *state = PQresultErrorField(r.get(), PG_DIAG_SQLSTATE);
  return state ? state : "(no sqlstate: " + std::string(PQerrorMessage(conn)) + ")";
}

// The per-database value of default_transaction_read_only as the catalog
// holds it; nullopt when there is none.
std::optional<std::string> stored_setting(const std::string &database) {
  SqlConnection admin(dbsafe::testing::server_url());
  char *literal = PQescapeLiteral(admin.get(), database.c_str(), database.size());
  const std::string name = literal;
  PQfreemem(literal);
  std::unique_ptr<PGresult, decltype(&PQclear)> r(
      PQexec(admin.get(),
             ("SELECT c FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, "
              "unnest(s.setconfig) c WHERE s.setrole = 0 AND d.datname = " +
              name + " AND c LIKE 'default_transaction_read_only=%'")
                 .c_str()),
      PQclear);
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK)
    throw std::runtime_error(PQerrorMessage(admin.get()));
  if (PQntuples(r.get()) == 0) return std::nullopt;
  return std::string(PQgetvalue(r.get(), 0, 0)).substr(sizeof "default_transaction_read_only");
}

const dbsafe::MaintenanceWriter *writer(const MaintenanceReport &r, int pid) {
  auto it =
      std::find_if(r.writers.begin(), r.writers.end(), [&](const auto &w) { return w.pid == pid; });
  return it == r.writers.end() ? nullptr : &*it;
}

TEST(Maintenance, NewSessionsCannotWriteOldOnesAreListedAndEnded) {
  TestDatabase db;
  SqlConnection old_session(db.url());
  old_session.one("SET application_name = 'old-app'");
  old_session.one("CREATE TABLE t (id int)");
  const int old_pid = PQbackendPID(old_session.get());

  auto on = window(db.url(), MaintenanceAction::On);
  EXPECT_EQ(on.action, "on");
  EXPECT_EQ(on.database, db.name());
  EXPECT_TRUE(on.read_only);
  EXPECT_TRUE(on.changed);
  ASSERT_TRUE(on.recorded);
  EXPECT_EQ(on.opened_by, "maintenance-test");
  EXPECT_FALSE(on.previous_setting.has_value());
  EXPECT_EQ(stored_setting(db.name()), "on");
  const auto *listed = writer(on, old_pid);
  ASSERT_NE(listed, nullptr) << on.to_json();
  EXPECT_EQ(listed->application_name, "old-app");
  EXPECT_FALSE(listed->backend_start.empty());
  EXPECT_TRUE(listed->outcome.empty());

  // A session that connects now is read-only: 25006, read_only_sql_transaction.
  SqlConnection new_session(db.url());
  EXPECT_EQ(sqlstate_of(new_session.get(), "INSERT INTO t VALUES (1)"), "25006");
  EXPECT_EQ(sqlstate_of(new_session.get(), "SELECT count(*) FROM t"), "");
  // The old one kept the default it connected with.
  EXPECT_EQ(sqlstate_of(old_session.get(), "INSERT INTO t VALUES (2)"), "");

  auto status = window(db.url(), MaintenanceAction::Status);
  EXPECT_TRUE(status.read_only);
  EXPECT_FALSE(status.changed);
  EXPECT_EQ(status.since, on.since);
  EXPECT_NE(writer(status, old_pid), nullptr);
  EXPECT_EQ(writer(status, PQbackendPID(new_session.get())), nullptr) << status.to_json();

  auto ended = window(db.url(), MaintenanceAction::Status, true);
  const auto *gone = writer(ended, old_pid);
  ASSERT_NE(gone, nullptr);
  EXPECT_EQ(gone->outcome, "terminated") << gone->error;
  EXPECT_EQ(ended.not_terminated, 0u);
  EXPECT_GE(ended.terminated, 1u);
  EXPECT_NE(sqlstate_of(old_session.get(), "SELECT 1"), "");
  // The read-only session is no writer and was left alone.
  EXPECT_EQ(sqlstate_of(new_session.get(), "SELECT 1"), "");
  EXPECT_TRUE(window(db.url(), MaintenanceAction::Status).writers.empty());

  auto off = window(db.url(), MaintenanceAction::Off);
  EXPECT_FALSE(off.read_only);
  EXPECT_TRUE(off.changed);
  EXPECT_FALSE(off.restored_setting.has_value());
  EXPECT_EQ(stored_setting(db.name()), std::nullopt);
  SqlConnection after(db.url());
  EXPECT_EQ(sqlstate_of(after.get(), "INSERT INTO t VALUES (3)"), "");
  EXPECT_FALSE(window(db.url(), MaintenanceAction::Off).changed);
}

TEST(Maintenance, DbsafesOwnSessionsStillWrite) {
  TestDatabase db;
  window(db.url(), MaintenanceAction::On);
  TempDir dir;
  dir.write("20260101000000_init/migration.sql", "CREATE TABLE player (id bigint PRIMARY KEY);\n");
  dir.write("migration_lock.toml", "provider = \"postgresql\"\n");
  dbsafe::MigrateOptions o;
  o.database_url = db.url();
  auto report = dbsafe::migrate_deploy(dir.str(), o);
  EXPECT_EQ(report.applied.size(), 1u);
  // dbsafe's connection layer turned the setting off for itself only.
  auto conn = dbsafe::pg::Connection::open(db.url(), {});
  EXPECT_EQ(conn.exec("SHOW default_transaction_read_only").text(0, 0), "off");
  conn.exec("INSERT INTO player VALUES (1)");
  SqlConnection ordinary(db.url());
  EXPECT_EQ(ordinary.one("SHOW default_transaction_read_only"), "on");
  EXPECT_EQ(ordinary.one("SELECT count(*) FROM player"), "1");
  window(db.url(), MaintenanceAction::Off);
}

TEST(Maintenance, OffPutsBackThePreviousSettingAndOnTwiceKeepsIt) {
  TestDatabase db;
  {
    SqlConnection admin(dbsafe::testing::server_url());
    admin.one("ALTER DATABASE \"" + db.name() + "\" SET default_transaction_read_only = 'off'");
    admin.one("ALTER DATABASE \"" + db.name() + "\" SET work_mem = '8MB'");
  }
  auto first = window(db.url(), MaintenanceAction::On);
  ASSERT_TRUE(first.previous_setting.has_value());
  EXPECT_EQ(*first.previous_setting, "off");
  auto second = window(db.url(), MaintenanceAction::On);
  EXPECT_FALSE(second.changed);
  ASSERT_TRUE(second.previous_setting.has_value());
  EXPECT_EQ(*second.previous_setting, "off");
  EXPECT_EQ(second.since, first.since);
  auto off = window(db.url(), MaintenanceAction::Off);
  ASSERT_TRUE(off.restored_setting.has_value());
  EXPECT_EQ(*off.restored_setting, "off");
  EXPECT_EQ(stored_setting(db.name()), "off");
  SqlConnection check(db.url());
  EXPECT_EQ(check.one("SHOW work_mem"), "8MB");
  EXPECT_EQ(check.one("SELECT count(*) FROM dbsafe.maintenance_window"), "0");
}

TEST(Maintenance, ASettingMadeByHandIsPutBack) {
  TestDatabase db;
  {
    SqlConnection admin(dbsafe::testing::server_url());
    admin.one("ALTER DATABASE \"" + db.name() + "\" SET default_transaction_read_only = true");
  }
  auto on = window(db.url(), MaintenanceAction::On);
  EXPECT_TRUE(on.changed);
  ASSERT_TRUE(on.previous_setting.has_value());
  EXPECT_EQ(*on.previous_setting, "true");
  EXPECT_FALSE(on.warnings.empty());
  auto off = window(db.url(), MaintenanceAction::Off);
  EXPECT_TRUE(off.read_only);  // it was read-only before dbsafe's window, and is again
  EXPECT_EQ(stored_setting(db.name()), "true");
}

TEST(Maintenance, QuotesTheDatabaseName) {
  const std::string name =
      "dbsafe maint \"q\" it's " + std::to_string(::getpid()) + "_" + std::to_string(::rand());
  const std::string server = dbsafe::testing::server_url();
  SqlConnection admin(server);
  char *quoted = PQescapeIdentifier(admin.get(), name.c_str(), name.size());
  const std::string ident = quoted;
  PQfreemem(quoted);
  admin.one("CREATE DATABASE " + ident + " TEMPLATE template0");
  struct Drop {
    SqlConnection &admin;
    std::string ident;
    ~Drop() {
      try {
        admin.one("DROP DATABASE IF EXISTS " + ident + " WITH (FORCE)");
      } catch (...) {
      }
    }
  } drop{admin, ident};
  const std::string url =
      dbsafe::pg::with_database(dbsafe::pg::parse_target(server).conninfo, name);
  auto on = window(url, MaintenanceAction::On);
  EXPECT_EQ(on.database, name);
  EXPECT_EQ(stored_setting(name), "on");
  SqlConnection plain(url);
  EXPECT_EQ(sqlstate_of(plain.get(), "CREATE TABLE x (id int)"), "25006");
  auto off = window(url, MaintenanceAction::Off);
  EXPECT_EQ(stored_setting(name), std::nullopt);
  EXPECT_FALSE(off.read_only);
}

TEST(Maintenance, ARoleWithoutRightsIsToldWhy) {
  TestDatabase db;
  const std::string role = "dbsafe_maint_" + std::to_string(::getpid());
  const std::string server = dbsafe::testing::server_url();
  SqlConnection admin(server);
  admin.one("CREATE ROLE " + role + " LOGIN");
  struct DropRole {
    SqlConnection &admin;
    std::string role;
    std::string database;
    ~DropRole() {
      try {
        admin.one("DROP DATABASE IF EXISTS \"" + database + "\" WITH (FORCE)");
        admin.one("DROP ROLE IF EXISTS " + role);
      } catch (...) {
      }
    }
  } cleanup{admin, role, db.name()};
  const std::string as_role =
      dbsafe::pg::with_database(dbsafe::pg::parse_target(db.url()).conninfo, db.name()) +
      " user=" + role;
  try {
    window(as_role, MaintenanceAction::On);
    FAIL() << "a role that does not own the database opened the window";
  } catch (const dbsafe::Error &e) {
    EXPECT_EQ(e.code(), dbsafe::ErrorCode::Database);
    EXPECT_EQ(e.sqlstate(), "42501");
    EXPECT_NE(e.message().find("only its owner"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("or a superuser"), std::string::npos) << e.message();
  }
  EXPECT_EQ(stored_setting(db.name()), std::nullopt);

  // The owner may open it, but not end a superuser's session.
  admin.one("ALTER DATABASE \"" + db.name() + "\" OWNER TO " + role);
  admin.one("GRANT CREATE ON DATABASE \"" + db.name() + "\" TO " + role);
  SqlConnection superuser_session(db.url());
  auto on = window(as_role, MaintenanceAction::On, true);
  const auto *w = writer(on, PQbackendPID(superuser_session.get()));
  ASSERT_NE(w, nullptr) << on.to_json();
  EXPECT_EQ(w->outcome, "not_terminated");
  EXPECT_NE(w->error.find("42501"), std::string::npos) << w->error;
  EXPECT_GE(on.not_terminated, 1u);
  EXPECT_EQ(sqlstate_of(superuser_session.get(), "SELECT 1"), "");
  window(as_role, MaintenanceAction::Off);
}

// ---- dbsafe restore --maintenance (lib/deploy/restore.cpp) ----

// A target on the local provider, deployed once: its rotating snapshot
// (taken before the first apply) holds the empty database. Every snapshot
// and branch the provider made is removed at the end.
struct Restorable {
  TestDatabase db;
  TempDir dir;
  dbsafe::DeployTarget target;

  Restorable() {
    dir.write("m/migration_lock.toml", "provider = \"postgresql\"\n");
    dir.write("m/20240101000000_init/migration.sql", "CREATE TABLE item (id int PRIMARY KEY);\n");
    target.name = "test";
    target.database_url = db.url();
    target.direct_url_env = "DBSAFE_TEST_UNSET_DIRECT_URL";
    target.migrations = dir.str() + "/m";
    target.provider = "local";
    target.provider_options.kind = "local";
    target.audit_file = dir.str() + "/audit.jsonl";
    dbsafe::DeployOptions o;
    o.target_config = target;
    o.actor = "tester";
    o.connect_retry_budget = std::chrono::milliseconds(0);
    EXPECT_EQ(dbsafe::deploy(o).outcome, "deployed");
  }
  ~Restorable() {
    try {
      dbsafe::ProviderOptions o;
      o.kind = "local";
      o.database_url = db.url();
      auto p = dbsafe::Provider::open(o);
      for (const auto &s : p->list_snapshots()) p->delete_snapshot(s.id);
      for (const auto &b : p->list_branches())
        if (!b.is_default) p->delete_branch(b.id);
    } catch (const std::exception &e) {
      ADD_FAILURE() << "cleanup: " << e.what();
    }
  }
  dbsafe::RestoreTargetOptions restore_options() const {
    dbsafe::RestoreTargetOptions o;
    o.target_config = target;
    o.from = "pre-deploy-backup";
    o.confirm = "test";
    o.actor = "tester";
    o.reapply = true;
    o.maintenance = true;
    o.connect_retry_budget = std::chrono::milliseconds(0);
    return o;
  }
  std::string per_database_settings() {
    SqlConnection c(db.url());
    return c.one(
        "SELECT count(*) FROM pg_db_role_setting WHERE setrole = 0 AND setdatabase = (SELECT "
        "oid FROM pg_database WHERE datname = current_database())");
  }
};

const dbsafe::DeployStep *find_step(const dbsafe::DeployReport &r, const std::string &name) {
  for (const auto &s : r.steps)
    if (s.name == name) return &s;
  return nullptr;
}

TEST(MaintenanceRestore, HoldsTheRestoredDatabaseReadOnlyWhileReapplying) {
  Restorable p;
  // The migration records the per-database setting it ran under.
  p.dir.write("m/20240201000000_probe/migration.sql",
              "CREATE TABLE probe AS SELECT array_to_string(setconfig, ',') AS setting FROM "
              "pg_db_role_setting WHERE setrole = 0 AND setdatabase = (SELECT oid FROM "
              "pg_database WHERE datname = current_database());\n");
  auto r = dbsafe::restore_target(p.restore_options());
  EXPECT_EQ(r.outcome, "restored") << r.to_text();
  ASSERT_NE(find_step(r, "maintenance-on"), nullptr) << r.to_text();
  EXPECT_EQ(find_step(r, "maintenance-on")->status, "ok") << r.to_text();
  ASSERT_NE(find_step(r, "maintenance-off"), nullptr) << r.to_text();
  EXPECT_EQ(find_step(r, "maintenance-off")->status, "ok") << r.to_text();
  EXPECT_NE(find_step(r, "maintenance-off")->detail.find("writable again"), std::string::npos);
  EXPECT_EQ(r.applied.size(), 2u) << r.to_text();
  SqlConnection c(p.db.url());
  EXPECT_EQ(c.one("SELECT setting FROM probe"), "default_transaction_read_only=on");
  EXPECT_EQ(p.per_database_settings(), "0");
  EXPECT_EQ(c.one("SHOW default_transaction_read_only"), "off");
  EXPECT_NE(r.to_json().find("\"maintenance-on\""), std::string::npos);
}

TEST(MaintenanceRestore, TheWindowClosesWhenReapplyingFails) {
  Restorable p;
  p.dir.write("m/20240201000000_broken/migration.sql",
              "ALTER TABLE no_such_table ADD COLUMN x int;\n");
  try {
    dbsafe::restore_target(p.restore_options());
    ADD_FAILURE() << "a broken migration was re-applied";
  } catch (const dbsafe::Error &e) {
    const auto &detail = e.detail_json();
    EXPECT_NE(detail.find("\"name\":\"maintenance-on\",\"status\":\"ok\""), std::string::npos)
        << detail;
    EXPECT_NE(detail.find("\"name\":\"maintenance-off\",\"status\":\"ok\""), std::string::npos)
        << detail;
  }
  EXPECT_EQ(p.per_database_settings(), "0");
}

}  // namespace
