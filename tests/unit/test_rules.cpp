// Each rule of the catalogue on small SQL texts: where it fires (exact line
// and column of the statement's first token) and where it must stay silent,
// including the context exemptions of RULES.md.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dbsafe/check.hpp"
#include "support/temp_dir.hpp"

namespace {

struct Case {
  const char *name;
  const char *rule;
  const char *sql;
  std::vector<std::string> expected;  // "line:column" of each finding of `rule`
  dbsafe::Runner runner = dbsafe::Runner::Safe;
  int pg_version = 15;
};

std::vector<std::string> positions(const Case &c) {
  dbsafe::CheckOptions options;
  options.runner = c.runner;
  options.pg_version = c.pg_version;
  options.config_path = "-";
  options.enable = {c.rule};
  auto report = dbsafe::check_sql(c.sql, "m.sql", options);
  std::vector<std::string> out;
  for (const auto &f : report.findings)
    if (f.rule == c.rule) out.push_back(std::to_string(f.line) + ":" + std::to_string(f.column));
  return out;
}

class Rules : public ::testing::TestWithParam<Case> {};

TEST_P(Rules, FiresExactlyWhereExpected) {
  const auto &c = GetParam();
  EXPECT_EQ(positions(c), c.expected) << c.sql;
}

using R = dbsafe::Runner;

// A table that exists before the file (created by an earlier migration or
// already in the database) is simply one this file did not create.
const Case kCases[] = {
    // ---------------------------------------------------------------- A
    {"drop_table", "drop-table", "DROP TABLE users;", {"1:1"}},
    {"drop_table_if_exists_still_fires", "drop-table", "DROP TABLE IF EXISTS users;", {"1:1"}},
    {"drop_table_created_in_file", "drop-table", "CREATE TABLE t (id bigint);\nDROP TABLE t;", {}},
    {"drop_column", "drop-column", "-- comment\nALTER TABLE users\n  DROP COLUMN email;", {"2:1"}},
    {"drop_column_new_table",
     "drop-column",
     "CREATE TABLE t (a int, b int);\nALTER TABLE t DROP COLUMN b;",
     {}},
    {"drop_schema", "drop-schema", "DROP SCHEMA app CASCADE;", {"1:1"}},
    {"drop_database", "drop-database", "DROP DATABASE app;", {"1:1"}, R::Prisma},
    {"truncate", "truncate-table", "TRUNCATE users;", {"1:1"}},
    {"truncate_cascade", "truncate-cascade", "TRUNCATE a, b CASCADE;", {"1:1"}},
    {"truncate_no_cascade", "truncate-cascade", "TRUNCATE a;", {}},
    {"drop_sequence", "drop-sequence", "DROP SEQUENCE s;", {"1:1"}},
    {"recreate_table", "recreate-table", "DROP TABLE t;\nCREATE TABLE t (id bigint);", {"2:1"}},
    {"lossy_using",
     "lossy-type-change",
     "ALTER TABLE t ALTER COLUMN v TYPE int USING v::int;",
     {"1:1"}},
    {"drop_index_perf", "drop-index-perf", "DROP INDEX idx;", {"1:1"}},
    // ---------------------------------------------------------------- B
    {"rename_table", "rename-table", "ALTER TABLE a RENAME TO b;", {"1:1"}},
    {"rename_table_with_view",
     "rename-table",
     "ALTER TABLE a RENAME TO b;\nCREATE VIEW a AS SELECT * FROM b;",
     {}},
    {"rename_column", "rename-column", "ALTER TABLE a RENAME COLUMN x TO y;", {"1:1"}},
    {"rename_column_readded",
     "rename-column",
     "ALTER TABLE a RENAME COLUMN x TO y;\nALTER TABLE a ADD COLUMN x int GENERATED ALWAYS AS (y) "
     "STORED;",
     {}},
    {"rename_schema", "rename-schema", "ALTER SCHEMA a RENAME TO b;", {"1:1"}},
    {"rename_enum_value", "rename-enum-value", "ALTER TYPE s RENAME VALUE 'a' TO 'b';", {"1:1"}},
    {"drop_not_null", "drop-not-null", "ALTER TABLE t ALTER COLUMN c DROP NOT NULL;", {"1:1"}},
    {"add_required_column",
     "add-required-column",
     "ALTER TABLE t ADD COLUMN c text NOT NULL;",
     {"1:1"}},
    {"add_required_column_with_default",
     "add-required-column",
     "ALTER TABLE t ADD COLUMN c text NOT NULL DEFAULT '';",
     {}},
    {"add_required_column_new_table",
     "add-required-column",
     "CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN c text NOT NULL;",
     {}},
    {"enum_unordered", "enum-add-value-unordered", "ALTER TYPE s ADD VALUE 'c';", {"1:1"}},
    {"enum_ordered", "enum-add-value-unordered", "ALTER TYPE s ADD VALUE 'c' AFTER 'b';", {}},
    {"json_column", "json-column", "CREATE TABLE t (doc json);", {"1:1"}},
    {"jsonb_column", "json-column", "CREATE TABLE t (doc jsonb);", {}},
    // ---------------------------------------------------------------- C
    {"volatile_default",
     "add-column-volatile-default",
     "ALTER TABLE t ADD COLUMN id uuid DEFAULT gen_random_uuid();",
     {"1:1"}},
    {"constant_default_pg11",
     "add-column-volatile-default",
     "ALTER TABLE t ADD COLUMN n int DEFAULT 0;",
     {}},
    {"now_default_is_stable",
     "add-column-volatile-default",
     "ALTER TABLE t ADD COLUMN at timestamptz DEFAULT now();",
     {}},
    {"current_timestamp_default",
     "add-column-volatile-default",
     "ALTER TABLE t ADD COLUMN at timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;",
     {}},
    {"constant_default_pg10",
     "add-column-volatile-default",
     "ALTER TABLE t ADD COLUMN n int DEFAULT 0;",
     {"1:1"},
     R::Safe,
     10},
    {"nextval_default",
     "add-column-volatile-default",
     "ALTER TABLE t ADD COLUMN n int DEFAULT nextval('s');",
     {"1:1"}},
    {"serial_column", "add-column-volatile-default", "ALTER TABLE t ADD COLUMN n serial;", {"1:1"}},
    {"stored_generated",
     "add-column-stored-generated",
     "ALTER TABLE t ADD COLUMN g int GENERATED ALWAYS AS (a * 2) STORED;",
     {"1:1"}},
    {"identity_column",
     "add-column-identity",
     "ALTER TABLE t ADD COLUMN id bigint GENERATED BY DEFAULT AS IDENTITY;",
     {"1:1"}},
    {"constrained_domain",
     "add-column-constrained-domain",
     "CREATE DOMAIN pos AS int CHECK (VALUE > 0);\nALTER TABLE t ADD COLUMN p pos;",
     {"2:1"}},
    {"type_change_unknown",
     "change-column-type",
     "ALTER TABLE t ALTER COLUMN c TYPE bigint;",
     {"1:1"}},
    {"type_change_widening_varchar",
     "change-column-type",
     "CREATE TABLE t (c varchar(10));\nCOMMIT;\nALTER TABLE t ALTER COLUMN c TYPE varchar(20);",
     {}},
    {"type_change_collation",
     "change-column-collation",
     "ALTER TABLE t ALTER COLUMN c TYPE text COLLATE \"C\";",
     {"1:1"}},
    {"set_unlogged", "set-logged-unlogged", "ALTER TABLE t SET UNLOGGED;", {"1:1"}},
    {"set_tablespace", "set-tablespace", "ALTER TABLE t SET TABLESPACE fast;", {"1:1"}},
    {"vacuum_full", "vacuum-full-or-cluster", "VACUUM FULL t;", {"1:1"}},
    {"cluster", "vacuum-full-or-cluster", "CLUSTER t USING t_pkey;", {"1:1"}},
    {"refresh_blocking", "refresh-matview-blocking", "REFRESH MATERIALIZED VIEW mv;", {"1:1"}},
    {"refresh_concurrently",
     "refresh-matview-blocking",
     "REFRESH MATERIALIZED VIEW CONCURRENTLY mv;",
     {}},
    // ---------------------------------------------------------------- D
    {"create_index_blocking", "create-index-blocking", "CREATE INDEX i ON t (a);", {"1:1"}},
    {"create_index_concurrently",
     "create-index-blocking",
     "CREATE INDEX CONCURRENTLY i ON t (a);",
     {}},
    {"create_index_same_transaction",
     "create-index-blocking",
     "CREATE TABLE t (a int);\nCREATE INDEX i ON t (a);",
     {}},
    {"create_index_prisma_same_file",
     "create-index-blocking",
     "CREATE TABLE t (a int);\nCREATE INDEX i ON t (a);",
     {},
     R::Prisma},
    {"drop_index_blocking", "drop-index-blocking", "DROP INDEX i;", {"1:1"}},
    {"drop_index_concurrently", "drop-index-blocking", "DROP INDEX CONCURRENTLY i;", {}},
    {"reindex_blocking", "reindex-blocking", "REINDEX TABLE t;", {"1:1"}},
    {"reindex_concurrently", "reindex-blocking", "REINDEX TABLE CONCURRENTLY t;", {}},
    {"add_unique_constraint",
     "add-unique-constraint",
     "ALTER TABLE t ADD CONSTRAINT u UNIQUE (a);",
     {"1:1"}},
    {"add_unique_using_index",
     "add-unique-constraint",
     "ALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX i;",
     {}},
    {"unique_may_fail", "unique-may-fail", "CREATE UNIQUE INDEX CONCURRENTLY u ON t (a);", {"1:1"}},
    {"unique_on_new_column",
     "unique-may-fail",
     "ALTER TABLE t ADD COLUMN a int;\nALTER TABLE t ADD CONSTRAINT u UNIQUE (a);",
     {}},
    {"add_primary_key", "add-primary-key", "ALTER TABLE t ADD PRIMARY KEY (id);", {"1:1"}},
    {"add_primary_key_using_index",
     "add-primary-key",
     "ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX i;",
     {}},
    {"add_exclusion",
     "add-exclusion-constraint",
     "ALTER TABLE t ADD CONSTRAINT x EXCLUDE USING gist (r WITH &&);",
     {"1:1"}},
    {"add_check_blocking",
     "add-check-blocking",
     "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);",
     {"1:1"}},
    {"add_check_not_valid",
     "add-check-blocking",
     "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;",
     {}},
    {"add_fk_blocking",
     "add-foreign-key-blocking",
     "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (u) REFERENCES u (id);",
     {"1:1"}},
    {"add_fk_not_valid",
     "add-foreign-key-blocking",
     "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (u) REFERENCES u (id) NOT VALID;",
     {}},
    {"add_fk_both_new",
     "add-foreign-key-blocking",
     "CREATE TABLE u (id int);\nCREATE TABLE t (u int);\nALTER TABLE t ADD CONSTRAINT f FOREIGN "
     "KEY (u) REFERENCES u (id);",
     {}},
    {"validate_same_transaction",
     "validate-in-same-transaction",
     "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT "
     "c;",
     {"2:1"}},
    {"validate_after_fk_same_transaction",
     "validate-in-same-transaction",
     "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (u) REFERENCES u (id) NOT VALID;\nALTER TABLE t "
     "VALIDATE CONSTRAINT f;",
     {"2:1"}},
    {"validate_separate_transaction",
     "validate-in-same-transaction",
     "BEGIN;\nALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (u) REFERENCES u (id) NOT VALID;\nCOMMIT;"
     "\nBEGIN;\nALTER TABLE t VALIDATE CONSTRAINT f;\nCOMMIT;",
     {}},
    {"set_not_null_blocking",
     "set-not-null-blocking",
     "ALTER TABLE t ALTER COLUMN c SET NOT NULL;",
     {"1:1"}},
    {"set_not_null_after_check",
     "set-not-null-blocking",
     "BEGIN;\nALTER TABLE t ADD CONSTRAINT c_nn CHECK (c IS NOT NULL) NOT VALID;\nCOMMIT;\nBEGIN;"
     "\nALTER TABLE t VALIDATE CONSTRAINT c_nn;\nCOMMIT;\nBEGIN;\nALTER TABLE t ALTER COLUMN c SET "
     "NOT NULL;\nALTER TABLE t DROP CONSTRAINT c_nn;\nCOMMIT;",
     {}},
    {"set_not_null_may_fail",
     "set-not-null-may-fail",
     "ALTER TABLE t ALTER COLUMN c SET NOT NULL;",
     {"1:1"}},
    {"set_not_null_after_backfill",
     "set-not-null-may-fail",
     "UPDATE t SET c = 0 WHERE c IS NULL;\nALTER TABLE t ALTER COLUMN c SET NOT NULL;",
     {}},
    {"detach_blocking", "detach-partition-blocking", "ALTER TABLE p DETACH PARTITION p1;", {"1:1"}},
    {"detach_concurrently",
     "detach-partition-blocking",
     "ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY;",
     {}},
    {"attach_scan",
     "attach-partition-scan",
     "ALTER TABLE p ATTACH PARTITION p1 FOR VALUES FROM (1) TO (2);",
     {"1:1"}},
    {"create_partition_of",
     "create-partition-of",
     "CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (1) TO (2);",
     {"1:1"}},
    {"create_trigger",
     "create-trigger-existing-table",
     "CREATE TRIGGER tr BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f();",
     {"1:1"}},
    {"drop_trigger", "drop-trigger", "DROP TRIGGER tr ON t;", {"1:1"}},
    {"lock_table", "explicit-lock-table", "BEGIN;\nLOCK TABLE t;\nCOMMIT;", {"2:1"}},
    {"dml_unbounded", "dml-in-ddl-transaction", "UPDATE t SET a = 1;", {"1:1"}},
    {"dml_after_ddl",
     "dml-in-ddl-transaction",
     "ALTER TABLE t ADD COLUMN a int;\nUPDATE t SET a = 1 WHERE id < 100;",
     {"2:1"}},
    {"statement_after_ae",
     "statement-after-access-exclusive",
     "ALTER TABLE t ADD COLUMN a int;\nCREATE TABLE u (id int);",
     {"2:1"}},
    {"multiple_alter",
     "multiple-alter-same-table",
     "ALTER TABLE t ADD COLUMN a int;\nALTER TABLE t ADD COLUMN b int;",
     {"2:1"}},
    {"replica_identity",
     "replica-identity-change",
     "ALTER TABLE t REPLICA IDENTITY FULL;",
     {"1:1"}},
    {"disable_autovacuum",
     "disable-autovacuum",
     "ALTER TABLE t SET (autovacuum_enabled = false);",
     {"1:1"}},
    {"authz_policy", "authz-change", "CREATE POLICY p ON t USING (true);", {"1:1"}},
    {"authz_rls", "authz-change", "ALTER TABLE t ENABLE ROW LEVEL SECURITY;", {"1:1"}},
    // ---------------------------------------------------------------- E
    {"missing_lock_timeout_prisma",
     "missing-lock-timeout",
     "ALTER TABLE t ADD COLUMN a int;\nALTER TABLE u ADD COLUMN b int;",
     {"1:1"},
     R::Prisma},
    {"lock_timeout_set",
     "missing-lock-timeout",
     "SET lock_timeout = '2s';\nALTER TABLE t ADD COLUMN a int;",
     {},
     R::Prisma},
    {"lock_timeout_safe_runner_sets_it",
     "missing-lock-timeout",
     "ALTER TABLE t ADD COLUMN a int;",
     {}},
    {"cic_in_transaction_prisma",
     "non-transactional-in-transaction",
     "CREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY i ON t (a);",
     {"2:1"},
     R::Prisma},
    {"cic_alone_prisma",
     "non-transactional-in-transaction",
     "-- CreateIndex\nCREATE INDEX CONCURRENTLY i ON t (a);",
     {},
     R::Prisma},
    {"cic_safe_runner_runs_it_outside",
     "non-transactional-in-transaction",
     "CREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY i ON t (a);",
     {}},
    {"cic_in_explicit_begin",
     "non-transactional-in-transaction",
     "BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;",
     {"2:1"}},
    {"analyze_may_run_in_transaction",
     "non-transactional-in-transaction",
     "CREATE TABLE a (id int);\nANALYZE t;",
     {},
     R::Prisma},
    {"vacuum_in_transaction",
     "non-transactional-in-transaction",
     "CREATE TABLE a (id int);\nVACUUM t;",
     {"2:1"},
     R::Prisma},
    {"mixed",
     "mixed-transactional-statements",
     "CREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY i ON t (a);",
     {"2:1"}},
    {"nesting_second_begin", "transaction-nesting", "BEGIN;\nBEGIN;\nCOMMIT;", {"2:1"}},
    {"nesting_stray_commit", "transaction-nesting", "SELECT 1;\nCOMMIT;", {"2:1"}},
    {"uncommitted", "uncommitted-transaction", "BEGIN;\nCREATE TABLE a (id int);", {"1:1"}},
    {"committed", "uncommitted-transaction", "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;", {}},
    {"non_idempotent_outside_transaction",
     "non-idempotent-statement",
     "CREATE INDEX CONCURRENTLY i ON t (a);\nCREATE INDEX CONCURRENTLY j ON t (b);",
     {"1:1", "2:1"}},
    {"lone_statement_is_atomic",
     "non-idempotent-statement",
     "ALTER TABLE t ADD COLUMN b text;",
     {},
     R::Prisma},
    {"add_constraint_not_rerunnable",
     "non-idempotent-statement",
     "BEGIN;\nSELECT 1;\nCOMMIT;\nALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;",
     {"4:1"}},
    {"add_constraint_after_drop",
     "non-idempotent-statement",
     "BEGIN;\nSELECT 1;\nCOMMIT;\nALTER TABLE t DROP CONSTRAINT IF EXISTS c;\nALTER TABLE t ADD "
     "CONSTRAINT c CHECK (a > 0) NOT VALID;",
     {}},
    {"prisma_implicit_transaction_after_commit",
     "create-index-blocking",
     "BEGIN;\nALTER TABLE t ADD COLUMN c text;\nCOMMIT;\nCREATE TABLE w (id bigint);\nCREATE INDEX "
     "w_i ON w (id);",
     {},
     R::Prisma},
    {"prisma_after_commit_still_one_transaction",
     "multiple-alter-same-table",
     "BEGIN;\nSELECT 1;\nCOMMIT;\nALTER TABLE t ADD COLUMN d text;\nALTER TABLE t ADD COLUMN e "
     "text;",
     {"5:1"},
     R::Prisma},
    {"drop_view_needs_lock_timeout", "missing-lock-timeout", "DROP VIEW v;", {"1:1"}, R::Prisma},
    {"idempotent_outside_transaction",
     "non-idempotent-statement",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);",
     {}},
    {"non_idempotent_inside_transaction",
     "non-idempotent-statement",
     "CREATE TABLE t (a int);",
     {}},
    {"unqualified_name", "require-schema-qualified-names", "CREATE TABLE t (a int);", {"1:1"}},
    {"qualified_name", "require-schema-qualified-names", "CREATE TABLE app.t (a int);", {}},
    {"cic_if_not_exists",
     "cic-invalid-index-on-retry",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);",
     {"1:1"}},
    {"do_block_drop_table", "drop-table", "DO $$ BEGIN\n  DROP TABLE legacy;\nEND $$;", {"1:1"}},
    {"do_block_dynamic",
     "unanalyzable-sql",
     "DO $$ BEGIN EXECUTE 'DROP TABLE ' || 'x'; END $$;",
     {"1:1"}},
    {"analyze_after_type_change",
     "missing-analyze-after-type-change",
     "ALTER TABLE t ALTER COLUMN c TYPE bigint;",
     {"1:1"}},
    {"analyzed_after_type_change",
     "missing-analyze-after-type-change",
     "ALTER TABLE t ALTER COLUMN c TYPE bigint;\nANALYZE t;",
     {}},
    {"extension_drop", "extension-change", "DROP EXTENSION pg_trgm;", {"1:1"}},
    // ---------------------------------------------------------------- F
    {"varchar_n", "prefer-text-over-varchar-n", "CREATE TABLE t (a varchar(20), b text);", {"1:1"}},
    {"char_field", "ban-char-field", "CREATE TABLE t (a char(2));", {"1:1"}},
    {"int_column", "prefer-bigint-over-int", "CREATE TABLE t (a int, b bigint);", {"1:1"}},
    {"smallint_column", "prefer-bigint-over-smallint", "CREATE TABLE t (a smallint);", {"1:1"}},
    {"serial_identity", "prefer-identity", "CREATE TABLE t (id bigserial);", {"1:1"}},
    {"timestamp", "prefer-timestamptz", "CREATE TABLE t (at timestamp(3));", {"1:1"}},
    {"timestamptz", "prefer-timestamptz", "CREATE TABLE t (at timestamptz);", {}},
    {"identifier_too_long",
     "identifier-too-long",
     "CREATE TABLE t (a_very_long_column_name_that_goes_on_and_on_and_on_past_sixty_three int);",
     {"1:1"}},
    {"duplicate_insert_column",
     "duplicate-column-assignment",
     "INSERT INTO t (a, a) VALUES (1, 2);",
     {"1:1"}},
    {"fk_missing_index",
     "fk-missing-index",
     "CREATE TABLE u (id int PRIMARY KEY);\nCREATE TABLE t (u int REFERENCES u (id));",
     {"2:1"}},
    {"fk_with_index",
     "fk-missing-index",
     "CREATE TABLE u (id int PRIMARY KEY);\nCREATE TABLE t (u int REFERENCES u (id));\nCREATE "
     "INDEX t_u ON t (u);",
     {}},
    {"avoid_enum", "avoid-enum-type", "CREATE TYPE s AS ENUM ('a');", {"1:1"}},
    {"wide_index",
     "wide-non-unique-index",
     "CREATE INDEX CONCURRENTLY i ON t (a, b, c, d);",
     {"1:1"}},
    {"domain_constraint",
     "domain-with-constraint",
     "CREATE DOMAIN d AS int CHECK (VALUE > 0);",
     {"1:1"}},
    {"syntax_error", "syntax-error", "SELECT 1;\nSELEC 2;\nSELECT 3;", {"2:1"}},
};

