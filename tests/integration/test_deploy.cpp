// The safe-deploy pipeline against a real server, with the local provider
// (a snapshot is a database copy): the gate, snapshots, a failure after the
// snapshot and its restore, the audit row and line, the webhook, and a
// fault injected at every step through the CLI.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <simdjson.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>

#include "dbsafe/deploy.hpp"
#include "dbsafe/provider.hpp"
#include "support/https_test_server.hpp"
#include "support/pg_test_env.hpp"
#include "support/sql_connection.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace dbsafe;
using dbsafe::testing::server_url;
using dbsafe::testing::TempDir;
using dbsafe::testing::TestDatabase;

using Conn = dbsafe::testing::SqlConnection;

std::string one(const std::string &url, const std::string &sql) {
  return Conn(url).one(sql);
}

std::vector<std::string> lines_of(const std::string &file) {
  std::ifstream in(file);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

std::string field(const std::string &json, const char *key) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc)) return "<bad json>";
  simdjson::dom::element v;
  if (doc[key].get(v)) return "<missing>";
  std::string_view s;
  if (!v.get_string().get(s)) return std::string(s);
  bool b;
  if (!v.get_bool().get(b)) return b ? "true" : "false";
  int64_t i;
  if (!v.get_int64().get(i)) return std::to_string(i);
  return simdjson::to_string(v);
}

const char *kInit =
    "CREATE TABLE \"User\" (id serial PRIMARY KEY, email text NOT NULL, name text);\n";

// A database, a Prisma migration directory and a target on them with the
// local provider. Every snapshot and branch the provider made is removed at
// the end.
struct Project {
  TestDatabase db;
  TempDir dir;
  DeployTarget target;

  Project() {
    dir.write("prisma/migrations/migration_lock.toml", "provider = \"postgresql\"\n");
    add("20240101000000_init", kInit);
    target.name = "test";
    target.database_url = db.url();
    target.direct_url_env = "DBSAFE_TEST_UNSET_DIRECT_URL";
    target.migrations = dir.str() + "/prisma/migrations";
    target.provider = "local";
    target.provider_options.kind = "local";
    target.audit_file = dir.str() + "/.dbsafe/audit.jsonl";
  }
  ~Project() {
    try {
      ProviderOptions o;
      o.kind = "local";
      o.database_url = db.url();
      auto p = Provider::open(o);
      for (const auto &s : p->list_snapshots()) p->delete_snapshot(s.id);
      for (const auto &b : p->list_branches())
        if (!b.is_default) p->delete_branch(b.id);
    } catch (const std::exception &e) {
      ADD_FAILURE() << "cleanup: " << e.what();
    }
  }
  void add(const std::string &name, const std::string &sql) {
    dir.write("prisma/migrations/" + name + "/migration.sql", sql);
  }
  DeployOptions options() const {
    DeployOptions o;
    o.target_config = target;
    o.git_sha = "0123abc";
    o.actor = "tester";
    o.connect_retry_budget = std::chrono::milliseconds(0);
    return o;
  }
  std::string audit_file() const { return target.audit_file; }
};

const DeployStep *find_step(const DeployReport &r, const std::string &name) {
  for (const auto &s : r.steps)
    if (s.name == name) return &s;
  return nullptr;
}

