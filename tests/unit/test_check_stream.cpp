// The fast paths of `check` give what the plain ones gave: a large text
// parsed in runs on two threads, findings handed over file by file, and
// files read on two threads.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "analyze/check_stream.hpp"
#include "analyze/sql_parser.hpp"
#include "dbsafe/call.hpp"
#include "dbsafe/check.hpp"
#include "dbsafe/source.hpp"
#include "support/temp_dir.hpp"
#include "util/json_writer.hpp"

namespace {

using dbsafe::testing::TempDir;

// Statements the scanner splits differently from the parser (BEGIN ATOMIC
// bodies hold semicolons), a semicolon in a literal, comments between
// statements: whatever runs the text is cut into, each statement must come
// out where a parse of the unit alone puts it.
constexpr const char *kUnit =
    "-- CreateTable\n"
    "CREATE TABLE \"T\" (\"id\" TEXT NOT NULL, \"note\" VARCHAR(20) DEFAULT 'a;b');\n"
    "/* a block comment ; with a semicolon */\n"
    "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\n"
    "ALTER TABLE \"T\" ADD COLUMN \"n\" INTEGER;\n"
    "CREATE INDEX \"T_n_idx\" ON \"T\"(\"n\");\n";

// A node's text without its "location" fields, which count from the start of
// the text libpg_query was given (nothing reads them).
std::string without_locations(dbsafe::analyze::Node body) {
  static const std::regex location(R"("location":[0-9]+,?)");
  return std::regex_replace(simdjson::to_string(body), location, "");
}

// The writer skips eight clean bytes at a time; every byte value at every
// position of a word must still come out as the byte-by-byte rules say.
TEST(JsonString, EveryByteAtEveryPositionIsEscapedAsByItself) {
  auto escaped_alone = [](unsigned char c) {
    std::string one;
    dbsafe::util::append_json_string(one, std::string(1, static_cast<char>(c)));
    return one.substr(1, one.size() - 2);
  };
  for (int c = 0; c < 256; ++c) {
    for (std::size_t at = 0; at < 17; ++at) {
      std::string text(17, 'a');
      text[at] = static_cast<char>(c);
      std::string out;
      dbsafe::util::append_json_string(out, text);
      std::string expected =
          "\"" + std::string(at, 'a') + escaped_alone(c) + std::string(16 - at, 'a') + "\"";
      ASSERT_EQ(out, expected) << "byte " << c << " at " << at;
    }
  }
  std::string out;
  dbsafe::util::append_json_string(out, "caf\xc3\xa9 \"q\" \\ tab\t end of a long line");
  EXPECT_EQ(out, "\"caf\xc3\xa9 \\\"q\\\" \\\\ tab\\t end of a long line\"");
}

// Long texts are escaped through a fixed buffer appended block by block:
// escapes of every length must come out whole across the block edges.
TEST(JsonString, LongTextIsTheSameAsItsPiecesEscapedOneByOne) {
  const std::string piece =
      "\"Tab\"\x01"
      "caf\xc3\xa9\xff"
      "\\\n plain words here";
  std::string one;
  dbsafe::util::append_json_string(one, piece);
  const std::string inner = one.substr(1, one.size() - 2);
  for (std::size_t count : {1u, 37u, 38u, 39u, 500u}) {
    std::string text, expected = "\"";
    for (std::size_t i = 0; i < count; ++i) {
      text += piece;
      expected += inner;
    }
    expected += "\"";
    for (std::size_t shift = 0; shift < 9; ++shift) {
      std::string out;
      dbsafe::util::append_json_string(out, std::string(shift, 'a') + text);
      ASSERT_EQ(out, "\"" + std::string(shift, 'a') + expected.substr(1)) << count << "/" << shift;
    }
  }
}

TEST(LargeText, ParsedInRunsPlacesEveryStatementAsAParseOfItsPieces) {
  const std::string unit = kUnit;
  const auto one = dbsafe::analyze::ParsedSql::parse(unit);
  ASSERT_TRUE(one->errors.empty());
  ASSERT_EQ(one->statements.size(), 4u);
  std::uint32_t unit_lines = 0;
  for (char c : unit) unit_lines += c == '\n';

  std::string big;
  const std::size_t repeats = 700 * 1024 / unit.size() + 1;  // over the 512 KiB threshold
  for (std::size_t i = 0; i < repeats; ++i) big += unit;
  const auto all = dbsafe::analyze::ParsedSql::parse(big);
  ASSERT_TRUE(all->errors.empty());
  ASSERT_EQ(all->statements.size(), repeats * one->statements.size());
  for (std::size_t i = 0; i < all->statements.size(); ++i) {
    const auto &got = all->statements[i];
    const auto &want = one->statements[i % one->statements.size()];
    const std::size_t r = i / one->statements.size();
    const auto shift = static_cast<std::uint32_t>(r) * unit_lines;
    ASSERT_EQ(got.begin, r * unit.size() + want.begin) << "statement " << i;
    ASSERT_EQ(got.end, r * unit.size() + want.end) << "statement " << i;
    ASSERT_EQ(got.line, want.line + shift) << "statement " << i;
    ASSERT_EQ(got.column, want.column) << "statement " << i;
    ASSERT_EQ(got.end_line, want.end_line + shift) << "statement " << i;
    ASSERT_EQ(got.end_column, want.end_column) << "statement " << i;
    ASSERT_EQ(got.type, want.type) << "statement " << i;
    ASSERT_EQ(without_locations(got.body), without_locations(want.body)) << "statement " << i;
  }
}

TEST(LargeText, ASyntaxErrorIsReportedAsInAOnePieceParse) {
  // No BEGIN ATOMIC here: a text with a syntax error is split by the
  // scanner, which cuts such bodies apart (as it always did).
  constexpr const char *unit =
      "CREATE TABLE \"T\" (\"id\" TEXT NOT NULL, \"note\" VARCHAR(20) DEFAULT 'a;b');\n"
      "ALTER TABLE \"T\" ADD COLUMN \"n\" INTEGER; -- trailing\n";
  std::string big;
  while (big.size() < 600 * 1024) big += unit;
  const auto good = dbsafe::analyze::ParsedSql::parse(big);
  big += "ALTER TABLE \"T\" ADD COLUM \"x\" INTEGER;\n";
  while (big.size() < 1200 * 1024) big += unit;
  const auto parsed = dbsafe::analyze::ParsedSql::parse(big);
  ASSERT_EQ(parsed->errors.size(), 1u);
  EXPECT_EQ(parsed->errors[0].line, good->statements.back().end_line + 1);
}

std::string json_of(const std::vector<dbsafe::Finding> &findings) {
  dbsafe::util::JsonWriter w;
  dbsafe::analyze::FindingJsonWriter writer;
  w.begin_array();
  for (const auto &f : findings) writer.write(w, f);
  w.end_array();
  return w.take();
}

// The writer remembers escaped texts; a text that changes under the same
// rule, or a statement that comes back after another, is written as it is.
TEST(FindingJson, RememberedTextsNeverStandInForOthers) {
  dbsafe::Finding a;
  a.rule = "drop-column";
  a.why = "why \"a\"\n";
  a.fix = "fix a";
  a.statement = "ALTER TABLE \"T\" DROP COLUMN \"x\";";
  dbsafe::Finding b = a;
  b.why = "why b";
  b.fix = "fix \tb";
  b.statement = "DROP TABLE \"T\";";
  dbsafe::Finding c = a;
  c.rule = "drop-table";
  const std::vector<dbsafe::Finding> findings{a, a, b, a, c, b};
  std::string expected = "[";
  for (std::size_t i = 0; i < findings.size(); ++i) {
    dbsafe::util::JsonWriter alone;
    dbsafe::analyze::FindingJsonWriter fresh;  // nothing remembered
    fresh.write(alone, findings[i]);
    expected += (i ? "," : "") + alone.str();
  }
  expected += "]";
  EXPECT_EQ(json_of(findings), expected);
  EXPECT_NE(expected.find("\"why\":\"why \\\"a\\\"\\n\""), std::string::npos) << expected;
}

void write_set(const TempDir &dir) {
  dir.write("migrations/migration_lock.toml", "provider = \"postgresql\"\n");
  dir.write(
      "migrations/20240101000000_a/migration.sql",
      "CREATE TABLE \"A\" (\"id\" INTEGER NOT NULL);\nALTER TABLE \"A\" DROP COLUMN \"id\";\n");
  dir.write("migrations/20240102000000_b/migration.sql",
            "ALTER TABLE \"A\" ADD COLUMN \"b\" TEXT NOT NULL;\n"
            "CREATE INDEX \"A_b_idx\" ON \"A\"(\"b\");\n");
  dir.write("migrations/20240103000000_c/migration.sql",
            "ALTER TABLE \"A\" ALTER COLUMN \"b\" SET NOT NULL;\nDROP TABLE \"A\";\n");
}

// The set write_set writes, the options to check it (no dbsafe.toml), and
// check()'s report of it.
struct ReportedSet {
  TempDir dir;
  dbsafe::CheckOptions options;
  std::vector<std::string> paths;
  dbsafe::CheckReport report;
  ReportedSet() {
    write_set(dir);
    options.config_path = "-";
    paths = {dir.str() + "/migrations"};
    report = dbsafe::check(paths, options);
  }
};

TEST(Streaming, BatchesAreTheReportInOrder) {
  const ReportedSet set;
  const auto &options = set.options;
  const auto &paths = set.paths;
  const auto &report = set.report;
  ASSERT_GE(report.findings.size(), 4u);

  std::vector<dbsafe::Finding> streamed;
  std::size_t batches = 0;
  const auto summary =
      dbsafe::analyze::check_streaming(paths, options, [&](std::vector<dbsafe::Finding> &batch) {
        ++batches;
        ASSERT_FALSE(batch.empty());
        for (auto &f : batch) streamed.push_back(std::move(f));
      });
  EXPECT_EQ(batches, 3u);  // one per file with findings
  EXPECT_EQ(json_of(streamed), json_of(report.findings));
  dbsafe::util::JsonWriter a, b;
  dbsafe::analyze::write_summary_json(a, summary);
  dbsafe::analyze::write_summary_json(b, report.summary);
  EXPECT_EQ(a.str(), b.str());
}

// The CLI's JSON streams findings without why and fix, and its writer takes
// them from the rule catalogue: the same text as check()'s findings, which
// carry them.
TEST(Streaming, ExplanationsFromTheCatalogueWriteTheSameJson) {
  const ReportedSet set;
  const auto &options = set.options;
  const auto &paths = set.paths;
  const auto &report = set.report;
  ASSERT_FALSE(report.findings.empty());
  for (const auto &f : report.findings) EXPECT_FALSE(f.why.empty() || f.fix.empty()) << f.rule;

  dbsafe::util::JsonWriter w;
  dbsafe::analyze::FindingJsonWriter writer(dbsafe::analyze::Explanations::FromCatalogue);
  w.begin_array();
  dbsafe::analyze::check_streaming(
      paths, options,
      [&](std::vector<dbsafe::Finding> &batch) {
        for (const auto &f : batch) {
          EXPECT_TRUE(f.why.empty() && f.fix.empty()) << f.rule;
          writer.write(w, f);
        }
      },
      {}, dbsafe::analyze::Explanations::FromCatalogue);
  w.end_array();
  EXPECT_EQ(w.str(), json_of(report.findings));
}

TEST(Streaming, APathGivenTwiceKeepsEachFilesFindingsTogether) {
  TempDir dir;
  write_set(dir);
  dbsafe::CheckOptions options;
  options.config_path = "-";
  const auto set = dir.str() + "/migrations";
  const auto report = dbsafe::check({set, set}, options);
  // By each file's first place: a, a, b, b, c, c, never a, b, c, a, ...
  std::vector<std::string> order;
  for (const auto &f : report.findings)
    if (order.empty() || order.back() != f.file) order.push_back(f.file);
  ASSERT_EQ(order.size(), 3u);
  EXPECT_LT(order[0], order[1]);
  EXPECT_LT(order[1], order[2]);
}

// A Prisma set of `count` migrations, migration i holding text(i).
template <typename Text>
void write_numbered_set(const TempDir &dir, int count, Text &&text) {
  dir.write("migrations/migration_lock.toml", "provider = \"postgresql\"\n");
  for (int i = 0; i < count; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "migrations/2024%010d_m/migration.sql", i);
    dir.write(name, text(i));
  }
}