INSTANTIATE_TEST_SUITE_P(Catalogue, Rules, ::testing::ValuesIn(kCases),
                         [](const auto &info) { return std::string(info.param.name); });

dbsafe::CheckReport run(const std::string &sql, dbsafe::CheckOptions options = {}) {
  options.config_path = "-";
  return dbsafe::check_sql(sql, "m.sql", options);
}

// Facts from earlier files of the set decide `snap:` conditions.
std::vector<std::string> across_files(const std::string &first, const std::string &second,
                                      const char *rule) {
  dbsafe::testing::TempDir dir;
  dir.write("001_first.sql", first);
  dir.write("002_second.sql", second);
  dbsafe::CheckOptions options;
  options.config_path = "-";
  auto report = dbsafe::check({dir.str()}, options);
  std::vector<std::string> out;
  for (const auto &f : report.findings)
    if (f.rule == rule)
      out.push_back(f.migration + ":" + std::to_string(f.line) + ":" + dbsafe::level_name(f.level));
  return out;
}

using V = std::vector<std::string>;

TEST(AcrossFiles, DropForeignKeyKnownFromAnEarlierFile) {
  EXPECT_EQ(across_files("CREATE TABLE u (id int PRIMARY KEY);\nCREATE TABLE t (u int, CONSTRAINT "
                         "t_u_fkey FOREIGN KEY (u) REFERENCES u (id));",
                         "ALTER TABLE t DROP CONSTRAINT t_u_fkey;", "drop-foreign-key"),
            V{"002_second:1:info"});
  // An unknown constraint's kind is unknown: silent (clarification 3).
  EXPECT_EQ(
      across_files("SELECT 1;", "ALTER TABLE t DROP CONSTRAINT t_u_fkey;", "drop-foreign-key"),
      V{});
}