TEST(Deploy, FirstDeployAppliesSnapshotsVerifiesAndAudits) {
  Project p;
  auto r = deploy(p.options());
  EXPECT_EQ(r.outcome, "deployed") << r.to_text();
  EXPECT_EQ(r.exit_code, 0);
  ASSERT_EQ(r.applied.size(), 1u);
  EXPECT_EQ(r.applied[0], "20240101000000_init");
  ASSERT_TRUE(r.snapshot);
  EXPECT_EQ(r.snapshot->name, "pre-deploy-backup");
  ASSERT_TRUE(find_step(r, "verify"));
  EXPECT_EQ(find_step(r, "verify")->status, "ok") << r.to_text();
  EXPECT_EQ(find_step(r, "connect")->status, "ok");
  EXPECT_TRUE(r.audit_row_written);
  EXPECT_TRUE(r.audit_line_written);

  // The row and the line agree.
  auto row_outcome = one(p.db.url(), "SELECT outcome FROM dbsafe.audit WHERE id = '" + r.id + "'");
  EXPECT_EQ(row_outcome, "deployed");
  EXPECT_EQ(one(p.db.url(),
                "SELECT git_sha || ' ' || actor || ' ' || migrations_applied::text "
                "FROM dbsafe.audit"),
            "0123abc tester [\"20240101000000_init\"]");
  EXPECT_EQ(one(p.db.url(), "SELECT step_durations ? 'apply' FROM dbsafe.audit"), "t");
  EXPECT_EQ(one(p.db.url(), "SELECT report->>'outcome' FROM dbsafe.audit"), "deployed");
  auto lines = lines_of(p.audit_file());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(field(lines[0], "id"), r.id);
  EXPECT_EQ(field(lines[0], "outcome"), "deployed");
  EXPECT_EQ(field(lines[0], "row_written"), "true");
  EXPECT_EQ(field(lines[0], "snapshot_id"), r.snapshot->id);
  EXPECT_EQ(one(p.db.url(), "SELECT snapshot_id FROM dbsafe.audit"), r.snapshot->id);

  // Nothing pending: the next deploy has nothing to do and takes no snapshot.
  auto again = deploy(p.options());
  EXPECT_EQ(again.outcome, "up-to-date");
  EXPECT_FALSE(again.snapshot);
  EXPECT_EQ(find_step(again, "snapshot")->status, "skipped");
  EXPECT_EQ(lines_of(p.audit_file()).size(), 2u);
  EXPECT_EQ(one(p.db.url(), "SELECT count(*) FROM dbsafe.audit"), "2");
}

TEST(Deploy, TheGateStopsADataLossMigrationUntilApprovedThenSnapshotsAndApplies) {
  Project p;
  p.target.snapshot = SnapshotMode::Timestamped;
  p.target.snapshot_keep = 2;
  ASSERT_EQ(deploy(p.options()).outcome, "deployed");
  one(p.db.url(), "INSERT INTO \"User\" (email, name) VALUES ('a@x', 'Ann')");
  p.add("20240201000000_drop_name", "ALTER TABLE \"User\" DROP COLUMN name;\n");

  auto stopped = deploy(p.options());
  EXPECT_EQ(stopped.outcome, "stopped") << stopped.to_text();
  EXPECT_EQ(stopped.exit_code, 1);
  EXPECT_EQ(stopped.gate, "needs-approval");
  EXPECT_EQ(stopped.approve_hint, "dbsafe deploy --target test --approve");
  ASSERT_FALSE(stopped.check.findings.empty());
  EXPECT_EQ(stopped.check.findings[0].rule, "drop-column");
  EXPECT_NE(stopped.to_text().find("drop-column"), std::string::npos);
  EXPECT_NE(stopped.to_text().find("--approve"), std::string::npos);
  EXPECT_FALSE(stopped.snapshot);
  EXPECT_TRUE(stopped.applied.empty());
  EXPECT_EQ(one(p.db.url(), "SELECT name FROM \"User\""), "Ann");  // nothing changed
  EXPECT_EQ(one(p.db.url(), "SELECT outcome FROM dbsafe.audit ORDER BY started_at DESC LIMIT 1"),
            "stopped");

  // Two approvers required: one name is not enough.
  p.target.approvals = 2;
  auto o = p.options();
  o.approved_by = {"alice", "alice"};
  EXPECT_EQ(deploy(o).outcome, "stopped");
  o.approved_by = {"alice", "bob"};
  auto done = deploy(o);
  EXPECT_EQ(done.outcome, "deployed") << done.to_text();
  EXPECT_EQ(done.gate, "approved");
  EXPECT_EQ(done.approved_by, (std::vector<std::string>{"alice", "bob"}));
  ASSERT_TRUE(done.snapshot);
  EXPECT_EQ(done.snapshot->name.rfind("pre-migration-", 0), 0u);
  EXPECT_TRUE(done.snapshot->expires_at);
  EXPECT_EQ(done.applied, (std::vector<std::string>{"20240201000000_drop_name"}));
  EXPECT_EQ(one(p.db.url(),
                "SELECT count(*) FROM information_schema.columns WHERE "
                "table_name = 'User' AND column_name = 'name'"),
            "0");
}

TEST(Deploy, BlockOnRefusesEvenWithApproval) {
  Project p;
  p.target.block_on = Level::Error;
  ASSERT_EQ(deploy(p.options()).outcome, "deployed");
  one(p.db.url(), "INSERT INTO \"User\" (email, name) VALUES ('a@x', 'Ann')");
  p.add("20240201000000_drop_name", "ALTER TABLE \"User\" DROP COLUMN name;\n");
  auto o = p.options();
  o.approve = true;
  auto r = deploy(o);
  EXPECT_EQ(r.outcome, "blocked");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(find_step(r, "gate")->status, "blocked");
}

