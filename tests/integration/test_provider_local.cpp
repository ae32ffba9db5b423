// The local provider against a real server: snapshots are database copies,
// a restore swaps databases by rename, and real rows come back.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

#include "dbsafe/provider.hpp"
#include "provider/policy.hpp"
#include "support/pg_test_env.hpp"
#include "support/sql_connection.hpp"

namespace {

using namespace dbsafe;
using dbsafe::testing::server_url;
using dbsafe::testing::TestDatabase;
using dbsafe::testing::url_for_database;

using Conn = dbsafe::testing::SqlConnection;

CreateSnapshotOptions snapshot_named(const std::string &name) {
  CreateSnapshotOptions o;
  o.name = name;
  return o;
}

CreateBranchOptions branch_named(const std::string &name,
                                 std::optional<std::string> expires_at = std::nullopt) {
  CreateBranchOptions o;
  o.name = name;
  o.expires_at = std::move(expires_at);
  return o;
}

RestoreOptions preserving(const std::string &name) {
  RestoreOptions o;
  o.preserve_under_name = name;
  return o;
}

std::string value_in(const std::string &url) {
  return Conn(url).one("SELECT v FROM t");
}

bool database_exists(const std::string &name) {
  return Conn(server_url())
             .one("SELECT count(*) FROM pg_database WHERE datname = '" + name + "'") == "1";
}

// A source database with one row, and a provider on it; every copy the
// provider made is dropped at the end.
struct Fixture {
  TestDatabase db;
  ProviderOptions options;
  std::unique_ptr<Provider> provider;

  explicit Fixture(const std::string &method = "template", bool terminate = false) {
    Conn(db.url()).one("CREATE TABLE t (v text); INSERT INTO t VALUES ('before')");
    options.kind = "local";
    options.database_url = db.url();
    options.local_method = method;
    options.terminate_blockers = terminate;
    provider = Provider::open(options);
  }
  ~Fixture() {
    try {
      Conn admin(server_url());
      admin.one("UPDATE dbsafe.snapshots SET protected = false WHERE source_database = '" +
                db.name() + "'");
      for (const auto &s : provider->list_snapshots()) provider->delete_snapshot(s.id);
      for (const auto &b : provider->list_branches())
        if (!b.is_default) provider->delete_branch(b.id);
    } catch (const std::exception &e) {
      ADD_FAILURE() << "cleanup: " << e.what();
    }
  }
  void set(const std::string &v) { Conn(db.url()).one("UPDATE t SET v = '" + v + "'"); }
};

TEST(ProviderLocal, TemplateSnapshotRestoreBringsTheRowBack) {
  Fixture f;
  auto snap = f.provider->create_snapshot(snapshot_named("pre-deploy-backup"));
  EXPECT_EQ(snap.name, "pre-deploy-backup");
  EXPECT_EQ(snap.source_branch_id, f.db.name());
  EXPECT_FALSE(snap.created_at.empty());
  f.set("after");

  auto result = f.provider->restore_snapshot("pre-deploy-backup", {});
  EXPECT_EQ(result.branch.name, f.db.name());
  EXPECT_TRUE(result.branch.is_default);
  EXPECT_EQ(value_in(f.db.url()), "before");  // same name, old row back
  ASSERT_FALSE(result.replaced_by.empty());
  EXPECT_TRUE(database_exists(result.replaced_by));
  EXPECT_EQ(value_in(url_for_database(server_url(), result.replaced_by)), "after");

  // The snapshot stays reusable, and the replaced data is an "(old" branch.
  ASSERT_TRUE(f.provider->find_snapshot(snap.id));
  f.set("again");
  f.provider->restore_snapshot(snap.id, preserving(f.db.name().substr(0, 40) + "_x"));
  EXPECT_EQ(value_in(f.db.url()), "before");
  int old_branches = 0;
  for (const auto &b : f.provider->list_branches())
    if (b.name.find(" (old ") != std::string::npos) ++old_branches;
  EXPECT_EQ(old_branches, 1);
  EXPECT_TRUE(f.provider->find_branch(f.db.name().substr(0, 40) + "_x"));
  EXPECT_EQ(f.provider->list_branches().size(), 3u);
}

TEST(ProviderLocal, DumpSnapshotWorksWithSessionsOpen) {
  Fixture f("dump");
  {
    Conn session(f.db.url());
    auto snap = f.provider->create_snapshot(snapshot_named("dumped"));
    EXPECT_EQ(snap.name, "dumped");
    session.one("UPDATE t SET v = 'after'");
  }
  f.provider->restore_snapshot("dumped", {});
  EXPECT_EQ(value_in(f.db.url()), "before");
}

TEST(ProviderLocal, BlockersAreNamedThenTerminated) {
  Fixture f;
  Conn blocker(f.db.url() + (f.db.url().find('?') == std::string::npos ? "?" : "&") +
               "application_name=blocker-app");
  std::string pid = blocker.one("SELECT pg_backend_pid()");
  try {
    f.provider->create_snapshot(snapshot_named("blocked"));
    FAIL() << "expected the session to block the TEMPLATE copy";
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::State);
    EXPECT_NE(e.message().find("pid " + pid), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("blocker-app"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("terminate_blockers"), std::string::npos) << e.message();
  }
  EXPECT_TRUE(f.provider->list_snapshots().empty());

  auto options = f.options;
  options.terminate_blockers = true;
  auto terminating = Provider::open(options);
  auto snap = terminating->create_snapshot(snapshot_named("unblocked"));
  EXPECT_EQ(snap.name, "unblocked");
  std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(blocker.get(), "SELECT 1"), PQclear);
  EXPECT_NE(PQresultStatus(r.get()), PGRES_TUPLES_OK) << "the blocker was terminated";