TEST(AcrossFiles, TypeChanges) {
  const char *create = "CREATE TABLE t (v varchar(100), a int CONSTRAINT a_pos CHECK (a > 0));";
  EXPECT_EQ(
      across_files(create, "ALTER TABLE t ALTER COLUMN v TYPE varchar(10);", "lossy-type-change"),
      V{"002_second:1:error"});
  EXPECT_EQ(
      across_files(create, "ALTER TABLE t ALTER COLUMN v TYPE varchar(200);", "change-column-type"),
      V{});
  EXPECT_EQ(across_files(create, "ALTER TABLE t ALTER COLUMN v TYPE text;", "change-column-type"),
            V{});
  EXPECT_EQ(across_files(create, "ALTER TABLE t ALTER COLUMN a TYPE bigint;", "change-column-type"),
            V{"002_second:1:warning"});
  EXPECT_EQ(across_files(create, "ALTER TABLE t ALTER COLUMN a TYPE bigint;",
                         "type-change-revalidates-checks"),
            V{"002_second:1:warning"});
}

TEST(AcrossFiles, TimeZoneConversionIsARewriteButNotLossy) {
  const char *create = "CREATE TABLE t (at timestamp(3));";
  const char *change =
      "ALTER TABLE t ALTER COLUMN at SET DATA TYPE TIMESTAMPTZ(3) USING at AT TIME ZONE 'UTC';";
  EXPECT_EQ(across_files(create, change, "lossy-type-change"), V{});
  EXPECT_EQ(across_files(create, change, "change-column-type"), V{"002_second:1:warning"});
}