TEST(Deploy, DryRunChangesNothing) {
  Project p;
  auto o = p.options();
  o.dry_run = true;
  auto r = deploy(o);
  EXPECT_EQ(r.outcome, "dry-run") << r.to_text();
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.pending, (std::vector<std::string>{"20240101000000_init"}));
  EXPECT_TRUE(r.applied.empty());
  EXPECT_FALSE(r.snapshot);
  EXPECT_NE(r.message.find("pre-deploy-backup"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("no audit row"), std::string::npos) << r.message;
  EXPECT_EQ(find_step(r, "audit")->status, "skipped");
  EXPECT_EQ(one(p.db.url(), "SELECT count(*) FROM pg_namespace WHERE nspname = 'dbsafe'"), "0");
  EXPECT_EQ(one(p.db.url(), "SELECT to_regclass('public._prisma_migrations') IS NULL"), "t");
  EXPECT_FALSE(std::filesystem::exists(p.audit_file()));
  ProviderOptions po;
  po.kind = "local";
  po.database_url = p.db.url();
  EXPECT_TRUE(Provider::open(po)->list_snapshots().empty());
}

// A deploy whose second migration clobbers data and whose third fails.
struct FailingProject : Project {
  FailingProject() {
    target.approve_on = Level::Off;
    EXPECT_EQ(deploy(options()).outcome, "deployed");
    one(db.url(), "INSERT INTO \"User\" (email) VALUES ('kept@x')");
    add("20240201000000_clobber", "UPDATE \"User\" SET email = 'clobbered';\n");
    add("20240301000000_broken", "SELECT nosuch FROM \"User\";\n");
  }
};

TEST(Deploy, AFailureAfterTheSnapshotNamesTheRestoreCommand) {
  FailingProject p;
  try {
    deploy(p.options());
    FAIL() << "expected the broken migration to fail the deploy";
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Database) << e.message();
    EXPECT_NE(e.message().find("dbsafe snapshot restore "), std::string::npos) << e.message();
    auto detail = e.detail_json();
    EXPECT_EQ(field(detail, "outcome"), "failed");
    EXPECT_EQ(field(detail, "exit_code"), "5");
    std::string cmd = field(detail, "restore_command");
    EXPECT_NE(cmd.find("--provider local"), std::string::npos) << cmd;
    EXPECT_NE(cmd.find("--confirm '" + p.db.name() + "'"), std::string::npos) << cmd;
    EXPECT_NE(detail.find("\"applied\":[\"20240201000000_clobber\"]"), std::string::npos) << detail;
  }
  EXPECT_EQ(one(p.db.url(), "SELECT email FROM \"User\""), "clobbered");
  auto lines = lines_of(p.audit_file());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(field(lines[1], "outcome"), "failed");
  EXPECT_EQ(one(p.db.url(),
                "SELECT outcome FROM dbsafe.audit WHERE id = '" + field(lines[1], "id") + "'"),
            "failed");
}

TEST(Deploy, AutoRestoreBringsTheDataBack) {
  FailingProject p;
  p.target.auto_restore = true;
  try {
    deploy(p.options());
    FAIL() << "expected the broken migration to fail the deploy";
  } catch (const Error &e) {
    EXPECT_EQ(field(e.detail_json(), "outcome"), "restored") << e.detail_json();
    EXPECT_EQ(field(e.detail_json(), "restored"), "true");
    EXPECT_NE(e.message().find("restored from snapshot"), std::string::npos) << e.message();
  }
  EXPECT_EQ(one(p.db.url(), "SELECT email FROM \"User\""), "kept@x");
  // The audit row went into the restored database, beside the first deploy's.
  EXPECT_EQ(one(p.db.url(),
                "SELECT string_agg(outcome, ',' ORDER BY started_at) FROM "
                "dbsafe.audit"),
            "deployed,restored");
  EXPECT_EQ(field(lines_of(p.audit_file()).back(), "outcome"), "restored");
}

TEST(Deploy, APooledUrlWithoutADirectUrlIsRefused) {
  Project p;
  p.target.database_url =
      p.db.url() + (p.db.url().find('?') == std::string::npos ? "?" : "&") + "pgbouncer=true";
  try {
    deploy(p.options());
    FAIL() << "expected the pooled URL to be refused";
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Invalid);
    EXPECT_NE(e.message().find("DBSAFE_TEST_UNSET_DIRECT_URL"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("pooler"), std::string::npos) << e.message();
  }
  EXPECT_EQ(one(p.db.url(), "SELECT to_regclass('public.\"User\"') IS NULL"), "t");
  // With the direct URL set, the same target deploys.
  p.target.direct_url = p.db.url();
  EXPECT_EQ(deploy(p.options()).outcome, "deployed");
}

