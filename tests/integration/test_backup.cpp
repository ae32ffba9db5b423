// dbsafe backup against a real server: pg_dump files with manifests, damage
// found by the checks, test restores into throwaway databases, guarded
// restores that leave nothing half-done, retention.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "backup/programs.hpp"
#include "dbsafe/backup.hpp"
#include "dbsafe/source.hpp"
#include "support/pg_test_env.hpp"
#include "support/sql_connection.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace dbsafe;
using dbsafe::testing::read_file;
using dbsafe::testing::server_url;
using dbsafe::testing::TempDir;
using dbsafe::testing::TestDatabase;
using Conn = dbsafe::testing::SqlConnection;
namespace fs = std::filesystem;

constexpr const char *kCanary = "canary-Pw-7f3a91";

// The URL with a password in it, so every test also proves it never leaks
// (the throwaway server trusts local connections and ignores it).
std::string with_password(const std::string &url) {
  auto scheme = url.find("://");
  auto at = url.find('@', scheme);
  if (scheme == std::string::npos || at == std::string::npos) return url;
  return url.substr(0, at) + ":" + kCanary + url.substr(at);
}

void fill(const std::string &url) {
  Conn(url).one(
      "CREATE TABLE customer (id int PRIMARY KEY, name text NOT NULL);"
      "CREATE TABLE orders (id serial PRIMARY KEY, customer_id int REFERENCES customer(id),"
      " total numeric(10,2));"
      "INSERT INTO customer SELECT g, 'name ' || g FROM generate_series(1, 500) g;"
      "INSERT INTO orders (customer_id, total) SELECT 1 + g % 500, g * 1.25 FROM "
      "generate_series(1, 2000) g;"
      "CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100");
}

std::string fingerprint(const std::string &url) {
  return Conn(url).one(
      "SELECT (SELECT count(*) FROM customer) || '/' || (SELECT count(*) FROM orders) || '/' || "
      "(SELECT md5(string_agg(id || name, ',' ORDER BY id)) FROM customer) || '/' || "
      "(SELECT sum(total) FROM orders)");
}

std::vector<std::string> logs;

CallOptions logging() {
  CallOptions call;
  call.log = [](LogLevel, std::string_view, std::string_view m) { logs.emplace_back(m); };
  return call;
}

void expect_no_secret(const std::string &text) {
  EXPECT_EQ(text.find(kCanary), std::string::npos) << text;
}

BackupCreateReport make(const std::string &url, const std::string &dir,
                        const std::string &format = "custom", const std::string &name = "") {
  BackupCreateOptions o;
  o.database_url = with_password(url);
  o.dir = dir;
  o.format = format;
  o.name = name;
  return create_backup(o, logging());
}

bool check_ok(const BackupVerifyReport &r, const std::string &name) {
  for (const auto &c : r.checks)
    if (c.name == name) return c.ok;
  ADD_FAILURE() << "no check " << name << " in " << r.to_json();
  return false;
}

BackupRestoreReport restore(const std::string &file, const std::string &url,
                            const std::string &confirm, bool clean = false) {
  BackupRestoreOptions o;
  o.file = file;
  o.database_url = with_password(url);
  o.confirm = confirm;
  o.clean = clean;
  return restore_backup(o, logging());
}

class Backup : public ::testing::TestWithParam<std::string> {};