// The message of the dbsafe::Error `run` throws (empty when it throws none).
template <typename Run>
std::string error_of(Run &&run) {
  try {
    run();
  } catch (const dbsafe::Error &e) {
    return e.message();
  }
  return {};
}

dbsafe::CheckOptions without_config() {
  dbsafe::CheckOptions options;
  options.config_path = "-";
  return options;
}

TEST(Reading, TheFirstBrokenFileInOrderIsReported) {
  TempDir dir;
  // Two broken files far apart: the reads run on two threads, the error
  // must still be the one reading in order meets first.
  write_numbered_set(dir, 200, [](int i) {
    return i == 120 ? std::string("SELECT 1;\xff\n") : i == 40 ? std::string() : "SELECT 1;\n";
  });
  const auto from_open = error_of([&] { dbsafe::MigrationSet::open(dir.path() / "migrations"); });
  const auto from_check =
      error_of([&] { dbsafe::check({dir.str() + "/migrations"}, without_config()); });
  EXPECT_NE(from_open.find("2024"
                           "0000000040_m/migration.sql"),
            std::string::npos)
      << from_open;
  EXPECT_EQ(from_check, from_open);
}

// A directory of .sql files is read whole while its layout is told apart:
// the first broken file in order is still the one reported.
TEST(Reading, ThePlainLayoutsFirstBrokenFileInOrderIsReported) {
  TempDir dir;
  for (int i = 0; i < 100; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "plain/%03d_m.sql", i);
    dir.write(name, i == 70   ? std::string("SELECT 1;\xff\n")
                    : i == 30 ? std::string()
                              : std::string("SELECT 1;\n"));
  }
  const auto from_open = error_of([&] { dbsafe::MigrationSet::open(dir.path() / "plain"); });
  const auto from_check =
      error_of([&] { dbsafe::check({dir.str() + "/plain"}, without_config()); });
  EXPECT_NE(from_open.find("030_m.sql: migration file is empty"), std::string::npos) << from_open;
  EXPECT_EQ(from_check, from_open);
}