  // A restore needs the source free of sessions too: refused with the names
  // and nothing changed (no copy left behind), then done by terminating.
  f.set("after");
  Conn second(f.db.url() + (f.db.url().find('?') == std::string::npos ? "?" : "&") +
              "application_name=second-blocker");
  try {
    f.provider->restore_snapshot("unblocked", {});
    FAIL() << "expected the session to block the restore";
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::State);
    EXPECT_NE(e.message().find("second-blocker"), std::string::npos) << e.message();
  }
  EXPECT_EQ(second.one("SELECT v FROM t"), "after");
  // No copy of this test's restore is left (other tests restore in parallel).
  EXPECT_EQ(Conn(server_url())
                .one("SELECT count(*) FROM pg_database WHERE datname LIKE 'dbsafe_restore_" +
                     f.db.name().substr(0, 30) + "%'"),
            "0");
  auto restored = terminating->restore_snapshot("unblocked", {});
  EXPECT_EQ(value_in(f.db.url()), "before");
  EXPECT_EQ(value_in(url_for_database(server_url(), restored.replaced_by)), "after");
}

// Runs in a child process (a death test re-executes this binary) with the
// failpoint between the two renames armed. Returns 0 when nothing was lost.
int restore_interrupted_between_renames() {
  Fixture f;
  f.provider->create_snapshot(snapshot_named("snap"));
  f.set("after");
  try {
    f.provider->restore_snapshot("snap", {});
    std::fprintf(stderr, "restore did not fail\n");
    return 2;
  } catch (const Error &e) {
    if (e.code() != ErrorCode::State ||
        e.message().find("back under its name") == std::string::npos) {
      std::fprintf(stderr, "unexpected error: %s\n", e.message().c_str());
      return 3;
    }
  }
  if (value_in(f.db.url()) != "after") return 4;  // the source, unchanged, under its name
  Conn admin(server_url());
  // Only this test's databases: other tests restore in parallel.
  if (admin.one("SELECT count(*) FROM pg_database WHERE datname LIKE '" + f.db.name() +
                "_old_%' OR datname LIKE 'dbsafe_restore_" + f.db.name().substr(0, 30) + "%'") !=
      "0")
    return 5;  // no half-made database left behind
  if (!f.provider->find_snapshot("snap")) return 6;
  return 0;
}