TEST_P(Backup, CreateVerifyRestoreRoundTrip) {
  TestDatabase source, target;
  fill(source.url());
  TempDir dir;
  auto created = make(source.url(), dir.str(), GetParam());
  EXPECT_TRUE(fs::exists(created.path));
  EXPECT_TRUE(fs::exists(created.manifest_path));
  EXPECT_FALSE(fs::exists(created.path + ".partial"));
  EXPECT_EQ(created.manifest.format, GetParam());
  EXPECT_EQ(created.manifest.database, source.name());
  EXPECT_EQ(created.manifest.tables, 2u);
  EXPECT_EQ(created.manifest.table_data, 2u);
  EXPECT_EQ(created.manifest.bytes, fs::file_size(created.path));
  EXPECT_EQ(created.manifest.sha256.size(), 64u);
  EXPECT_EQ(read_backup_manifest(created.path).sha256, created.manifest.sha256);
  expect_no_secret(read_file(created.manifest_path));
  expect_no_secret(created.to_json());

  BackupVerifyOptions v;
  v.file = created.path;
  auto verified = verify_backup(v);
  EXPECT_TRUE(verified.ok) << verified.to_json();

  auto restored = restore(created.path, target.url(), target.name());
  EXPECT_TRUE(restored.target_was_empty);
  EXPECT_EQ(restored.tables, 2u);
  EXPECT_FALSE(restored.safety_backup);
  EXPECT_EQ(fingerprint(target.url()), fingerprint(source.url()));
  EXPECT_EQ(Conn(target.url()).one("SELECT count(*) FROM big_orders"),
            Conn(source.url()).one("SELECT count(*) FROM big_orders"));
  expect_no_secret(restored.to_json());
  for (const auto &line : logs) expect_no_secret(line);
}

TEST_P(Backup, TestRestoreIntoATemporaryDatabaseCountsRowsAndDropsIt) {
  TestDatabase source;
  fill(source.url());
  TempDir dir;
  auto created = make(source.url(), dir.str(), GetParam());
  BackupVerifyOptions v;
  v.dir = dir.str();  // the newest there
  v.test_restore = true;
  v.server_url = server_url();
  auto r = verify_backup(v);
  ASSERT_TRUE(r.ok) << r.to_json();
  ASSERT_TRUE(r.test_restore);
  EXPECT_EQ(r.test_restore->tables, 2u);
  EXPECT_EQ(r.test_restore->rows, 2500u);
  // "temporary database dbsafe_shadow_… on the target's server", dropped
  // since (by name: other tests create databases on this server meanwhile).
  const std::string &where = r.test_restore->where;
  auto at = where.find("dbsafe_shadow_");
  ASSERT_NE(at, std::string::npos) << where;
  std::string name = where.substr(at, where.find(' ', at) - at);
  EXPECT_EQ(
      Conn(server_url()).one("SELECT count(*) FROM pg_database WHERE datname = '" + name + "'"),
      "0");
}

INSTANTIATE_TEST_SUITE_P(Formats, Backup, ::testing::Values("custom", "plain-gz"));

TEST(BackupTestRestore, IntoAThrowawayClusterWhenNoServerIsGiven) {
  TestDatabase source;
  fill(source.url());
  // Owners and grants to a role the throwaway cluster does not have.
  Conn(source.url())
      .one(
          "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'backup_reader') "
          "THEN CREATE ROLE backup_reader; END IF; END$$;"
          "GRANT SELECT ON customer TO backup_reader");
  TempDir dir;
  auto created = make(source.url(), dir.str(), "plain-gz");
  BackupVerifyOptions v;
  v.file = created.path;
  v.test_restore = true;
  auto r = verify_backup(v);
  ASSERT_TRUE(r.ok) << r.to_json();
  EXPECT_NE(r.test_restore->where.find("throwaway cluster"), std::string::npos);
  EXPECT_EQ(r.test_restore->rows, 2500u);
}