TEST(Deploy, TheLockHolderIsNamed) {
  Project p;
  Conn holder(p.db.url() + (p.db.url().find('?') == std::string::npos ? "?" : "&") +
              "application_name=other-deploy");
  holder.one("SELECT pg_advisory_lock(72707369)");
  try {
    deploy(p.options());
    FAIL() << "expected the held lock to stop the deploy";
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::State);
    EXPECT_NE(e.message().find("other-deploy"), std::string::npos) << e.message();
  }
}

TEST(Deploy, TheWebhookIsNotifiedAndAFailingOneDoesNotFailTheDeploy) {
  dbsafe::testing::HttpsTestServer hook(nullptr);
  Project p;
  p.target.notify_webhook = hook.url("/services/T0/B0/s3cr3tpath");
  auto r = deploy(p.options());
  EXPECT_EQ(r.outcome, "deployed");
  EXPECT_TRUE(r.notified) << r.to_text();
  auto seen = hook.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/services/T0/B0/s3cr3tpath");
  EXPECT_NE(seen[0].body.find("\"text\":\"dbsafe deploy test: deployed"), std::string::npos)
      << seen[0].body;

  hook.handle([](const dbsafe::testing::SeenRequest &) {
    dbsafe::testing::TestReply reply;
    reply.status = 500;
    reply.body = "no";
    return reply;
  });
  p.add("20240201000000_more", "ALTER TABLE \"User\" ADD COLUMN age int;\n");
  auto r2 = deploy(p.options());
  EXPECT_EQ(r2.outcome, "deployed");
  EXPECT_EQ(r2.exit_code, 0);
  EXPECT_FALSE(r2.notified);
  ASSERT_FALSE(r2.warnings.empty());
  EXPECT_NE(r2.warnings.back().find("notification failed"), std::string::npos);
  EXPECT_EQ(r2.to_json().find("s3cr3tpath"), std::string::npos) << r2.to_json();
}

// ------------------------------------------------------------ through the CLI

struct CliResult {
  int exit_code = -1;
  std::string out;
};