// Both the second rename and the rename back fail: the error names the
// database that holds the original data and the statement that puts it back.
int restore_and_rename_back_interrupted() {
  Fixture f;
  f.provider->create_snapshot(snapshot_named("snap"));
  f.set("after");
  std::string message;
  try {
    f.provider->restore_snapshot("snap", {});
    return 2;
  } catch (const Error &e) {
    message = e.message();
    if (e.code() != ErrorCode::State) return 3;
  }
  const std::string kept = f.db.name() + "_old_";
  auto at = message.find("intact in database \"" + kept);
  if (at == std::string::npos) {
    std::fprintf(stderr, "unexpected error: %s\n", message.c_str());
    return 4;
  }
  auto start = message.find('"', at) + 1;
  std::string old_db = message.substr(start, message.find('"', start) - start);
  if (message.find("ALTER DATABASE \"" + old_db + "\" RENAME TO \"" + f.db.name() + "\"") ==
      std::string::npos)
    return 5;
  if (value_in(url_for_database(server_url(), old_db)) != "after") return 6;
  // Following the message puts everything back.
  Conn(server_url()).one("ALTER DATABASE \"" + old_db + "\" RENAME TO \"" + f.db.name() + "\"");
  if (value_in(f.db.url()) != "after") return 7;
  auto copy_at = message.rfind("\"dbsafe_restore_") + 1;
  std::string copy = message.substr(copy_at, message.find('"', copy_at) - copy_at);
  Conn(server_url()).one("DROP DATABASE IF EXISTS \"" + copy + "\"");
  return 0;
}

TEST(ProviderLocal, FailedRenameBackNamesWhereTheDataIs) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ::setenv("DBSAFE_FAILPOINTS",
           "provider.local.restore.between_renames,provider.local.restore.rename_back", 1);
  EXPECT_EXIT(std::exit(restore_and_rename_back_interrupted()), ::testing::ExitedWithCode(0), "");
  ::unsetenv("DBSAFE_FAILPOINTS");
}

TEST(ProviderLocal, FailureBetweenRenamesLosesNothing) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ::setenv("DBSAFE_FAILPOINTS", "provider.local.restore.between_renames", 1);
  EXPECT_EXIT(std::exit(restore_interrupted_between_renames()), ::testing::ExitedWithCode(0), "");
  ::unsetenv("DBSAFE_FAILPOINTS");
}