TEST(BackupVerify, ACorruptedByteIsFoundBySha256) {
  TestDatabase source;
  fill(source.url());
  TempDir dir;
  auto created = make(source.url(), dir.str());
  {
    std::fstream f(created.path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(created.manifest.bytes / 2));
    char c;
    f.read(&c, 1);
    f.seekp(static_cast<std::streamoff>(created.manifest.bytes / 2));
    c = static_cast<char>(c ^ 0x5a);
    f.write(&c, 1);
  }
  BackupVerifyOptions v;
  v.file = created.path;
  v.test_restore = true;
  auto r = verify_backup(v);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(check_ok(r, "size"));
  EXPECT_FALSE(check_ok(r, "sha256"));
  EXPECT_FALSE(check_ok(r, "test_restore"));  // not tried on a damaged file
  EXPECT_FALSE(r.test_restore);

  // And restore refuses it, changing nothing.
  TestDatabase target;
  try {
    restore(created.path, target.url(), target.name());
    FAIL() << "restored a damaged backup";
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::State);
    EXPECT_NE(e.message().find("sha256"), std::string::npos) << e.message();
  }
  EXPECT_EQ(Conn(target.url()).one("SELECT count(*) FROM pg_class WHERE relname = 'customer'"),
            "0");
}

TEST(BackupVerify, ATruncatedArchiveIsFoundByPgRestore) {
  TestDatabase source;
  fill(source.url());
  TempDir dir;
  auto created = make(source.url(), dir.str());
  fs::resize_file(created.path, created.manifest.bytes / 2);
  BackupVerifyOptions v;
  v.file = created.path;
  auto r = verify_backup(v);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(check_ok(r, "size"));
  // The table of contents is at the start and still lists; reading the data
  // blocks to the end is what fails.
  EXPECT_FALSE(check_ok(r, "read")) << r.to_json();
  fs::resize_file(created.path, 40);
  r = verify_backup(v);
  EXPECT_FALSE(check_ok(r, "toc")) << r.to_json();
}

TEST(BackupVerify, ATruncatedPlainDumpIsFoundByGzip) {
  TestDatabase source;
  fill(source.url());
  TempDir dir;
  auto created = make(source.url(), dir.str(), "plain-gz");
  fs::resize_file(created.path, created.manifest.bytes - 20);
  BackupVerifyOptions v;
  v.file = created.path;
  auto r = verify_backup(v);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(check_ok(r, "gzip")) << r.to_json();
}

TEST(BackupVerify, AFileWithoutAManifestIsNotABackup) {
  TempDir dir;
  auto file = dir.write("stray.dump", "PGDMP not really");
  BackupVerifyOptions v;
  v.file = file.string();
  try {
    verify_backup(v);
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::NotFound);
    EXPECT_NE(e.message().find("no manifest"), std::string::npos) << e.message();
  }
}

TEST(BackupRestore, RefusedWithoutTheTargetsNameAndIntoANonEmptyDatabase) {
  TestDatabase source, target;
  fill(source.url());
  TempDir dir;
  auto created = make(source.url(), dir.str());
  for (const std::string confirm : {"", "someone-else"}) {
    try {
      restore(created.path, target.url(), confirm);
      FAIL() << "restored without confirmation";
    } catch (const Error &e) {
      EXPECT_EQ(e.code(), ErrorCode::Invalid);
      EXPECT_NE(e.message().find(target.name()), std::string::npos) << e.message();
    }
  }
  Conn(target.url()).one("CREATE TABLE keep_me (v text); INSERT INTO keep_me VALUES ('mine')");
  try {
    restore(created.path, target.url(), target.name());
    FAIL() << "restored into a database that holds tables";
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::State);
    EXPECT_NE(e.message().find("--clean"), std::string::npos) << e.message();
  }
  EXPECT_EQ(Conn(target.url()).one("SELECT count(*) FROM pg_class WHERE relname = 'customer'"),
            "0");

  // --clean: a safety backup of the target first, then the restore.
  auto r = restore(created.path, target.url(), target.name(), true);
  ASSERT_TRUE(r.safety_backup);
  EXPECT_FALSE(r.target_was_empty);
  EXPECT_TRUE(fs::exists(r.safety_backup->path));
  EXPECT_EQ(r.safety_backup->manifest.tables, 1u);  // keep_me
  EXPECT_EQ(fingerprint(target.url()), fingerprint(source.url()));
  EXPECT_EQ(Conn(target.url()).one("SELECT v FROM keep_me"), "mine");
}