CliResult run_cli(const std::string &args, const std::string &env) {
  std::string cmd = env + " '" + std::string(DBSAFE_CLI_PATH) + "' " + args + " 2>&1";
  CliResult r;
  FILE *pipe = popen(cmd.c_str(), "r");
  if (!pipe) return r;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// A fault at each step: the data is still there, the exit code says what
// happened, and the audit line records it.
TEST(Deploy, AFaultAtEachStepLosesNothingAndIsAudited) {
  struct Case {
    const char *point;
    int exit_code;
    const char *outcome;
  };
  const Case cases[] = {
      {"deploy.connect", 5, "failed"},  {"deploy.plan", 5, "failed"},
      {"deploy.check", 5, "failed"},    {"deploy.gate", 5, "failed"},
      {"deploy.snapshot", 5, "failed"}, {"deploy.apply", 5, "failed"},
      {"deploy.verify", 5, "failed"},   {"deploy.audit_row", 0, "deployed"},
      {"deploy.notify", 0, "deployed"},
  };
  for (const auto &c : cases) {
    SCOPED_TRACE(c.point);
    Project p;
    p.target.approve_on = Level::Off;
    ASSERT_EQ(deploy(p.options()).outcome, "deployed");
    one(p.db.url(), "INSERT INTO \"User\" (email) VALUES ('kept@x')");
    p.add("20240201000000_more", "ALTER TABLE \"User\" ADD COLUMN age int;\n");
    p.dir.write("dbsafe.toml",
                "[targets.ci]\nurl_env = \"DBSAFE_TEST_DEPLOY_URL\"\n"
                "direct_url_env = \"DBSAFE_TEST_UNSET_DIRECT_URL\"\n"
                "provider = \"local\"\napprove_on = \"off\"\n"
                "notify_webhook = \"http://127.0.0.1:9/hook\"\n");
    auto r = run_cli("deploy --target ci --config '" + p.dir.str() + "/dbsafe.toml' --format json",
                     std::string("DBSAFE_FAILPOINTS=") + c.point + " DBSAFE_TEST_DEPLOY_URL='" +
                         p.db.url() + "' DBSAFE_SLACK_WEBHOOK_URL=");
    EXPECT_EQ(r.exit_code, c.exit_code) << r.out;
    EXPECT_EQ(one(p.db.url(), "SELECT email FROM \"User\""), "kept@x");
    auto lines = lines_of(p.audit_file());
    ASSERT_EQ(lines.size(), 2u) << r.out;
    EXPECT_EQ(field(lines[1], "outcome"), c.outcome) << lines[1];
    std::string point = std::string(c.point).substr(7);
    if (c.exit_code != 0) {
      EXPECT_NE(lines[1].find("failpoint deploy." + point + " triggered"), std::string::npos)
          << lines[1];
    }
    if (point == "audit_row") {
      EXPECT_EQ(field(lines[1], "row_written"), "false");
      EXPECT_EQ(one(p.db.url(), "SELECT count(*) FROM dbsafe.audit"), "1");
    } else {
      EXPECT_EQ(field(lines[1], "row_written"), "true");
      EXPECT_EQ(one(p.db.url(), "SELECT count(*) FROM dbsafe.audit"), "2");
    }
    // After a fault before the apply, the migration is still pending; after
    // one in verify it was applied.
    auto applied = one(p.db.url(),
                       "SELECT count(*) FROM _prisma_migrations WHERE "
                       "finished_at IS NOT NULL");
    bool before_apply = point == "connect" || point == "plan" || point == "check" ||
                        point == "gate" || point == "snapshot" || point == "apply";
    EXPECT_EQ(applied, before_apply ? "1" : "2");
  }
}

// --seed runs only where allow_seed says so, after the migrations, with the
// URL in its environment; a failing seed is reported and restores nothing.
TEST(Deploy, SeedRunsOnlyWhereAllowedAfterTheMigrations) {
  Project p;
  auto options = p.options();
  options.seed_command =
      "psql -X -q -v ON_ERROR_STOP=1 \"$DATABASE_URL\" -c \"INSERT INTO \\\"User\\\" (email) "
      "VALUES ('seeded@example.com')\"";
  try {
    deploy(options);
    FAIL() << "seeding a target without allow_seed";
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Invalid);
    EXPECT_NE(e.message().find("allow_seed = true"), std::string::npos) << e.message();
  }
  // Refused before anything ran.
  EXPECT_EQ(one(p.db.url(), "SELECT to_regclass('public.\"User\"') IS NULL"), "t");

  p.target.allow_seed = true;
  options = p.options();
  options.seed_command =
      "psql -X -q -v ON_ERROR_STOP=1 \"$DATABASE_URL\" -c \"INSERT INTO \\\"User\\\" (email) "
      "VALUES ('seeded@example.com')\"";
  auto r = deploy(options);
  EXPECT_EQ(r.outcome, "deployed") << r.to_text();
  ASSERT_TRUE(find_step(r, "seed"));
  EXPECT_EQ(find_step(r, "seed")->status, "ok");
  EXPECT_EQ(one(p.db.url(), "SELECT email FROM \"User\""), "seeded@example.com");

  // A failing seed: exit 5, the migrations stay, nothing is restored.
  p.target.auto_restore = true;
  p.add("20240102000000_more", "ALTER TABLE \"User\" ADD COLUMN age int;\n");
  options = p.options();
  options.seed_command = "exit 7";
  try {
    deploy(options);
    FAIL() << "a failing seed";
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Database);
    EXPECT_NE(e.message().find("status 7"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("nothing was restored"), std::string::npos) << e.message();
  }
  EXPECT_EQ(one(p.db.url(),
                "SELECT count(*) FROM information_schema.columns WHERE column_name = "
                "'age'"),
            "1");
}

