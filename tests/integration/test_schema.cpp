// Schema introspection, DDL rendering and diffing against a real PostgreSQL
// server: each corpus project round-trips through DDL, consecutive corpus
// states diff into SQL that reproduces the next state, every object pg_dump
// lists is modelled, and hand-made drift is found and fixed.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "dbsafe/schema.hpp"
#include "drift/diff.hpp"
#include "drift/shadow.hpp"
#include "pg/connection.hpp"
#include "schema/model.hpp"
#include "support/pg_test_env.hpp"
#include "support/temp_dir.hpp"

namespace {

using dbsafe::testing::TempDir;
using dbsafe::testing::TestDatabase;
namespace schema = dbsafe::schema;

void run_sql(const std::string &url, const std::string &sql) {
  PGconn *c = PQconnectdb(dbsafe::pg::parse_target(url).conninfo.c_str());
  ASSERT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
  PGresult *r = PQexec(c, sql.c_str());
  auto status = PQresultStatus(r);
  std::string error = PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(c);
  ASSERT_TRUE(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) << error << "\nin:\n" << sql;
}

// Each statement on its own, as `psql -f` runs a file (ALTER TYPE ... ADD
// VALUE must commit before the value is used).
std::string apply_changes(const std::string &url,
                          const std::vector<dbsafe::SchemaChange> &changes) {
  PGconn *c = PQconnectdb(dbsafe::pg::parse_target(url).conninfo.c_str());
  std::string errors;
  for (const auto &change : changes)
    for (const auto &s : change.sql) {
      PGresult *r = PQexec(c, s.c_str());
      if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        errors += PQresultErrorMessage(r) + std::string("  in: ") + s + "\n";
      PQclear(r);
    }
  PQfinish(c);
  return errors;
}

schema::Model introspect(const std::string &url) {
  dbsafe::CallContext ctx;
  return schema::introspect(url, {}, ctx);
}

std::string describe(const std::vector<dbsafe::SchemaChange> &changes) {
  std::string out;
  for (const auto &c : changes) {
    out += "  " + c.description + "\n";
    for (const auto &s : c.sql) out += "    " + s + "\n";
  }
  return out;
}

dbsafe::MigrateOptions migrate_options(const std::string &url) {
  dbsafe::MigrateOptions o;
  o.database_url = url;
  o.connect_retry_budget = std::chrono::milliseconds(0);
  return o;
}

const std::array<const char *, 5> kProjects = {"documenso", "hoppscotch", "inbox-zero", "langfuse",
                                               "trigger.dev"};

// ------------------------------------------------------------- round trip

class SchemaRoundTrip : public ::testing::TestWithParam<const char *> {};

TEST_P(SchemaRoundTrip, ReplayIntrospectRenderApplyIntrospectGivesTheSameModel) {
  TestDatabase replayed, rendered;
  dbsafe::migrate_deploy(dbsafe::testing::corpus_dir() + "/" + GetParam(),
                         migrate_options(replayed.url()));
  auto first = introspect(replayed.url());
  ASSERT_FALSE(first.tables.empty());
  EXPECT_TRUE(first.unsupported.empty()) << first.unsupported.front();
  run_sql(rendered.url(), schema::render_sql(first));
  auto second = introspect(rendered.url());
  EXPECT_EQ(schema::to_json(first), schema::to_json(second));
  auto diff = dbsafe::diff::diff_models(first, second);
  EXPECT_TRUE(diff.changes.empty()) << describe(diff.changes);
  // And the JSON form loads back to the same model.
  EXPECT_EQ(schema::to_json(schema::from_json(schema::to_json(first), "test")),
            schema::to_json(first));
}

INSTANTIATE_TEST_SUITE_P(Corpus, SchemaRoundTrip, ::testing::ValuesIn(kProjects),
                         [](const auto &info) {
                           std::string n = info.param;
                           for (auto &c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

// ------------------------------------------- consecutive states of the corpus

struct StepStats {
  int pairs = 0;
  int failures = 0;
};

// Replays `project` one migration at a time on one database; after each, the
// diff from the previous state is applied to a second database that only
// ever changes through diffs, and the two must be equal.
StepStats diff_consecutive_states(const std::string &project, std::size_t limit) {
  StepStats stats;
  auto set = dbsafe::MigrationSet::open(dbsafe::testing::corpus_dir() + "/" + project);
  TempDir dir;
  dir.write("migration_lock.toml", "provider = \"postgresql\"\n");
  TestDatabase replayed;
  auto follower = std::make_unique<TestDatabase>();
  schema::Model previous = schema::empty_model();
  for (std::size_t i = 0; i < set.migrations().size() && i < limit; ++i) {
    const auto &m = set.migrations()[i];
    dir.write(m.name + "/migration.sql", m.sql);
    dbsafe::migrate_deploy(dir.str(), migrate_options(replayed.url()));
    auto next = introspect(replayed.url());
    auto diff = dbsafe::diff::diff_models(previous, next);
    std::string errors = apply_changes(follower->url(), diff.changes);
    auto reached = introspect(follower->url());
    auto rest = dbsafe::diff::diff_models(reached, next);
    ++stats.pairs;
    bool equal = errors.empty() && rest.changes.empty();
    EXPECT_TRUE(equal) << project << " " << m.name << ":\n"
                       << errors << "diff applied:\n"
                       << describe(diff.changes) << "still different:\n"
                       << describe(rest.changes);
    if (!equal) {
      ++stats.failures;
      // Start the follower again from the state reached, so one failure
      // does not cascade into the next pairs.
      follower = std::make_unique<TestDatabase>();
      run_sql(follower->url(), schema::render_sql(next));
    }
    previous = std::move(next);
  }
  return stats;
}

TEST(SchemaDiffCorpus, ConsecutiveStatesDiffIntoSqlThatReproducesTheNextState) {
  StepStats total;
  std::vector<std::pair<std::string, std::size_t>> projects{{"hoppscotch", 1000},
                                                            {"documenso", 1000},
                                                            {"inbox-zero", 60},
                                                            {"langfuse", 40},
                                                            {"trigger.dev", 40}};
  // DBSAFE_TEST_DIFF_ONLY=project: one whole project (for investigating).
  if (const char *only = std::getenv("DBSAFE_TEST_DIFF_ONLY")) projects = {{only, 100000}};
  for (auto [project, limit] : projects) {
    auto s = diff_consecutive_states(project, limit);
    total.pairs += s.pairs;
    total.failures += s.failures;
  }
  std::printf("[          ] %d consecutive pairs diffed, %d failed\n", total.pairs, total.failures);
  EXPECT_GE(total.pairs, 200);
  EXPECT_EQ(total.failures, 0);
}

// ---------------------------------------------------------------- pg_dump

std::string pg_bindir() {
  if (const char *env = std::getenv("PG_BINDIR")) return env;
  return "/usr/lib/postgresql/15/bin";
}

std::vector<std::string> run_lines(const std::string &command) {
  std::vector<std::string> lines;
  FILE *p = popen(command.c_str(), "r");
  if (!p) return lines;
  char buf[8192];
  while (fgets(buf, sizeof buf, p)) {
    std::string line = buf;
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    lines.push_back(line);
  }
  pclose(p);
  return lines;
}

class SchemaCompleteness : public ::testing::TestWithParam<const char *> {};

// Every object `pg_dump -s -Fc | pg_restore -l` lists is in the model.
TEST_P(SchemaCompleteness, EveryObjectPgDumpListsIsModelled) {
  TestDatabase db;
  dbsafe::migrate_deploy(dbsafe::testing::corpus_dir() + "/" + GetParam(),
                         migrate_options(db.url()));
  auto model = introspect(db.url());
  std::string conn = dbsafe::pg::parse_target(db.url()).conninfo;
  auto toc = run_lines(pg_bindir() + "/pg_dump -s -Fc -d \"" + conn + "\" | " + pg_bindir() +
                       "/pg_restore -l");
  ASSERT_GT(toc.size(), 10u);
  std::set<std::string> names;
  for (const auto &t : model.tables) {
    names.insert("TABLE " + t.schema + " " + t.name);
    for (const auto &c : t.constraints) {
      names.insert((c.type == 'f' ? "FK CONSTRAINT " : "CONSTRAINT ") + t.schema + " " + t.name +
                   " " + c.name);
      // pg_dump lists a NOT VALID check on its own, after the data.
      if (c.type == 'c') names.insert("CHECK CONSTRAINT " + t.schema + " " + t.name + " " + c.name);
    }
    for (const auto &c : t.columns)
      if (!c.default_expr.empty())
        names.insert("DEFAULT " + t.schema + " " + t.name + " " + c.name);
  }
  for (const auto &i : model.indexes) names.insert("INDEX " + i.schema + " " + i.name);
  for (const auto &e : model.enums) names.insert("TYPE " + e.schema + " " + e.name);
  for (const auto &c : model.composites) names.insert("TYPE " + c.schema + " " + c.name);
  for (const auto &d : model.domains) names.insert("DOMAIN " + d.schema + " " + d.name);
  for (const auto &s : model.sequences) {
    names.insert("SEQUENCE " + s.schema + " " + s.name);
    if (!s.owned_by_table.empty()) names.insert("SEQUENCE OWNED BY " + s.schema + " " + s.name);
  }
  for (const auto &v : model.views)
    names.insert((v.materialized ? "MATERIALIZED VIEW " : "VIEW ") + v.schema + " " + v.name);
  for (const auto &f : model.functions)
    // pg_restore lists argument types only; the model's identity
    // arguments carry names too, so match up to the parenthesis.
    names.insert((f.kind == 'p' ? "PROCEDURE " : "FUNCTION ") + f.schema + " " + f.name + "(");
  for (const auto &t : model.triggers) {
    auto dot = t.table.find('.');
    names.insert("TRIGGER " + t.table.substr(0, dot) + " " + t.table.substr(dot + 1) + " " +
                 t.name);
  }
  for (const auto &e : model.extensions) names.insert("EXTENSION - " + e.name);
  for (const auto &s : model.schemas) names.insert("SCHEMA - " + s.name);
  std::vector<std::string> missing;
  int checked = 0;
  for (const auto &line : toc) {
    if (line.empty() || line[0] == ';') continue;
    // "<id>; <catalog oid> <oid> <TYPE...> <schema> <name> <owner>"
    auto parts_at = line.find(' ', line.find(' ', line.find(' ') + 1) + 1);
    std::string rest = line.substr(parts_at + 1);
    auto last_space = rest.rfind(' ');
    std::string entry = rest.substr(0, last_space);  // without the owner
    if (entry.rfind("COMMENT", 0) == 0 || entry.rfind("ACL", 0) == 0 ||
        entry.rfind("DATABASE", 0) == 0 || entry.rfind("ENCODING", 0) == 0 ||
        entry.rfind("STDSTRINGS", 0) == 0 || entry.rfind("SEARCHPATH", 0) == 0)
      continue;
    // The history table (and its key) is left out of models on purpose.
    if (entry.find("_prisma_migrations") != std::string::npos ||
        entry.find(" dbsafe ") != std::string::npos || entry == "SCHEMA - dbsafe")
      continue;
    ++checked;
    bool found = false;
    for (const auto &n : names)
      if (entry == n || entry.rfind(n, 0) == 0) found = true;
    // pg_restore -l writes an extension's and a schema's lines as "- name".
    if (!found) missing.push_back(entry);
  }
  EXPECT_GT(checked, 10);
  std::string list;
  for (const auto &m : missing) list += "  " + m + "\n";
  EXPECT_TRUE(missing.empty()) << missing.size() << " missing:\n" << list;
}

INSTANTIATE_TEST_SUITE_P(Corpus, SchemaCompleteness, ::testing::ValuesIn(kProjects),
                         [](const auto &info) {
                           std::string n = info.param;
                           for (auto &c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

// ---------------------------------------------------------- hand-made drift

const char *kMigration1 = R"sql(
CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
CREATE TABLE "User" (
  "id" SERIAL NOT NULL,
  "email" TEXT NOT NULL,
  "name" TEXT DEFAULT 'anonymous',
  "role" "Role" NOT NULL DEFAULT 'USER',
  CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
CREATE TABLE "Post" (
  "id" SERIAL NOT NULL,
  "authorId" INTEGER NOT NULL,
  "title" VARCHAR(200) NOT NULL,
  CONSTRAINT "Post_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "Post_authorId_idx" ON "Post"("authorId");
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Post" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "own_posts" ON "Post" FOR SELECT USING ("authorId" > 0);
)sql";

// The Prisma set of kMigration1 in `dir`, deployed to `url`.
void deploy_first_migration(TempDir &dir, const std::string &url) {
  dir.write("migration_lock.toml", "provider = \"postgresql\"\n");
  dir.write("20240101000000_init/migration.sql", kMigration1);
  dbsafe::migrate_deploy(dir.str(), migrate_options(url));
}

struct DriftCase {
  const char *name;
  const char *by_hand;
  const char *expected_in_sql;
};

void PrintTo(const DriftCase &c, std::ostream *os) {
  *os << c.name;
}

class HandMadeDrift : public ::testing::TestWithParam<DriftCase> {};

TEST_P(HandMadeDrift, IsFoundAndTheEmittedSqlFixesIt) {
  TestDatabase db;
  TempDir dir;
  deploy_first_migration(dir, db.url());
  auto clean = dbsafe::drift(db.url(), dir.str());
  ASSERT_TRUE(clean.empty()) << clean.to_text();

  run_sql(db.url(), GetParam().by_hand);
  auto found = dbsafe::drift(db.url(), dir.str());
  ASSERT_FALSE(found.empty());
  EXPECT_NE(found.sql().find(GetParam().expected_in_sql), std::string::npos) << found.sql();
  EXPECT_NE(found.to_json().find("\"drift\":true"), std::string::npos);

  std::string errors = apply_changes(db.url(), found.changes);
  EXPECT_EQ(errors, "");
  auto after = dbsafe::drift(db.url(), dir.str());
  EXPECT_TRUE(after.empty()) << after.to_text();
}

INSTANTIATE_TEST_SUITE_P(
    Drift, HandMadeDrift,
    ::testing::Values(
        DriftCase{"index_dropped", R"(DROP INDEX "User_email_key")",
                  R"(CREATE UNIQUE INDEX "User_email_key")"},
        DriftCase{"column_added", R"(ALTER TABLE "User" ADD COLUMN "nickname" text)",
                  R"(DROP COLUMN "nickname")"},
        DriftCase{"default_changed",
                  R"(ALTER TABLE "User" ALTER COLUMN "name" SET DEFAULT 'nobody')",
                  R"(SET DEFAULT 'anonymous'::text)"},
        DriftCase{"foreign_key_dropped",
                  R"(ALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey")",
                  R"(ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY)"},
        DriftCase{"enum_value_added", R"(ALTER TYPE "Role" ADD VALUE 'OWNER')",
                  R"(ALTER TYPE "public"."Role" RENAME TO)"},
        DriftCase{"not_null_removed", R"(ALTER TABLE "Post" ALTER COLUMN "title" DROP NOT NULL)",
                  "SET NOT NULL"},
        DriftCase{"policy_changed", R"(ALTER POLICY "own_posts" ON "Post" USING ("authorId" > 10))",
                  R"(ALTER POLICY "own_posts")"},
        DriftCase{"column_type_changed", R"(ALTER TABLE "Post" ALTER COLUMN "title" TYPE text)",
                  "TYPE character varying(200)"},
        DriftCase{"rls_disabled", R"(ALTER TABLE "Post" DISABLE ROW LEVEL SECURITY)",
                  "ENABLE ROW LEVEL SECURITY"},
        DriftCase{"table_added", R"(CREATE TABLE "Scratch" (id int))",
                  R"(DROP TABLE "public"."Scratch")"}),
    [](const auto &info) { return std::string(info.param.name); });

TEST(Drift, ReconcileSqlCarriesRiskFindings) {
  TestDatabase db;
  TempDir dir;
  deploy_first_migration(dir, db.url());
  run_sql(db.url(), R"(ALTER TABLE "User" ADD COLUMN "nickname" text)");
  auto found = dbsafe::drift(db.url(), dir.str());
  bool drop_column = false;
  for (const auto &f : found.check.findings) drop_column = drop_column || f.rule == "drop-column";
  EXPECT_TRUE(drop_column) << found.to_json();
  EXPECT_TRUE(found.changes.at(0).destructive);
}

TEST(Drift, UnreachableDatabaseIsAnErrorNotDrift) {
  TempDir dir;
  dir.write("20240101000000_init/migration.sql", kMigration1);
  try {
    dbsafe::drift("postgresql://nobody@127.0.0.1:1/none", dir.str());
    FAIL() << "no error";
  } catch (const dbsafe::Error &e) {
    EXPECT_EQ(e.code(), dbsafe::ErrorCode::Connect) << e.message();
  }
}

TEST(Drift, RenameIsNeverGuessedButAHintRenames) {
  schema::Model from, to;
  schema::Table t;
  t.schema = "public";
  t.name = "Account";
  t.qname = "public.\"Account\"";
  schema::Column id, mail;
  id.name = "id";
  id.type = "integer";
  mail.name = "mail";
  mail.type = "text";
  t.columns = {id, mail};
  from.tables.push_back(t);
  t.name = "Customer";
  t.qname = "public.\"Customer\"";
  t.columns[1].name = "email";
  to.tables.push_back(t);
  auto guessed = dbsafe::diff::diff_models(from, to);
  ASSERT_EQ(guessed.changes.size(), 2u);
  EXPECT_EQ(guessed.changes[0].action, "create");
  EXPECT_EQ(guessed.changes[1].action, "drop");
  auto hinted =
      dbsafe::diff::diff_models(from, to,
                                {dbsafe::RenameHint::parse("table public.Account=public.Customer"),
                                 dbsafe::RenameHint::parse("column public.Customer.mail=email")});
  std::string sql;
  for (const auto &c : hinted.changes)
    for (const auto &s : c.sql) sql += s + "\n";
  EXPECT_EQ(sql,
            "ALTER TABLE \"public\".\"Account\" RENAME TO \"Customer\";\n"
            "ALTER TABLE \"public\".\"Customer\" RENAME COLUMN \"mail\" TO \"email\";\n");
  // Same shape, other name: the warning names the rename to hint.
  schema::Model renamed = to;
  renamed.tables[0].columns[1].name = "mail";
  auto warned = dbsafe::diff::diff_models(from, renamed);
  ASSERT_FALSE(warned.warnings.empty());
  EXPECT_NE(warned.warnings[0].find("--rename 'table public.Account=public.Customer'"),
            std::string::npos);
}

// ----------------------------------------------------------- shadow, verify

TEST(Shadow, EmbeddedClusterReplaysWhenNoServerIsGiven) {
  TempDir dir;
  dir.write("migration_lock.toml", "provider = \"postgresql\"\n");
  dir.write("20240101000000_init/migration.sql", kMigration1);
  auto model = dbsafe::diff::replay_migrations(dir.str(), {}, {}, {});
  ASSERT_EQ(model.tables.size(), 2u);
  EXPECT_EQ(model.tables[0].name, "Post");
}

TEST(Shadow, TemporaryDatabaseIsDroppedAfterwards) {
  TempDir dir;
  dir.write("20240101000000_init/migration.sql", kMigration1);
  dbsafe::ShadowOptions options;
  options.server_url = dbsafe::testing::server_url();
  auto count = [&] {
    PGconn *c = PQconnectdb(dbsafe::pg::parse_target(options.server_url).conninfo.c_str());
    // This process's shadow databases only (named with the pid): other
    // tests replay in parallel.
    std::string sql = "SELECT count(*) FROM pg_database WHERE datname LIKE 'dbsafe_shadow_" +
                      std::to_string(::getpid()) + "\\_%'";
    PGresult *r = PQexec(c, sql.c_str());
    std::string n = PQgetvalue(r, 0, 0);
    PQclear(r);
    PQfinish(c);
    return n;
  };
  std::string before = count();
  dbsafe::diff::replay_migrations(dir.str(), options, {}, {});
  EXPECT_EQ(count(), before);
  // A migration that does not replay is an input error naming the file.
  dir.write("20240102000000_broken/migration.sql", "ALTER TABLE \"Nope\" ADD COLUMN x int;");
  try {
    dbsafe::diff::replay_migrations(dir.str(), options, {}, {});
    FAIL() << "no error";
  } catch (const dbsafe::Error &e) {
    EXPECT_EQ(e.code(), dbsafe::ErrorCode::Invalid);
    EXPECT_NE(e.message().find("20240102000000_broken"), std::string::npos) << e.message();
  }
  EXPECT_EQ(count(), before);
}

// An unchanged migration set is read from the replay cache; a changed file
// is a new key (the stale entry is never read); a corrupt entry is replayed
// over.
TEST(Shadow, ReplayCacheReusesAnUnchangedSetOnly) {
  TestDatabase db;
  TempDir dir, cache;
  deploy_first_migration(dir, db.url());

  dbsafe::DiffOptions options;
  options.shadow.cache_dir = cache.str();
  std::vector<std::string> log;
  dbsafe::CallOptions call;
  call.log = [&](dbsafe::LogLevel, std::string_view, std::string_view message) {
    log.emplace_back(message);
  };
  auto from_cache = [&] {
    return std::any_of(log.begin(), log.end(), [](const std::string &m) {
      return m.find("the migrations' schema comes from") != std::string::npos;
    });
  };
  auto entries = [&] {
    std::vector<std::string> names;
    for (const auto &e : std::filesystem::directory_iterator(cache.str()))
      names.push_back(e.path().filename().string());
    return names;
  };

  auto first = dbsafe::drift(db.url(), dir.str(), options, call);
  EXPECT_TRUE(first.empty()) << first.to_json();
  EXPECT_FALSE(from_cache());
  ASSERT_EQ(entries().size(), 1u);

  log.clear();
  run_sql(db.url(), R"(ALTER TABLE "User" ADD COLUMN "nickname" text)");
  auto second = dbsafe::drift(db.url(), dir.str(), options, call);
  EXPECT_TRUE(from_cache());
  ASSERT_EQ(second.changes.size(), 1u) << second.to_json();
  EXPECT_NE(second.changes[0].object.find("nickname"), std::string::npos);

  // The same column added by a migration: a new key, replayed, no drift.
  log.clear();
  run_sql(db.url(), R"(ALTER TABLE "User" DROP COLUMN "nickname")");
  dir.write("20240102000000_nickname/migration.sql",
            R"(ALTER TABLE "User" ADD COLUMN "nickname" text;)");
  dbsafe::migrate_deploy(dir.str(), migrate_options(db.url()));
  auto third = dbsafe::drift(db.url(), dir.str(), options, call);
  EXPECT_FALSE(from_cache());
  EXPECT_TRUE(third.empty()) << third.to_json();
  EXPECT_EQ(entries().size(), 2u);

  // A corrupt entry: a warning, a replay, and the entry is written again.
  for (const auto &name : entries()) cache.write(name, "{not json");
  log.clear();
  auto fourth = dbsafe::drift(db.url(), dir.str(), options, call);
  EXPECT_TRUE(fourth.empty()) << fourth.to_json();
  EXPECT_FALSE(from_cache());
  EXPECT_TRUE(std::any_of(log.begin(), log.end(), [](const std::string &m) {
    return m.find("ignoring an unreadable replay cache entry") != std::string::npos;
  }));
  log.clear();
  dbsafe::drift(db.url(), dir.str(), options, call);
  EXPECT_TRUE(from_cache());
}

TEST(Verify, ReportsMissingInvalidAndNotValidObjects) {
  TestDatabase db;
  TempDir dir;
  deploy_first_migration(dir, db.url());
  auto ok = dbsafe::verify(db.url(), dir.str());
  EXPECT_TRUE(ok.ok()) << ok.to_text();
  EXPECT_EQ(ok.tables, 2u);
  EXPECT_EQ(ok.foreign_keys, 1u);
  run_sql(db.url(), R"(DROP INDEX "Post_authorId_idx";
    ALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey";
    ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE NOT VALID;
    UPDATE pg_index SET indisvalid = false WHERE indexrelid = '"User_email_key"'::regclass;)");
  auto bad = dbsafe::verify(db.url(), dir.str());
  std::map<std::string, std::string> problems;
  for (const auto &p : bad.problems) problems[p.object] = p.problem;
  EXPECT_EQ(problems["public.Post_authorId_idx"], "missing");
  EXPECT_EQ(problems["public.Post.Post_authorId_fkey"], "not valid");
  EXPECT_EQ(problems["public.User_email_key"], "invalid");
  EXPECT_NE(bad.to_json().find("\"ok\":false"), std::string::npos);
}

// Introspection needs one connection: a role allowed a single one gets the
// same model as the server's own user. (Reading half of the catalogue over a
// second session sharing the snapshot was tried and was slower: each new
// backend builds its catalog caches again.)
TEST(Introspect, ARoleLimitedToOneConnectionGetsTheSameModel) {
  TestDatabase db;
  TempDir dir;
  deploy_first_migration(dir, db.url());
  std::string role = "dbsafe_one_session_" + std::to_string(::getpid());
  run_sql(db.url(), "DROP ROLE IF EXISTS " + role + "; CREATE ROLE " + role +
                        " LOGIN CONNECTION LIMIT 1; GRANT USAGE ON SCHEMA public TO " + role);
  auto at = db.url().find("://") + 3;
  auto user_end = db.url().find_first_of(":@", at);
  std::string limited_url = db.url().substr(0, at) + role + db.url().substr(user_end);
  if (limited_url.find('@') == std::string::npos) GTEST_SKIP() << "no user in " << db.url();
  // A password in the server's URL belongs to the server's user, not this role.
  auto password = limited_url.find(':', at);
  if (password != std::string::npos && password < limited_url.find('@'))
    limited_url.erase(password, limited_url.find('@') - password);
  auto full = schema::to_json(introspect(db.url()));
  auto alone = schema::to_json(introspect(limited_url));
  run_sql(db.url(), "DROP OWNED BY " + role + "; DROP ROLE " + role);
  EXPECT_EQ(alone, full);
  EXPECT_NE(full.find("Post_authorId_fkey"), std::string::npos);
}

// Introspection sends all its catalog queries at once and reads each result
// as it comes.
TEST(Connection, StatementsSentTogetherComeBackInOrderAndAFailureStopsTheRest) {
  TestDatabase db;
  auto conn = dbsafe::pg::Connection::open(db.url(), {});
  conn.send_statements("SELECT 1; SELECT 'two'; SELECT 1 / 0; SELECT 4;");
  EXPECT_EQ(conn.next_result().text(0, 0), "1");
  EXPECT_EQ(conn.next_result().text(0, 0), "two");
  try {
    conn.next_result();
    ADD_FAILURE() << "division by zero was not reported";
  } catch (const dbsafe::pg::ServerError &e) {
    EXPECT_EQ(e.sqlstate(), "22012");
  }
  // The statement after the failure never ran, and the connection takes
  // the next query.
  EXPECT_EQ(conn.exec("SELECT 5").text(0, 0), "5");

  conn.send_statements("SELECT 1;");
  conn.next_result();
  try {
    conn.next_result();
    ADD_FAILURE() << "a result past the last statement was handed out";
  } catch (const dbsafe::Error &e) {
    EXPECT_EQ(e.code(), dbsafe::ErrorCode::Internal);
  }
  conn.send_statements("SELECT 6; SELECT 7;");
  EXPECT_EQ(conn.next_result().text(0, 0), "6");
  conn.finish_statements();
  EXPECT_EQ(conn.exec("SELECT 8").text(0, 0), "8");
}

TEST(Baseline, FromALiveDatabaseWritesTheMigrationAndRecordsIt) {
  TestDatabase db;
  run_sql(db.url(), kMigration1);
  TempDir dir;
  dbsafe::BaselineFromDatabaseOptions options;
  options.migrate = migrate_options(db.url());
  options.migration_name = "0_baseline";
  auto report = dbsafe::migrate_baseline_from_database(dir.str(), options);
  EXPECT_EQ(report.plan.count(dbsafe::MigrationState::Applied), 1u);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "0_baseline" / "migration.sql"));
  // The written migration reproduces the database: no drift.
  auto d = dbsafe::drift(db.url(), dir.str());
  EXPECT_TRUE(d.empty()) << d.to_text();
  // A second baseline on top of it is refused while a migration is pending.
  dir.write("1_pending/migration.sql", "SELECT 1;");
  options.migration_name = "2_baseline";
  EXPECT_THROW(dbsafe::migrate_baseline_from_database(dir.str(), options), dbsafe::Error);
}

TEST(SchemaModel, BadJsonNamesThePlace) {
  try {
    schema::from_json(R"({"schema_version":1,"tables":[{"schema":"public"}]})", "model.json");
    FAIL() << "no error";
  } catch (const dbsafe::Error &e) {
    EXPECT_EQ(e.code(), dbsafe::ErrorCode::Parse);
    EXPECT_NE(e.message().find("model.json: $.tables[0]: \"name\" is missing"), std::string::npos)
        << e.message();
  }
}

}  // namespace

namespace {

TEST(Shadow, AGivenDatabaseIsLeftAsItWasFound) {
  TestDatabase shadow;
  TempDir dir;
  dir.write("migration_lock.toml", "provider = \"postgresql\"\n");
  dir.write("20240101000000_init/migration.sql", kMigration1);
  dbsafe::ShadowOptions options;
  options.shadow_database_url = shadow.url();
  auto before = introspect(shadow.url());
  auto first = dbsafe::diff::replay_migrations(dir.str(), options, {}, {});
  EXPECT_EQ(schema::to_json(introspect(shadow.url())), schema::to_json(before));
  auto second = dbsafe::diff::replay_migrations(dir.str(), options, {}, {});
  EXPECT_EQ(schema::to_json(first), schema::to_json(second));
}

}  // namespace

// ------------------------------------------------ diffs between two states

namespace {

struct StatePair {
  const char *name;
  const char *before;
  const char *after;
};

void PrintTo(const StatePair &p, std::ostream *os) {
  *os << p.name;
}

class DiffReproduces : public ::testing::TestWithParam<StatePair> {};

// The diff from `before` to `after`, applied to `before`, gives `after`.
TEST_P(DiffReproduces, TheTargetState) {
  TestDatabase from, to;
  run_sql(from.url(), GetParam().before);
  run_sql(to.url(), GetParam().after);
  auto diff = dbsafe::diff::diff_models(introspect(from.url()), introspect(to.url()));
  ASSERT_FALSE(diff.changes.empty());
  std::string errors = apply_changes(from.url(), diff.changes);
  EXPECT_EQ(errors, "") << describe(diff.changes);
  auto rest = dbsafe::diff::diff_models(introspect(from.url()), introspect(to.url()));
  EXPECT_TRUE(rest.changes.empty()) << "applied:\n"
                                    << describe(diff.changes) << "left:\n"
                                    << describe(rest.changes);
  // And back again.
  auto back = dbsafe::diff::diff_models(
      introspect(from.url()), schema::from_json(schema::to_json(introspect(to.url())), "x"));
  EXPECT_TRUE(back.changes.empty());
}

INSTANTIATE_TEST_SUITE_P(
    States, DiffReproduces,
    ::testing::Values(
        StatePair{
            "primary_key_rebuilt_under_a_foreign_key",
            "CREATE TABLE t (id int, n int NOT NULL DEFAULT 0, CONSTRAINT t_pkey PRIMARY KEY (id));"
            "CREATE TABLE c (t_id int REFERENCES t (id));",
            "CREATE TABLE t (id int, n int NOT NULL DEFAULT 0, CONSTRAINT t_pkey PRIMARY KEY (id, "
            "n));"
            "CREATE UNIQUE INDEX t_id_key ON t (id);"
            "CREATE TABLE c (t_id int REFERENCES t (id));"},
        StatePair{"unique_index_rebuilt_under_a_foreign_key",
                  "CREATE TABLE t (id int, code text); CREATE UNIQUE INDEX t_code ON t (code);"
                  "CREATE TABLE c (code text, CONSTRAINT c_code_fkey FOREIGN KEY (code) REFERENCES "
                  "t (code));",
                  "CREATE TABLE t (id int, code text); CREATE UNIQUE INDEX t_code ON t (code) "
                  "INCLUDE (id);"
                  "CREATE TABLE c (code text, CONSTRAINT c_code_fkey FOREIGN KEY (code) REFERENCES "
                  "t (code));"},
        StatePair{"view_over_a_retyped_column",
                  "CREATE TABLE t (id int, v varchar(10)); CREATE VIEW w AS SELECT id, v FROM t;"
                  "CREATE VIEW w2 AS SELECT * FROM w;",
                  "CREATE TABLE t (id int, v text); CREATE VIEW w AS SELECT id, v FROM t;"
                  "CREATE VIEW w2 AS SELECT * FROM w;"},
        StatePair{
            "materialized_view_with_index",
            "CREATE TABLE t (id int, v int); CREATE MATERIALIZED VIEW m AS SELECT id FROM t;"
            "CREATE INDEX m_id ON m (id);",
            "CREATE TABLE t (id int, v int); CREATE MATERIALIZED VIEW m AS SELECT id, v FROM t;"
            "CREATE INDEX m_id ON m (id);"},
        StatePair{"partitions",
                  "CREATE TABLE p (id int, k int) PARTITION BY LIST (k);"
                  "CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1);",
                  "CREATE TABLE p (id int, k int, PRIMARY KEY (id, k)) PARTITION BY LIST (k);"
                  "CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1);"
                  "CREATE TABLE p2 PARTITION OF p FOR VALUES IN (2); CREATE INDEX p_k ON p (k);"},
        StatePair{"identity_and_generated_columns",
                  "CREATE TABLE t (id int GENERATED BY DEFAULT AS IDENTITY, a int, b int GENERATED "
                  "ALWAYS AS (a * 2) STORED);",
                  "CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY (START WITH 10), a int, b "
                  "int GENERATED ALWAYS AS (a * 3) STORED);"},
        StatePair{
            "domain_and_composite_types",
            "CREATE DOMAIN pos AS int CHECK (VALUE > 0); CREATE TYPE pair AS (a int, b text);"
            "CREATE TABLE t (n pos, p pair);",
            "CREATE DOMAIN pos AS int DEFAULT 1 NOT NULL CONSTRAINT pos_small CHECK (VALUE < 100);"
            "CREATE TYPE pair AS (a bigint, c text); CREATE TABLE t (n pos, p pair);"},
        StatePair{
            "functions_and_triggers",
            "CREATE TABLE t (id int, at timestamptz);"
            "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.at := now(); "
            "RETURN NEW; END$$;"
            "CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();",
            "CREATE TABLE t (id int, at timestamptz);"
            "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.at := "
            "clock_timestamp(); RETURN NEW; END$$;"
            "CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT a + "
            "b';"
            "CREATE TRIGGER t_touch BEFORE INSERT OR UPDATE ON t FOR EACH ROW EXECUTE FUNCTION "
            "touch();"
            "ALTER TABLE t DISABLE TRIGGER t_touch;"},
        StatePair{
            "enum_value_removed_with_default",
            "CREATE TYPE s AS ENUM ('a', 'b', 'c'); CREATE TABLE t (v s DEFAULT 'a', vs s[]);",
            "CREATE TYPE s AS ENUM ('a', 'c'); CREATE TABLE t (v s DEFAULT 'a', vs s[]);"},
        StatePair{"enum_values_added_first_and_between",
                  "CREATE TYPE s AS ENUM ('b', 'd'); CREATE TABLE t (v s);",
                  "CREATE TYPE s AS ENUM ('a', 'b', 'c', 'd', 'e'); CREATE TABLE t (v s);"},
        StatePair{"serial_sequence_and_comments", "CREATE TABLE t (id serial, v text);",
                  "CREATE TABLE t (id bigserial, v text); COMMENT ON TABLE t IS 'things';"
                  "COMMENT ON COLUMN t.v IS 'a value'; CREATE SEQUENCE counter INCREMENT BY 5;"},
        StatePair{
            "policies_and_rls",
            "CREATE TABLE t (id int, owner text); ALTER TABLE t ENABLE ROW LEVEL SECURITY;"
            "CREATE POLICY p_read ON t FOR SELECT USING (owner = current_user);",
            "CREATE TABLE t (id int, owner text); ALTER TABLE t ENABLE ROW LEVEL SECURITY;"
            "ALTER TABLE t FORCE ROW LEVEL SECURITY;"
            "CREATE POLICY p_read ON t AS RESTRICTIVE FOR SELECT USING (owner = current_user);"
            "CREATE POLICY p_write ON t FOR INSERT WITH CHECK (id > 0);"},
        StatePair{
            "check_not_valid_then_valid_and_renamed_index",
            "CREATE TABLE t (id int, v int); ALTER TABLE t ADD CONSTRAINT v_pos CHECK (v > 0) NOT "
            "VALID;"
            "CREATE INDEX old_name ON t (v);",
            "CREATE TABLE t (id int, v int); ALTER TABLE t ADD CONSTRAINT v_pos CHECK (v > 0);"
            "CREATE INDEX new_name ON t (v);"},
        StatePair{"schemas_and_extensions", "CREATE TABLE t (id int);",
                  "CREATE SCHEMA app; CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;"
                  "CREATE TABLE app.t (id int, name text); CREATE INDEX t_name ON app.t USING gin "
                  "(name gin_trgm_ops);"
                  "CREATE TABLE t (id int);"}),
    [](const auto &info) { return std::string(info.param.name); });

}  // namespace