TEST(BackupRestore, AFailingRestoreLeavesTheTargetUnchanged) {
  for (const std::string format : {"custom", "plain-gz"}) {
    TestDatabase source, target;
    fill(source.url());
    // An owner the server no longer has fails the restore after the first
    // table and its rows went in.
    Conn(source.url()).one("CREATE ROLE dbsafe_gone_owner_x");
    Conn(source.url()).one("ALTER TABLE orders OWNER TO dbsafe_gone_owner_x");
    TempDir dir;
    auto created = make(source.url(), dir.str(), format);
    Conn(source.url()).one("ALTER TABLE orders OWNER TO CURRENT_USER");
    Conn(server_url()).one("DROP ROLE dbsafe_gone_owner_x");
    try {
      restore(created.path, target.url(), target.name());
      FAIL() << format << ": the restore should fail on the missing role";
    } catch (const Error &e) {
      EXPECT_EQ(e.code(), ErrorCode::Database) << e.message();
      EXPECT_NE(e.message().find("rolled back"), std::string::npos) << e.message();
      EXPECT_NE(e.message().find("dbsafe_gone_owner_x"), std::string::npos) << e.message();
      expect_no_secret(e.message());
      expect_no_secret(e.detail_json());
    }
    EXPECT_EQ(Conn(target.url())
                  .one("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = "
                       "c.relnamespace WHERE n.nspname = 'public'"),
              "0")
        << format;
  }
}

TEST(BackupCreate, PasswordTravelsInTheEnvironmentNotTheCommandLine) {
  TestDatabase source;
  fill(source.url());
  TempDir dir, bin;
  // Wrappers that record what pg_dump and pg_restore were given.
  std::string real = "/usr/lib/postgresql/15/bin";
  for (const char *tool : {"pg_dump", "pg_restore", "psql"}) {
    auto p = bin.write(tool, "#!/bin/sh\necho \"$@\" >> " + bin.str() +
                                 "/argv.log\necho \"$PGPASSWORD\" >> " + bin.str() +
                                 "/env.log\nexec " + real + "/" + tool + " \"$@\"\n");
    fs::permissions(p, fs::perms::owner_all);
  }
  BackupCreateOptions o;
  o.database_url = with_password(source.url());
  o.dir = dir.str();
  o.pg_bindir = bin.str();
  auto r = create_backup(o);
  std::string argv = read_file(bin.path() / "argv.log");
  EXPECT_NE(argv.find("--dbname"), std::string::npos);
  EXPECT_EQ(argv.find(kCanary), std::string::npos) << argv;
  EXPECT_NE(read_file(bin.path() / "env.log").find(kCanary), std::string::npos);
  EXPECT_EQ(r.pg_dump, bin.str() + "/pg_dump");
}