// A role that may only create databases, whose login needs its password:
// pg_dump and pg_restore get the password from their environment (it is on
// no command line), and the registry an administrator made is used as it is.
TEST(ProviderLocal, PasswordRoleDumpAndRestore) {
  const std::string server = server_url();
  const std::string user_part = "://dbsafe@";
  if (server.find(user_part) == std::string::npos)
    GTEST_SKIP() << "needs the throwaway cluster's dbsafe superuser URL";
  Conn admin(server);
  // test_migrate.cpp makes the same role with the same password.
  try {
    admin.one("CREATE ROLE dbsafe_pw LOGIN PASSWORD 'the-right-pw'");
  } catch (const std::exception &) {  // made by an earlier or parallel test
  }
  admin.one("ALTER ROLE dbsafe_pw LOGIN CREATEDB PASSWORD 'the-right-pw'");
  {
    // The registry exists (the superuser's provider makes it on first use).
    TestDatabase any;
    ProviderOptions options;
    options.kind = "local";
    options.database_url = any.url();
    Provider::open(options)->list_snapshots();
  }
  admin.one("GRANT USAGE ON SCHEMA dbsafe TO dbsafe_pw");
  admin.one("GRANT SELECT, INSERT, UPDATE, DELETE ON dbsafe.snapshots TO dbsafe_pw");
  const std::string db = "dbsafe_pw_src_" + std::to_string(::getpid());
  admin.one("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
  admin.one("CREATE DATABASE " + db + " OWNER dbsafe_pw");
  std::string url = url_for_database(server, db);
  url.replace(url.find(user_part), user_part.size(), "://dbsafe_pw:the-right-pw@");
  Conn(url).one("CREATE TABLE t (v text); INSERT INTO t VALUES ('before')");
  {
    ProviderOptions options;
    options.kind = "local";
    options.database_url = url;
    options.local_method = "dump";
    auto provider = Provider::open(options);
    provider->create_snapshot(snapshot_named("pw"));
    Conn(url).one("UPDATE t SET v = 'after'");
    auto result = provider->restore_snapshot("pw", {});
    EXPECT_EQ(value_in(url), "before");
    for (const auto &s : provider->list_snapshots()) provider->delete_snapshot(s.id);
    for (const auto &b : provider->list_branches())
      if (!b.is_default) provider->delete_branch(b.id);
    EXPECT_FALSE(database_exists(result.replaced_by));
  }
  admin.one("DROP DATABASE " + db + " WITH (FORCE)");
}

TEST(ProviderLocal, ListFindDeleteAndRefusals) {
  Fixture f;
  auto first = f.provider->create_snapshot(snapshot_named("same"));
  auto second = f.provider->create_snapshot(snapshot_named("same"));
  EXPECT_NE(first.id, second.id);
  EXPECT_EQ(f.provider->list_snapshots().size(), 2u);
  EXPECT_EQ(f.provider->find_snapshot("same")->id, second.id) << "the newest of a name";
  EXPECT_FALSE(f.provider->find_snapshot("nope"));
  f.provider->delete_snapshot(second.id);
  EXPECT_EQ(f.provider->find_snapshot("same")->id, first.id);

  Conn(server_url())
      .one("UPDATE dbsafe.snapshots SET protected = true WHERE id = '" + first.id + "'");
  try {
    f.provider->delete_snapshot(first.id);
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::State);
  }
  try {
    f.provider->delete_branch(f.db.name());
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::State);
  }
  try {
    f.provider->restore_branch(f.db.name(), "2026-01-01T00:00:00Z", "");
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Invalid);
    EXPECT_NE(e.message().find("WAL"), std::string::npos);
  }
  EXPECT_THROW(f.provider->delete_snapshot("nope"), Error);

  // A branch is a copy to connect to.
  auto branch = f.provider->create_branch(branch_named("feature/x"));
  EXPECT_EQ(branch.parent_id, f.db.name());
  EXPECT_THROW(f.provider->create_branch(branch_named("feature/x")), Error);
  auto url = f.provider->connection_url("feature/x", false);
  EXPECT_EQ(url, f.provider->connection_url("feature/x", true));
  EXPECT_EQ(value_in(url), "before");
  EXPECT_EQ(f.provider->connection_url(f.db.name(), false), f.db.url());
  f.provider->delete_branch("feature/x");
  EXPECT_FALSE(f.provider->find_branch("feature/x"));
  EXPECT_EQ(f.provider->default_branch().name, f.db.name());
}

TEST(ProviderLocal, RotateRetentionAndPrune) {
  Fixture f;
  auto first = rotate_snapshot(*f.provider);
  auto second = rotate_snapshot(*f.provider);
  ASSERT_TRUE(second.replaced);
  EXPECT_EQ(second.replaced->id, first.snapshot.id);
  ASSERT_EQ(f.provider->list_snapshots().size(), 1u);
  EXPECT_EQ(provider::find_backup(*f.provider, "pre-deploy-backup")->id, second.snapshot.id);

  for (const char *name : {"daily-1", "daily-2", "daily-3"})
    f.provider->create_snapshot(snapshot_named(name));
  RetentionPolicy policy;
  policy.name_prefix = "daily-";
  policy.keep_last = 1;
  auto pruned = apply_snapshot_retention(*f.provider, policy);
  EXPECT_EQ(pruned.deleted, (std::vector<std::string>{"daily-2", "daily-1"}));
  EXPECT_EQ(f.provider->list_snapshots().size(), 2u);

  f.provider->restore_snapshot("pre-deploy-backup", {});
  f.provider->create_branch(branch_named("preview-1", "2001-01-01T00:00:00Z"));
  f.provider->create_branch(branch_named("keep-me"));
  BranchPruneOptions prune;
  auto report = prune_branches(*f.provider, prune);
  ASSERT_EQ(report.deleted.size(), 2u);  // newest first
  EXPECT_EQ(report.deleted[0], "preview-1");
  EXPECT_NE(report.deleted[1].find(" (old "), std::string::npos);
  auto left = f.provider->list_branches();
  ASSERT_EQ(left.size(), 2u);
  EXPECT_TRUE(left[0].is_default);
  EXPECT_EQ(left[1].name, "keep-me");
  EXPECT_EQ(value_in(f.db.url()), "before");
}

}  // namespace