TEST(AcrossFiles, EnumLabelRemovalPrismaStyle) {
  EXPECT_EQ(across_files("CREATE TYPE \"Status\" AS ENUM ('A', 'B', 'C');\nCREATE TABLE t (s "
                         "\"Status\");",
                         "CREATE TYPE \"Status_new\" AS ENUM ('A', 'B');\nALTER TABLE t ALTER "
                         "COLUMN s TYPE \"Status_new\" USING (s::text::\"Status_new\");\nDROP TYPE "
                         "\"Status\";\nALTER TYPE \"Status_new\" RENAME TO \"Status\";",
                         "enum-value-removal"),
            V{"002_second:2:error"});
}

TEST(AcrossFiles, PartitionedTableIndex) {
  const char *create = "CREATE TABLE p (d date) PARTITION BY RANGE (d);";
  EXPECT_EQ(across_files(create, "CREATE INDEX i ON p (d);", "index-on-partitioned-table"),
            V{"002_second:1:warning"});
  EXPECT_EQ(across_files(create, "CREATE INDEX i ON ONLY p (d);", "index-on-partitioned-table"),
            V{});
}

TEST(AcrossFiles, PrimaryKeys) {
  EXPECT_EQ(across_files("CREATE TABLE t (id int);", "ALTER TABLE t ADD PRIMARY KEY (id);",
                         "pk-implicit-not-null"),
            V{"002_second:1:warning"});
  EXPECT_EQ(across_files("CREATE TABLE t (id int NOT NULL);", "ALTER TABLE t ADD PRIMARY KEY (id);",
                         "pk-implicit-not-null"),
            V{});
  EXPECT_EQ(across_files("CREATE TABLE t (id int PRIMARY KEY);",
                         "ALTER TABLE t DROP CONSTRAINT t_pkey;", "primary-key-change"),
            V{"002_second:1:warning"});
  // The documented one-statement swap is info.
  EXPECT_EQ(across_files("CREATE TABLE t (id int PRIMARY KEY);",
                         "ALTER TABLE t DROP CONSTRAINT t_pkey, ADD CONSTRAINT t_pkey PRIMARY KEY "
                         "USING INDEX t_id2;",
                         "primary-key-change"),
            V{"002_second:1:info"});
}