TEST(Deploy, ConfigurationErrorsNameTheFileLineAndKey) {
  TempDir dir;
  dir.write("dbsafe.toml", "[targets.prod]\nprovider = \"local\"\nsnapshots = \"rotate\"\n");
  try {
    load_deploy_target("prod", dir.str() + "/dbsafe.toml");
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Invalid);
    EXPECT_EQ(e.line(), 3u);
    EXPECT_NE(e.message().find("dbsafe.toml:3:"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("\"snapshots\""), std::string::npos) << e.message();
  }
  dir.write("dbsafe.toml", "[targets.prod]\napprove_on = \"sometimes\"\n");
  try {
    load_deploy_target("prod", dir.str() + "/dbsafe.toml");
    FAIL();
  } catch (const Error &e) {
    EXPECT_NE(e.message().find("approve_on"), std::string::npos) << e.message();
  }
  try {
    load_deploy_target("staging", dir.str() + "/dbsafe.toml");
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::NotFound);
    EXPECT_NE(e.message().find("targets: prod"), std::string::npos) << e.message();
  }
  dir.write("dbsafe.toml",
            "[targets.prod]\nmigrations = \"db/migrations\"\nrunner = \"prisma\"\n"
            "snapshot = \"timestamped\"\nsnapshot_keep = 3\napprovals = 2\n");
  auto t = load_deploy_target("prod", dir.str() + "/dbsafe.toml");
  EXPECT_EQ(t.migrations, dir.str() + "/db/migrations");
  EXPECT_EQ(t.runner, Runner::Prisma);
  EXPECT_EQ(t.snapshot, SnapshotMode::Timestamped);
  EXPECT_EQ(t.snapshot_keep, std::optional<std::size_t>(3));
  EXPECT_EQ(t.approvals, 2);
  EXPECT_EQ(t.audit_file, dir.str() + "/.dbsafe/audit.jsonl");
  EXPECT_EQ(t.approve_on, Level::Error);
}

}  // namespace

// ---- the guarded restore (dbsafe::restore_target, `dbsafe restore`) ----

// A project deployed twice: the second deploy dropped User.name (approved),
// after the rotating snapshot that still has Ann's name.
struct DroppedColumn : Project {
  DroppedColumn() {
    EXPECT_EQ(deploy(options()).outcome, "deployed");
    one(db.url(), "INSERT INTO \"User\" (email, name) VALUES ('a@x', 'Ann')");
    add("20240201000000_drop_name", "ALTER TABLE \"User\" DROP COLUMN name;\n");
    auto o = options();
    o.approve = true;
    EXPECT_EQ(deploy(o).outcome, "deployed");
  }
  RestoreTargetOptions restore_options() const {
    RestoreTargetOptions o;
    o.target_config = target;
    o.from = "pre-deploy-backup";
    o.confirm = "test";
    o.git_sha = "0123abc";
    o.actor = "tester";
    o.connect_retry_budget = std::chrono::milliseconds(0);
    return o;
  }
  std::size_t snapshots() const {
    ProviderOptions po;
    po.kind = "local";
    po.database_url = db.url();
    return Provider::open(po)->list_snapshots().size();
  }
  std::string name_columns() const {
    return one(db.url(),
               "SELECT count(*) FROM information_schema.columns WHERE table_name = 'User' AND "
               "column_name = 'name'");
  }
};

TEST(Restore, WithoutTheTargetsNameNothingIsTouched) {
  DroppedColumn p;
  auto before = p.snapshots();
  for (const char *confirm : {"", "production", "restore"}) {
    auto o = p.restore_options();
    o.confirm = confirm;
    try {
      restore_target(o);
      ADD_FAILURE() << "restored without the confirmation '" << confirm << "'";
    } catch (const Error &e) {
      EXPECT_EQ(e.code(), ErrorCode::Invalid);
      EXPECT_NE(e.message().find("--confirm 'test'"), std::string::npos) << e.message();
    }
  }
  EXPECT_EQ(p.snapshots(), before);
  EXPECT_EQ(p.name_columns(), "0");
  EXPECT_EQ(lines_of(p.audit_file()).size(), 2u);  // the two deploys only
  // RESTORE is accepted like the target's name (seed 004).
  auto o = p.restore_options();
  o.confirm = "RESTORE";
  EXPECT_EQ(restore_target(o).outcome, "restored");
}