TEST(BackupCreate, NoPgDumpAsNewAsTheServerNamesItsVersion) {
  TestDatabase source;
  TempDir dir, bin;
  auto p = bin.write("pg_dump", "#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n");
  fs::permissions(p, fs::perms::owner_all);
  BackupCreateOptions o;
  o.database_url = source.url();
  o.dir = dir.str();
  o.pg_bindir = bin.str();
  try {
    create_backup(o);
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::NotFound);
    auto server = Conn(source.url()).one("SHOW server_version");
    EXPECT_NE(e.message().find("PostgreSQL " + server.substr(0, server.find(' '))),
              std::string::npos)
        << e.message();
    EXPECT_NE(e.message().find("9.6.24"), std::string::npos) << e.message();
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(BackupCreate, RefusesPoolersExistingNamesAndBadNames) {
  TestDatabase source;
  TempDir dir;
  make(source.url(), dir.str(), "custom", "nightly");
  auto expect_invalid = [&](BackupCreateOptions o, const std::string &needle) {
    try {
      create_backup(o);
      FAIL() << needle;
    } catch (const Error &e) {
      EXPECT_EQ(e.code(), ErrorCode::Invalid);
      EXPECT_NE(e.message().find(needle), std::string::npos) << e.message();
    }
  };
  BackupCreateOptions o;
  o.database_url = source.url();
  o.dir = dir.str();
  o.name = "nightly";
  expect_invalid(o, "never overwritten");
  o.name = "../escape";
  expect_invalid(o, "not a plain file name");
  o.name = "";
  o.database_url =
      source.url() + (source.url().find('?') == std::string::npos ? "?" : "&") + "pgbouncer=true";
  expect_invalid(o, "direct connection");
}

// A backup directory with manifests dated by hand.
void fake_backup(const TempDir &dir, const std::string &file, const std::string &created_at,
                 const std::string &bytes = "data") {
  dir.write(file, bytes);
  BackupManifest m;
  m.file = file;
  m.format = "custom";
  m.bytes = bytes.size();
  m.sha256 = sha256_hex(bytes);
  m.created_at = created_at;
  dir.write(file + ".manifest.json", m.to_json());
}

std::string days_ago(int days) {
  std::time_t t = std::time(nullptr) - days * 86400 - 60;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

TEST(BackupPrune, KeepsTheNewestTheMinimumAndOtherFiles) {
  TempDir dir;
  for (int d : {20, 15, 10, 3, 1})
    fake_backup(dir, "db-" + std::to_string(d) + ".dump", days_ago(d));
  dir.write("someone-elses.dump", "x");
  BackupPruneOptions o;
  o.dir = dir.str();
  o.keep_days = 7;
  o.keep_min = 3;
  o.dry_run = true;
  auto dry = prune_backups(o);
  EXPECT_EQ(dry.deleted, (std::vector<std::string>{"db-15.dump", "db-20.dump"}));
  EXPECT_TRUE(fs::exists(dir.path() / "db-20.dump"));
  o.dry_run = false;
  auto r = prune_backups(o);
  EXPECT_EQ(r.deleted, dry.deleted);
  EXPECT_FALSE(fs::exists(dir.path() / "db-20.dump"));
  EXPECT_FALSE(fs::exists(dir.path() / "db-20.dump.manifest.json"));
  EXPECT_TRUE(fs::exists(dir.path() / "db-10.dump"));  // the third newest
  EXPECT_TRUE(fs::exists(dir.path() / "someone-elses.dump"));

  // keep_days 0 and keep_min 0 still keep the newest.
  o.keep_days = 0;
  o.keep_min = 0;
  r = prune_backups(o);
  EXPECT_EQ(r.deleted, (std::vector<std::string>{"db-3.dump", "db-10.dump"}));
  EXPECT_TRUE(fs::exists(dir.path() / "db-1.dump"));
}

TEST(BackupPrune, NeverDeletesTheNewestIntactBackup) {
  TempDir dir;
  fake_backup(dir, "old.dump", days_ago(30));
  fake_backup(dir, "new.dump", days_ago(1));
  dir.write("new.dump", "damaged");  // no longer matches its manifest
  BackupPruneOptions o;
  o.dir = dir.str();
  o.keep_days = 7;
  auto r = prune_backups(o);
  EXPECT_TRUE(r.deleted.empty()) << r.to_json();
  EXPECT_TRUE(fs::exists(dir.path() / "old.dump"));
}

TEST(BackupPrograms, ChoosesTheOldestAtLeastAsNewAsTheServer) {
  std::vector<backup::Program> found = {
      {"/a/pg_dump", "17.2", 17}, {"/b/pg_dump", "15.6", 15}, {"/c/pg_dump", "16.1", 16}};
  EXPECT_EQ(backup::choose_program(found, "pg_dump", 16, "x").path, "/c/pg_dump");
  EXPECT_EQ(backup::choose_program(found, "pg_dump", 12, "x").path, "/b/pg_dump");
  EXPECT_THROW(backup::choose_program(found, "pg_dump", 18, "x"), Error);
  EXPECT_EQ(backup::version_from_banner("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n"),
            "15.18");
}

}  // namespace