TEST(AcrossFiles, CheckConstraintDropAndTheNotNullRecipe) {
  const char *create = "CREATE TABLE t (a int CONSTRAINT a_pos CHECK (a > 0));";
  EXPECT_EQ(across_files(create, "ALTER TABLE t DROP CONSTRAINT a_pos;", "drop-check-constraint"),
            V{"002_second:1:info"});
}

TEST(AcrossFiles, IndexOnTableCreatedEarlierInTheFileIsDowngraded) {
  // Committed in the same file: visible but unused, so a level lower.
  EXPECT_EQ(across_files("SELECT 1;",
                         "BEGIN;\nCREATE TABLE t (a int);\nCOMMIT;\nBEGIN;\nCREATE INDEX i ON t "
                         "(a);\nCOMMIT;",
                         "create-index-blocking"),
            V{"002_second:5:info"});
  // A table created by an earlier file is pre-existing.
  EXPECT_EQ(
      across_files("CREATE TABLE t (a int);", "CREATE INDEX i ON t (a);", "create-index-blocking"),
      V{"002_second:1:warning"});
}

TEST(RuleLevels, DataLossIsAnErrorAndHygieneIsInfo) {
  auto r = run("DROP TABLE users;\nCREATE TABLE t (a int);");
  ASSERT_GE(r.findings.size(), 2u);
  for (const auto &f : r.findings) {
    if (f.rule == "drop-table") {
      EXPECT_EQ(f.level, dbsafe::Level::Error);
    }
    if (f.rule == "prefer-bigint-over-int") {
      EXPECT_EQ(f.level, dbsafe::Level::Info);
    }
  }
  EXPECT_TRUE(r.summary.failed);
}