// The files are read while the first ones are analysed; a set with an
// unreadable file still reports that error and not one finding.
TEST(Reading, ALateBrokenFileStopsTheCheckBeforeAnyFindingIsReported) {
  TempDir dir;
  write_numbered_set(dir, 300, [](int i) {
    return i == 290 ? std::string("DROP TABLE t;\xff\n") : std::string("DROP TABLE t;\n");
  });
  std::size_t delivered = 0;
  const auto error = error_of([&] {
    dbsafe::analyze::check_streaming(
        {dir.str() + "/migrations"}, without_config(),
        [&](std::vector<dbsafe::Finding> &batch) { delivered += batch.size(); });
  });
  EXPECT_NE(error.find("2024"
                       "0000000290_m/migration.sql: invalid UTF-8"),
            std::string::npos)
      << error;
  EXPECT_EQ(delivered, 0u);
}

// Several sets: an unreadable file of the first is met before a second set
// that does not exist, as reading them in order meets them.
TEST(Reading, AnEarlierSetsBrokenFileComesBeforeALaterSetsError) {
  TempDir dir;
  write_numbered_set(dir, 3, [](int i) { return i == 1 ? std::string() : "SELECT 1;\n"; });
  const auto error = error_of([&] {
    dbsafe::check({dir.str() + "/migrations", dir.str() + "/missing"}, without_config());
  });
  EXPECT_NE(error.find("2024"
                       "0000000001_m/migration.sql: migration file is empty"),
            std::string::npos)
      << error;
}

// Cancelled while both threads read, parse and analyse: the check stops
// with Cancelled, whichever thread sees the request first.
TEST(Reading, ACancelledCheckStopsBothThreads) {
  TempDir dir;
  write_numbered_set(dir, 400, [](int) { return std::string("DROP TABLE t;\n"); });
  for (int stop_after : {1, 50, 200}) {
    auto token = std::make_shared<dbsafe::CancelToken>();
    dbsafe::CallOptions call;
    call.cancel = token;
    int batches = 0;
    std::optional<dbsafe::ErrorCode> code;
    try {
      dbsafe::analyze::check_streaming(
          {dir.str() + "/migrations"}, without_config(),
          [&](std::vector<dbsafe::Finding> &) {
            if (++batches == stop_after) token->request();
          },
          call);
    } catch (const dbsafe::Error &e) {
      code = e.code();
    }
    EXPECT_EQ(code, dbsafe::ErrorCode::Cancelled) << stop_after;
    EXPECT_EQ(batches, stop_after);
  }
}

}  // namespace