TEST(Restore, BringsTheDataBackKeepsWhatItReplacedAndWritesTheAuditTrailBack) {
  DroppedColumn p;
  auto before = p.snapshots();
  auto r = restore_target(p.restore_options());
  EXPECT_EQ(r.operation, "restore");
  EXPECT_EQ(r.outcome, "restored") << r.to_text();
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(r.restored);
  EXPECT_EQ(one(p.db.url(), "SELECT name FROM \"User\""), "Ann");
  // The safety snapshot holds the data the restore replaced.
  ASSERT_TRUE(r.safety_snapshot);
  EXPECT_EQ(r.safety_snapshot->name.rfind("pre-restore-", 0), 0u);
  EXPECT_EQ(p.snapshots(), before + 1);
  // The drop is newer than the restored state: listed, not re-applied.
  EXPECT_EQ(r.pending, (std::vector<std::string>{"20240201000000_drop_name"}));
  EXPECT_EQ(find_step(r, "apply")->status, "skipped");
  // dbsafe.audit was rewound to the snapshot (the first deploy only); the
  // second deploy's row came back from the file, then the restore's own.
  EXPECT_EQ(r.audit_rows_written_back, 1u);
  EXPECT_EQ(one(p.db.url(),
                "SELECT string_agg(operation || ':' || outcome, ',' ORDER BY started_at) FROM "
                "dbsafe.audit"),
            "deploy:deployed,deploy:deployed,restore:restored");
  auto lines = lines_of(p.audit_file());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(field(lines[2], "operation"), "restore");
  EXPECT_NE(r.to_json().find("\"audit_rows_written_back\":1"), std::string::npos);
  EXPECT_NE(r.to_markdown().find("### dbsafe restore `test`: restored"), std::string::npos);

  // Undo: the safety snapshot puts the dropped state back.
  auto o = p.restore_options();
  o.from = r.safety_snapshot->id;
  auto undo = restore_target(o);
  EXPECT_EQ(undo.outcome, "restored") << undo.to_text();
  EXPECT_EQ(p.name_columns(), "0");
  EXPECT_TRUE(undo.pending.empty());
  EXPECT_EQ(find_step(undo, "verify")->status, "ok") << undo.to_text();
  EXPECT_EQ(one(p.db.url(), "SELECT count(*) FROM dbsafe.audit"), "4");
}

TEST(Restore, ReapplyRunsTheNewerMigrationsAndVerifies) {
  DroppedColumn p;
  p.add("20240301000000_age", "ALTER TABLE \"User\" ADD COLUMN age int;\n");
  auto o = p.restore_options();
  o.reapply = true;
  auto r = restore_target(o);
  EXPECT_EQ(r.outcome, "restored") << r.to_text();
  EXPECT_EQ(r.applied,
            (std::vector<std::string>{"20240201000000_drop_name", "20240301000000_age"}));
  EXPECT_EQ(find_step(r, "verify")->status, "ok") << r.to_text();
  EXPECT_EQ(p.name_columns(), "0");
}

TEST(Restore, BadSourcesAreNamedAndADryRunChangesNothing) {
  DroppedColumn p;
  auto o = p.restore_options();
  o.from = "no-such-snapshot";
  try {
    restore_target(o);
    ADD_FAILURE() << "restored from a snapshot that does not exist";
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::NotFound);
    EXPECT_NE(e.message().find("pre-deploy-backup"), std::string::npos) << e.message();
  }
  o.from = "2026-01-01T00:00:00Z";
  try {
    restore_target(o);
    ADD_FAILURE() << "a point-in-time restore on the local provider";
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Invalid);
    EXPECT_NE(e.message().find("point in time"), std::string::npos) << e.message();
  }
  auto before = p.snapshots();
  o = p.restore_options();
  o.dry_run = true;
  o.confirm.clear();  // a dry run needs none
  auto r = restore_target(o);
  EXPECT_EQ(r.outcome, "dry-run");
  EXPECT_EQ(p.snapshots(), before);
  EXPECT_EQ(p.name_columns(), "0");
  // The two failed attempts are on record; the dry run is not.
  auto lines = lines_of(p.audit_file());
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(field(lines[2], "outcome"), "failed");
  EXPECT_EQ(field(lines[3], "outcome"), "failed");
  auto none = p.restore_options();
  none.target_config->provider = "none";
  EXPECT_THROW(restore_target(none), Error);
}