TEST(RuleLevels, EmptyTableTurnsDataLossIntoInfoAndLargeTableRaisesLocks) {
  dbsafe::CheckOptions options;
  dbsafe::Stats stats;
  stats.tables["public.users"].row_estimate = 0;
  stats.tables["public.users"].empty = true;
  stats.tables["public.events"].row_estimate = 5e6;
  stats.tables["public.events"].total_bytes = 4ll << 30;
  options.stats = stats;
  auto r = run("DROP TABLE users;\nCREATE INDEX i ON events (at);", options);
  bool saw_drop = false, saw_index = false;
  for (const auto &f : r.findings) {
    if (f.rule == "drop-table") {
      saw_drop = true;
      EXPECT_EQ(f.level, dbsafe::Level::Info);
      ASSERT_TRUE(f.impact.has_value());
      EXPECT_EQ(f.impact->empty, true);
    }
    if (f.rule == "create-index-blocking") {
      saw_index = true;
      EXPECT_EQ(f.level, dbsafe::Level::Error);
      ASSERT_TRUE(f.impact.has_value());
      EXPECT_NEAR(f.impact->estimated_lock_seconds, 4.0 * 1024 / 100, 0.01);
    }
  }
  EXPECT_TRUE(saw_drop);
  EXPECT_TRUE(saw_index);
}

