#include <gtest/gtest.h>
#include <simdjson.h>

#include "dbsafe/source.hpp"
#include "support/temp_dir.hpp"

using dbsafe::Layout;
using dbsafe::MigrationSet;
using dbsafe::testing::fixture;
using dbsafe::testing::read_file;

namespace {

std::vector<std::string> names(const MigrationSet &set) {
  std::vector<std::string> out;
  for (const auto &m : set.migrations()) out.push_back(m.name);
  return out;
}

TEST(SourceLayouts, PrismaDirectoriesInByteOrderWithLockProvider) {
  auto set = MigrationSet::open(fixture("prisma"));
  EXPECT_EQ(set.layout(), Layout::Prisma);
  ASSERT_TRUE(set.provider().has_value());
  EXPECT_EQ(*set.provider(), "postgresql");
  EXPECT_EQ(names(set),
            (std::vector<std::string>{"20240101000000_init", "20240102000000_add_posts"}));
  const auto &first = set.migrations()[0];
  EXPECT_EQ(first.version, "20240101000000");
  EXPECT_EQ(first.description, "init");
  EXPECT_EQ(first.path, "20240101000000_init/migration.sql");
  auto bytes = read_file(fixture("prisma/20240101000000_init/migration.sql"));
  EXPECT_EQ(first.sql, bytes);
  EXPECT_EQ(first.bytes, bytes.size());
  EXPECT_EQ(first.checksum, dbsafe::sha256_hex(bytes));
  EXPECT_EQ(set.root(), fixture("prisma"));
}

TEST(SourceLayouts, PlainSqlFilesSortedAndOtherFilesIgnored) {
  auto set = MigrationSet::open(fixture("plain"));
  EXPECT_EQ(set.layout(), Layout::Plain);
  EXPECT_EQ(names(set), (std::vector<std::string>{"001_create_a", "002_create_b", "010_add_name"}));
  EXPECT_FALSE(set.provider().has_value());
}

TEST(SourceLayouts, FlywayVersionsCompareNumericallyAndRepeatablesApart) {
  auto set = MigrationSet::open(fixture("flyway"));
  EXPECT_EQ(set.layout(), Layout::Flyway);
  EXPECT_EQ(names(set), (std::vector<std::string>{"V1__create_f", "V1.1__add_x", "V1.9__add_z",
                                                  "V1.10__add_y"}));
  EXPECT_EQ(set.migrations()[1].version, "1.1");
  EXPECT_EQ(set.migrations()[1].description, "add_x");
  EXPECT_EQ(set.migrations()[1].down_path.value_or(""), "U1.1__add_x.sql");
  ASSERT_EQ(set.repeatables().size(), 1u);
  EXPECT_EQ(set.repeatables()[0].description, "views");
}

TEST(SourceLayouts, DbmateSectionsAndTransactionOption) {
  auto set = MigrationSet::open(fixture("dbmate"));
  EXPECT_EQ(set.layout(), Layout::Dbmate);
  ASSERT_EQ(set.migrations().size(), 2u);
  const auto &first = set.migrations()[0];
  EXPECT_EQ(first.version, "20240101120000");
  EXPECT_EQ(first.sql, "CREATE TABLE d (id bigint);\n\n");
  EXPECT_EQ(first.down_sql.value_or(""), "DROP TABLE d;\n");
  EXPECT_TRUE(first.transactional);
  EXPECT_FALSE(set.migrations()[1].transactional);
  // The checksum covers the whole file, not just the up section.
  EXPECT_EQ(first.checksum,
            dbsafe::sha256_hex(read_file(fixture("dbmate/20240101120000_create_d.sql"))));
}

TEST(SourceLayouts, GolangMigrateUpAndDownPairedByNumericVersion) {
  auto set = MigrationSet::open(fixture("golang-migrate"));
  EXPECT_EQ(set.layout(), Layout::GolangMigrate);
  EXPECT_EQ(names(set),
            (std::vector<std::string>{"000001_create_g", "000002_add_n", "000010_add_m"}));
  EXPECT_EQ(set.migrations()[0].down_path.value_or(""), "000001_create_g.down.sql");
  EXPECT_EQ(set.migrations()[0].down_sql.value_or(""), "DROP TABLE g;\n");
  EXPECT_FALSE(set.migrations()[2].down_path.has_value());
}

TEST(SourceLayouts, ExplicitLayoutOverridesDetection) {
  dbsafe::SourceOptions options;
  options.layout = Layout::Plain;
  auto set = MigrationSet::open(fixture("golang-migrate"), options);
  EXPECT_EQ(set.layout(), Layout::Plain);
  EXPECT_EQ(set.migrations().size(), 5u);  // every .sql file, up and down alike
}

TEST(SourceLayouts, SingleSqlFileIsAOneMigrationSet) {
  auto set = MigrationSet::open(fixture("plain/002_create_b.sql"));
  ASSERT_EQ(set.migrations().size(), 1u);
  EXPECT_EQ(set.migrations()[0].name, "002_create_b");
  EXPECT_EQ(set.root(), fixture("plain"));
}

TEST(SourceLayouts, ProjectDirectoryLeadsToItsPrismaMigrations) {
  dbsafe::testing::TempDir dir;
  dir.write("app/prisma/migrations/migration_lock.toml", "provider = \"postgresql\"\n");
  dir.write("app/prisma/migrations/20240101000000_a/migration.sql", "SELECT 1;\n");
  dir.write("app/node_modules/x/prisma/migrations/migration_lock.toml", "provider = \"mysql\"\n");
  std::vector<std::string> logs;
  dbsafe::CallOptions call;
  call.log = [&](dbsafe::LogLevel, std::string_view, std::string_view m) { logs.emplace_back(m); };
  auto set = MigrationSet::open(dir.path(), {}, call);
  EXPECT_EQ(set.root(), dir.str() + "/app/prisma/migrations");
  EXPECT_EQ(set.migrations().size(), 1u);
  ASSERT_FALSE(logs.empty());
  EXPECT_EQ(logs[0], "found Prisma migrations in " + dir.str() + "/app/prisma/migrations");
}

TEST(SourceLayouts, DirectoryNamesWithSpacesAreOrderedByBytes) {
  dbsafe::testing::TempDir dir;
  dir.write("migration_lock.toml", "provider = \"postgresql\"\n");
  dir.write("20240101000000_a copy/migration.sql", "SELECT 2;\n");
  dir.write("20240101000000_a/migration.sql", "SELECT 1;\n");
  auto set = MigrationSet::open(dir.path());
  EXPECT_EQ(names(set), (std::vector<std::string>{"20240101000000_a", "20240101000000_a copy"}));
}

TEST(SourceLayouts, JsonListingIsValidAndComplete) {
  auto set = MigrationSet::open(fixture("flyway"));
  simdjson::padded_string json(set.to_json());
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(json);
  EXPECT_EQ(int64_t(doc["schema_version"]), 1);
  EXPECT_EQ(std::string_view(doc["layout"]), "flyway");
  EXPECT_TRUE(doc["provider"].is_null());
  EXPECT_EQ(uint64_t(doc["count"]), 4u);
  auto first = doc["migrations"].at(0);
  EXPECT_EQ(std::string_view(first["file"]), fixture("flyway") + "/V1__create_f.sql");
  EXPECT_EQ(std::string_view(first["checksum"]).size(), 64u);
  EXPECT_EQ(simdjson::dom::array(doc["repeatables"]).size(), 1u);
}

TEST(SourceLayouts, ProgressEventsAndAbort) {
  std::vector<std::string> events;
  dbsafe::CallOptions call;
  call.progress = [&](std::string_view e) {
    events.emplace_back(e);
    return true;
  };
  MigrationSet::open(fixture("prisma"), {}, call);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1],
            R"({"event":"migration_read","index":1,"total":2,"name":"20240102000000_add_posts"})");

  call.progress = [](std::string_view) { return false; };
  try {
    MigrationSet::open(fixture("prisma"), {}, call);
    FAIL() << "expected the callback to abort the call";
  } catch (const dbsafe::Error &e) {
    EXPECT_EQ(e.code(), dbsafe::ErrorCode::Callback);
  }
}

TEST(SourceLayouts, CancelTokenStopsTheCall) {
  auto token = std::make_shared<dbsafe::CancelToken>();
  token->request();
  dbsafe::CallOptions call;
  call.cancel = token;
  try {
    MigrationSet::open(fixture("prisma"), {}, call);
    FAIL() << "expected cancellation";
  } catch (const dbsafe::Error &e) {
    EXPECT_EQ(e.code(), dbsafe::ErrorCode::Cancelled);
  }
}

}  // namespace