// `dbsafe restore` with a fault: before the restore nothing changes (exit
// 5); inside the provider's restore it is half-done (exit 2) and the report
// names the command that puts the replaced data back.
TEST(Restore, AFaultIsAuditedAndAHalfDoneRestoreNamesTheWayBack) {
  for (const char *point : {"restore.safety-snapshot", "restore.provider"}) {
    SCOPED_TRACE(point);
    DroppedColumn p;
    p.dir.write("dbsafe.toml",
                "[targets.ci]\nurl_env = \"DBSAFE_TEST_DEPLOY_URL\"\n"
                "direct_url_env = \"DBSAFE_TEST_UNSET_DIRECT_URL\"\n"
                "provider = \"local\"\naudit_file = \"" +
                    p.audit_file() + "\"\n");
    std::string env = std::string("DBSAFE_FAILPOINTS=") + point + " DBSAFE_TEST_DEPLOY_URL='" +
                      p.db.url() + "' DBSAFE_SLACK_WEBHOOK_URL=";
    std::string config = " --config '" + p.dir.str() + "/dbsafe.toml'";
    auto refused = run_cli("restore --target ci --from pre-deploy-backup" + config, env);
    EXPECT_EQ(refused.exit_code, 3) << refused.out;  // no terminal, no --confirm
    auto r = run_cli(
        "restore --target ci --from pre-deploy-backup --confirm ci --format json" + config, env);
    bool half_done = std::string(point) == "restore.provider";
    EXPECT_EQ(r.exit_code, half_done ? 2 : 5) << r.out;
    EXPECT_EQ(p.name_columns(), "0");  // the fault came before any data moved
    auto lines = lines_of(p.audit_file());
    ASSERT_EQ(lines.size(), 3u) << r.out;
    EXPECT_EQ(field(lines[2], "operation"), "restore");
    EXPECT_EQ(field(lines[2], "outcome"), "failed");
    if (half_done) {
      EXPECT_NE(r.out.find("dbsafe restore --target ci --from "), std::string::npos) << r.out;
    }
  }
}

// ---- Vercel: VERCEL_ENV picks the target through [vercel] ----

TEST(Vercel, TheVercelTableMapsEachEnvironmentToATargetOrSkip) {
  TempDir dir;
  dir.write("dbsafe.toml", "[targets.production]\n");
  std::string config = dir.str() + "/dbsafe.toml";
  // Defaults: production deploys "production"; previews and development skip.
  EXPECT_EQ(vercel_target("production", config), "production");
  EXPECT_EQ(vercel_target("preview", config), "");
  EXPECT_EQ(vercel_target("development", config), "");
  dir.write("dbsafe.toml", "[vercel]\nproduction = \"prod\"\npreview = \"previews\"\n");
  EXPECT_EQ(vercel_target("production", config), "prod");
  EXPECT_EQ(vercel_target("preview", config), "previews");
  EXPECT_EQ(vercel_target("development", config), "");
  dir.write("dbsafe.toml", "[vercel]\nstaging = \"x\"\n");
  try {
    vercel_target("preview", config);
    ADD_FAILURE() << "an unknown key in [vercel] was accepted";
  } catch (const Error &e) {
    EXPECT_NE(e.message().find("dbsafe.toml:2:1: unknown key \"staging\" in [vercel]"),
              std::string::npos)
        << e.message();
  }
  EXPECT_THROW(vercel_target("staging", config), Error);
  // branch_per_git_branch is a Neon branch.
  dir.write("dbsafe.toml", "[targets.p]\nbranch_per_git_branch = true\n");
  try {
    load_deploy_target("p", config);
    ADD_FAILURE() << "branch_per_git_branch without neon was accepted";
  } catch (const Error &e) {
    EXPECT_NE(e.message().find("needs provider = \"neon\""), std::string::npos) << e.message();
  }
}

TEST(Vercel, APreviewThatMapsToSkipDeploysNothingAndProductionDeploys) {
  Project p;
  p.dir.write("dbsafe.toml",
              "[targets.production]\nurl_env = \"DBSAFE_TEST_DEPLOY_URL\"\n"
              "direct_url_env = \"DBSAFE_TEST_UNSET_DIRECT_URL\"\n"
              "migrations = \"prisma/migrations\"\n");
  setenv("DBSAFE_TEST_DEPLOY_URL", p.db.url().c_str(), 1);
  DeployOptions o;
  o.config_path = p.dir.str() + "/dbsafe.toml";
  o.connect_retry_budget = std::chrono::milliseconds(0);
  setenv("VERCEL_ENV", "preview", 1);
  auto skipped = deploy(o);
  EXPECT_EQ(skipped.outcome, "skipped");
  EXPECT_EQ(skipped.exit_code, 0);
  EXPECT_EQ(skipped.vercel_env, "preview");
  EXPECT_TRUE(skipped.steps.empty());
  EXPECT_EQ(one(p.db.url(), "SELECT to_regclass('_prisma_migrations') IS NULL"), "t");
  setenv("VERCEL_ENV", "production", 1);
  auto done = deploy(o);
  EXPECT_EQ(done.target, "production");
  EXPECT_EQ(done.outcome, "deployed") << done.to_text();
  EXPECT_NE(done.to_json().find("\"vercel_env\":\"production\""), std::string::npos);
  unsetenv("VERCEL_ENV");
  unsetenv("DBSAFE_TEST_DEPLOY_URL");
}