TEST(Waivers, ReasonedWaiverSilencesAndOthersAreReported) {
  auto r =
      run("-- dbsafe:ignore drop-table reason: archived in ticket OPS-12\nDROP TABLE users;\n"
          "-- dbsafe:ignore drop-column\nALTER TABLE t DROP COLUMN c;\n"
          "-- dbsafe:ignore no-such-rule reason: typo\nSELECT 1;\n"
          "-- dbsafe:ignore truncate-table reason: nothing to waive\nSELECT 2;\n");
  std::vector<std::string> rules;
  for (const auto &f : r.findings) rules.push_back(f.rule + "@" + std::to_string(f.line));
  auto has = [&](const std::string &s) {
    return std::find(rules.begin(), rules.end(), s) != rules.end();
  };
  EXPECT_FALSE(has("drop-table@2"));
  EXPECT_TRUE(has("drop-column@4"));  // no reason: not honoured
  EXPECT_TRUE(has("waiver-without-reason@3"));
  EXPECT_TRUE(has("unknown-rule-in-ignore@5"));
  EXPECT_TRUE(has("unused-waiver@7"));
}

// The forms a waiver comment takes in practice: after code on the same line,
// several ids with commas and spaces, tabs, CRLF line ends, an empty reason
// (reported, not honoured), and comments that only look like waivers.
TEST(Waivers, CommentFormsAreReadLikeTheDocumentedSyntax) {
  auto r = run(
      "DROP TABLE a; -- dbsafe:ignore drop-table reason: same line\n"
      "--dbsafe:ignore\tdrop-column, rename-column reason:\tlegacy\r\n"
      "ALTER TABLE t DROP COLUMN c;\n"
      "-- dbsafe:ignore drop-table reason:   \n"
      "DROP TABLE b;\n"
      "-- see -- dbsafe:ignore truncate-table reason: the second dash pair counts\n"
      "TRUNCATE c;\n"
      "-- dbsafe:ignoredrop-table reason: no space, no waiver\n"
      "DROP TABLE d;\n"
      "-- dbsafe:ignore drop-table (not a list) reason: x\n"
      "DROP TABLE e;\n");
  std::vector<std::string> rules;
  for (const auto &f : r.findings) rules.push_back(f.rule + "@" + std::to_string(f.line));
  auto has = [&](const std::string &s) {
    return std::find(rules.begin(), rules.end(), s) != rules.end();
  };
  EXPECT_FALSE(has("drop-table@1"));
  EXPECT_FALSE(has("drop-column@3"));
  EXPECT_FALSE(has("unused-waiver@2"));  // used: one of its ids matched
  EXPECT_TRUE(has("waiver-without-reason@4"));
  EXPECT_TRUE(has("drop-table@5"));
  EXPECT_FALSE(has("truncate-table@7"));
  EXPECT_TRUE(has("drop-table@9"));
  EXPECT_TRUE(has("drop-table@11"));
  EXPECT_FALSE(has("waiver-without-reason@8"));
  EXPECT_FALSE(has("unused-waiver@10"));
}

TEST(Waivers, FileWaiver) {
  auto r =
      run("-- dbsafe:ignore-file drop-column reason: columns unused since v2\nALTER TABLE t DROP "
          "COLUMN a;\nALTER TABLE t DROP COLUMN b;\n");
  for (const auto &f : r.findings) EXPECT_NE(f.rule, "drop-column");
}

TEST(Report, JsonCarriesEveryFieldAndStableFingerprints) {
  auto a = run("ALTER TABLE users DROP COLUMN email;");
  auto b = run("ALTER TABLE users DROP COLUMN email;");
  ASSERT_FALSE(a.findings.empty());
  EXPECT_EQ(a.findings[0].fingerprint, b.findings[0].fingerprint);
  EXPECT_EQ(a.findings[0].fingerprint.size(), 32u);
  auto json = a.to_json();
  for (const char *key :
       {"\"rule\":\"drop-column\"", "\"severity\":[\"data-loss\",\"backward-incompatible\"]",
        "\"level\":\"error\"", "\"file\":\"m.sql\"", "\"line\":1", "\"column\":1", "\"end_line\":1",
        "\"statement\":\"ALTER TABLE users DROP COLUMN email\"",
        "\"objects\":[\"public.users.email\"]", "\"lock\":\"ACCESS EXCLUSIVE\"",
        "\"rewrite\":false", "\"schema_version\":1", "\"failed\":true"})
    EXPECT_NE(json.find(key), std::string::npos) << key << " in " << json;
}

}  // namespace

namespace {

TEST(Config, LevelsEnableAndPerPathOverrides) {
  dbsafe::testing::TempDir dir;
  dir.write("dbsafe.toml",
            "runner = \"prisma\"\n"
            "enable = [\"non-idempotent-statement\"]\n"
            "[rules]\n"
            "drop-column = \"warning\"\n"
            "prefer-bigint-over-int = \"off\"\n"
            "[[overrides]]\n"
            "paths = [\"migrations/002_*\"]\n"
            "rules = { \"drop-column\" = \"error\" }\n");
  dir.write("migrations/001_a.sql", "ALTER TABLE t DROP COLUMN a;\nCREATE TABLE u (id int);\n");
  dir.write("migrations/002_b.sql", "ALTER TABLE t DROP COLUMN b;\n");
  auto report = dbsafe::check({dir.str() + "/migrations"});
  EXPECT_EQ(report.summary.runner, dbsafe::Runner::Prisma);
  std::map<std::string, std::string> levels;
  for (const auto &f : report.findings)
    levels[f.migration + ":" + f.rule] = dbsafe::level_name(f.level);
  EXPECT_EQ(levels["001_a:drop-column"], "warning");
  EXPECT_EQ(levels["002_b:drop-column"], "error");
  EXPECT_EQ(levels.count("001_a:prefer-bigint-over-int"), 0u);
  // An option given by the caller wins over the file.
  dbsafe::CheckOptions options;
  options.rule_levels["drop-column"] = dbsafe::Level::Info;
  for (const auto &f : dbsafe::check({dir.str() + "/migrations"}, options).findings) {
    if (f.rule == "drop-column") {
      EXPECT_EQ(f.level, dbsafe::Level::Info);
    }
  }
}

TEST(Config, ErrorsNameTheFileLineAndWhatToDo) {
  dbsafe::testing::TempDir dir;
  dir.write("m/001.sql", "SELECT 1;\n");
  dir.write("dbsafe.toml", "[rules]\ndrop-colum = \"error\"\n");
  try {
    dbsafe::check({dir.str() + "/m"});
    FAIL() << "expected an unknown rule error";
  } catch (const dbsafe::Error &e) {
    EXPECT_EQ(e.code(), dbsafe::ErrorCode::Invalid);
    EXPECT_EQ(e.message(), dir.str() +
                               "/dbsafe.toml: unknown rule \"drop-colum\"; see "
                               "docs/rules.md for the rule ids");
    EXPECT_EQ(e.line(), 2u);
  }
  dir.write("dbsafe.toml", "[rules]\ndrop-column = \"loud\"\n");
  try {
    dbsafe::check({dir.str() + "/m"});
    FAIL() << "expected a bad level error";
  } catch (const dbsafe::Error &e) {
    EXPECT_EQ(e.message(), dir.str() +
                               "/dbsafe.toml: rules.drop-column must be \"off\", \"info\", "
                               "\"warning\" or \"error\"");
  }
  dir.write("dbsafe.toml", "runner = \n");
  try {
    dbsafe::check({dir.str() + "/m"});
    FAIL() << "expected a parse error";
  } catch (const dbsafe::Error &e) {
    EXPECT_EQ(e.code(), dbsafe::ErrorCode::Parse);
    EXPECT_EQ(e.line(), 1u);
  }
}

TEST(PullRequestMode, OnlyNewMigrationsAreReportedAndOrderIsChecked) {
  dbsafe::testing::TempDir dir;
  dir.write("001_a.sql", "CREATE TABLE t (id bigint, a text);\n");
  dir.write("002_b.sql", "ALTER TABLE t DROP COLUMN a;\n");
  dir.write("003_c.sql", "DROP TABLE t;\n");
  dbsafe::CheckOptions options;
  options.config_path = "-";
  options.only_migrations = std::vector<std::string>{"002_b"};
  auto report = dbsafe::check({dir.str()}, options);
  std::vector<std::string> rules;
  for (const auto &f : report.findings) rules.push_back(f.migration + ":" + f.rule);
  EXPECT_EQ(rules, (std::vector<std::string>{"002_b:non-linear-migration", "002_b:drop-column"}));
  EXPECT_EQ(report.summary.files, 1u);
}

}  // namespace
