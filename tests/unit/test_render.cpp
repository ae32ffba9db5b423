// The report renderers on hand-built reports: exact pieces of each format,
// with the characters that break naive renderers ('|', '<', '"', ',', ':',
// newlines, '%', backticks, control characters, non-ASCII, spaces in paths).
#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>
#include <vector>

#include "dbsafe/check.hpp"
#include "report/render.hpp"

namespace {

using dbsafe::CheckReport;
using dbsafe::Finding;
using dbsafe::Impact;
using dbsafe::Level;
using dbsafe::report::RenderOptions;

// A ten-line statement, so the terminal snippet is cut after eight lines.
std::string long_statement() {
  std::string sql = "ALTER TABLE \"users\"";
  for (int i = 1; i <= 9; ++i) {
    sql += "\n  DROP COLUMN \"c" + std::to_string(i) + "\"" + (i < 9 ? "," : ";");
  }
  return sql;
}

Finding drop_column_with_impact() {
  Finding f;
  f.rule = "drop-column";
  f.severity = {"data-loss", "backward-incompatible"};
  f.level = Level::Error;
  f.file = "prisma/migrations/20240101000000_init/migration.sql";
  f.migration = "20240101000000_init";
  f.line = 3;
  f.column = 1;
  f.end_line = 12;
  f.statement = long_statement();
  f.message = "Drops column \"email\" from \"public.users\"";
  f.why = "Dropping a column loses its data. Old app versions still read it.";
  f.fix = "Stop using the column in the app, deploy, then drop it.";
  Impact impact;
  impact.table = "public.users";
  impact.row_estimate = 1234567;
  impact.total_bytes = 1610612736;  // 1.5 GiB
  impact.index_count = 4;
  impact.estimated_lock_seconds = 15.36;
  impact.assumed_bytes_per_second = 100.0 * 1024 * 1024;
  f.impact = impact;
  f.fingerprint = "fp-drop-1";
  return f;
}

Finding add_column_with_special_characters() {
  Finding f;
  f.rule = "add-column";
  f.severity = {"blocking"};
  f.level = Level::Warning;
  f.file = "db/my migrations/0002 add, fix.sql";
  f.migration = "0002 add, fix";
  f.line = 7;
  f.column = 5;
  f.end_line = 8;
  f.statement = "ALTER TABLE \"t|x\" ADD COLUMN \"c\" text DEFAULT '<&>';\r\n-- ```";
  f.message = "Adds \"a|b\" <c>, d: e\nsecond line — ünïcode";
  f.why = "100% sure\r\nit blocks";
  f.fix = "Use `ADD COLUMN` without a default | then backfill";
  f.fingerprint = "fp-add-2";
  return f;
}

Finding info_with_control_character() {
  Finding f;
  f.rule = "require-concurrent-index";
  f.level = Level::Info;
  f.file = "db/plain.sql";
  f.line = 1;
  f.column = 1;
  f.end_line = 1;
  f.statement = "CREATE INDEX ON t (a);";
  f.message = "Builds an index\x1b[31m while holding a lock";
  f.why = "Writes wait.";
  f.fix = "Use CREATE INDEX CONCURRENTLY.";
  f.fingerprint = "fp-info-3";
  return f;
}

Finding drop_column_on_empty_table() {
  Finding f;
  f.rule = "drop-column";
  f.severity = {"data-loss"};
  f.level = Level::Error;
  f.file = "prisma/migrations/20240102000000_more/migration.sql";
  f.migration = "20240102000000_more";
  f.line = 2;
  f.column = 3;
  f.end_line = 2;
  f.statement = "ALTER TABLE \"posts\" DROP COLUMN \"body\";";
  f.message = "Drops column \"body\" from \"public.posts\"";
  f.why = "Dropping a column loses its data.";
  f.fix = "Drop it in a later release.";
  Impact impact;
  impact.table = "public.posts";
  impact.empty = true;
  f.impact = impact;
  f.fingerprint = "fp-drop-4";
  return f;
}

CheckReport sample_report() {
  CheckReport report;
  report.findings = {drop_column_with_impact(), add_column_with_special_characters(),
                     info_with_control_character(), drop_column_on_empty_table()};
  auto &s = report.summary;
  s.files = 3;
  s.statements = 12;
  s.errors = 2;
  s.warnings = 1;
  s.infos = 1;
  s.by_rule = {{"add-column", 1}, {"drop-column", 2}, {"require-concurrent-index", 1}};
  s.pg_version = 15;
  s.runner = dbsafe::Runner::Prisma;
  s.fail_on = Level::Error;
  s.failed = true;
  return report;
}

CheckReport empty_report() {
  CheckReport report;
  report.summary.files = 3;
  report.summary.statements = 12;
  return report;
}

RenderOptions plain() {
  RenderOptions options;
  options.tool_version = "0.1.0";
  return options;
}

// --- text -------------------------------------------------------------------

TEST(RenderText, FindingWithSnippetCaretAndImpact) {
  std::string text = dbsafe::report::render_text(sample_report(), plain());
  const std::string expected =
      "prisma/migrations/20240101000000_init/migration.sql:3:1: error[drop-column] Drops column "
      "\"email\" from \"public.users\"\n"
      "   3 | ALTER TABLE \"users\"\n"
      "     | ^~~~~\n"
      "   4 |   DROP COLUMN \"c1\",\n"
      "   5 |   DROP COLUMN \"c2\",\n"
      "   6 |   DROP COLUMN \"c3\",\n"
      "   7 |   DROP COLUMN \"c4\",\n"
      "   8 |   DROP COLUMN \"c5\",\n"
      "   9 |   DROP COLUMN \"c6\",\n"
      "  10 |   DROP COLUMN \"c7\",\n"
      "     | … 2 more lines\n"
      "  why: Dropping a column loses its data. Old app versions still read it.\n"
      "  fix: Stop using the column in the app, deploy, then drop it.\n"
      "  impact: public.users: rows ≈ 1.2M, 1.5 GB, 4 indexes, estimated lock ≈ 15s at 100 MB/s "
      "(estimate)\n"
      "\n";
  EXPECT_EQ(text.substr(0, expected.size()), expected);
}

TEST(RenderText, SpecialCharactersMultiLineTextsAndCrlf) {
  std::string text = dbsafe::report::render_text(sample_report(), plain());
  const std::string expected =
      "db/my migrations/0002 add, fix.sql:7:5: warning[add-column] Adds \"a|b\" <c>, d: e\n"
      "  second line — ünïcode\n"
      "  7 | ALTER TABLE \"t|x\" ADD COLUMN \"c\" text DEFAULT '<&>';\n"
      "    | ^~~~~\n"
      "  8 | -- ```\n"
      "  why: 100% sure\n"
      "       it blocks\n"
      "  fix: Use `ADD COLUMN` without a default | then backfill\n"
      "\n";
  EXPECT_NE(text.find(expected), std::string::npos) << text;
}

TEST(RenderText, ControlCharactersCannotReachTheTerminal) {
  std::string text = dbsafe::report::render_text(sample_report(), plain());
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_NE(text.find("db/plain.sql:1:1: info[require-concurrent-index] Builds an index?[31m "
                      "while holding a lock\n"
                      "  1 | CREATE INDEX ON t (a);\n"
                      "    | ^~~~~~\n"),
            std::string::npos)
      << text;
}

TEST(RenderText, EmptyTableImpact) {
  std::string text = dbsafe::report::render_text(sample_report(), plain());
  EXPECT_NE(text.find("  impact: public.posts: table is empty\n"), std::string::npos);
}

TEST(RenderText, SummaryAndFailureLines) {
  std::string text = dbsafe::report::render_text(sample_report(), plain());
  const std::string tail =
      "2 errors, 1 warning, 1 info in 3 files (12 statements); checked for PostgreSQL 15 with the "
      "prisma runner\n"
      "The check fails at level error: 2 findings are at error. To accept a reviewed statement, "
      "put \"-- dbsafe:ignore <rule> reason: <why it is safe>\" on the line above it.\n";
  ASSERT_GE(text.size(), tail.size());
  EXPECT_EQ(text.substr(text.size() - tail.size()), tail);
}

TEST(RenderText, FailureAtWarningCountsWarningsToo) {
  CheckReport report = sample_report();
  report.summary.fail_on = Level::Warning;
  std::string text = dbsafe::report::render_text(report, plain());
  EXPECT_NE(text.find("The check fails at level warning: 3 findings are at warning or above."),
            std::string::npos);
}

TEST(RenderText, PassingRunHasNoFailureLine) {
  CheckReport report = sample_report();
  report.summary.failed = false;
  report.summary.runner = dbsafe::Runner::Safe;
  std::string text = dbsafe::report::render_text(report, plain());
  EXPECT_EQ(text.find("The check fails"), std::string::npos);
  EXPECT_NE(text.find("with the safe runner\n"), std::string::npos);
}

TEST(RenderText, NoFindings) {
  EXPECT_EQ(dbsafe::report::render_text(empty_report(), plain()),
            "No risky statements in 3 files (12 statements).\n");
  CheckReport one = empty_report();
  one.summary.files = 1;
  one.summary.statements = 1;
  EXPECT_EQ(dbsafe::report::render_text(one, plain()),
            "No risky statements in 1 file (1 statement).\n");
}

TEST(RenderText, ColourOnlyWhenAsked) {
  RenderOptions options = plain();
  EXPECT_EQ(dbsafe::report::render_text(sample_report(), options).find("\x1b["), std::string::npos);
  options.color = true;
  std::string text = dbsafe::report::render_text(sample_report(), options);
  EXPECT_NE(text.find(":3:1: \x1b[1;31merror\x1b[0m[\x1b[1mdrop-column\x1b[0m] Drops"),
            std::string::npos);
  EXPECT_NE(text.find("\x1b[1;33mwarning\x1b[0m[\x1b[1madd-column\x1b[0m]"), std::string::npos);
  EXPECT_NE(text.find("\x1b[1;34minfo\x1b[0m"), std::string::npos);
  EXPECT_NE(text.find("     | \x1b[1;31m^~~~~\x1b[0m\n"), std::string::npos);
  // The file's own escape sequence is still neutralised.
  EXPECT_NE(text.find("Builds an index?[31m"), std::string::npos);
}

TEST(RenderText, CaretFollowsLeadingTabsAndQuotedFirstToken) {
  CheckReport report = empty_report();
  Finding f = info_with_control_character();
  f.statement = "\t\"Ünïcode tbl\" is not SQL, but the caret still fits";
  report.findings = {f};
  std::string text = dbsafe::report::render_text(report, plain());
  EXPECT_NE(text.find("    | \t^~~~~~~~~~~~~\n"), std::string::npos) << text;
}

TEST(RenderText, BlankStatementLinesHaveNoTrailingSpace) {
  CheckReport report = empty_report();
  Finding f = info_with_control_character();
  f.statement = "CREATE TABLE t (\n  a int,\n\n  b int\n)";
  report.findings = {f};
  std::string text = dbsafe::report::render_text(report, plain());
  EXPECT_NE(text.find("  2 |   a int,\n  3 |\n  4 |   b int\n"), std::string::npos) << text;
}

TEST(RenderText, LongLinesAreClipped) {
  CheckReport report = empty_report();
  Finding f = info_with_control_character();
  f.statement = "INSERT INTO t VALUES ('" + std::string(300, 'x') + "');";
  report.findings = {f};
  std::string text = dbsafe::report::render_text(report, plain());
  EXPECT_NE(text.find(std::string(137, 'x') + "…\n"), std::string::npos);
  EXPECT_EQ(text.find(std::string(138, 'x')), std::string::npos);
}

TEST(DescribeImpact, HumanUnitsAndUnknowns) {
  Impact impact;
  EXPECT_EQ(dbsafe::report::describe_impact(impact), "");
  impact.table = "public.users_email_idx";
  impact.idx_scan = 0;
  impact.total_bytes = 16 * 1024 * 1024;
  EXPECT_EQ(dbsafe::report::describe_impact(impact), "public.users_email_idx: 16 MB, idx_scan = 0");
  Impact small;
  small.row_estimate = 950;
  small.total_bytes = 8192;
  small.index_count = 1;
  small.estimated_lock_seconds = 0.04;
  small.assumed_bytes_per_second = 100.0 * 1024 * 1024;
  EXPECT_EQ(dbsafe::report::describe_impact(small),
            "rows ≈ 950, 8 kB, 1 index, estimated lock ≈ <0.1s at 100 MB/s (estimate)");
  Impact big;
  big.row_estimate = 3.4e9;
  big.total_bytes = 500;
  big.estimated_lock_seconds = 5400;
  EXPECT_EQ(dbsafe::report::describe_impact(big),
            "rows ≈ 3.4B, 500 bytes, estimated lock ≈ 90 min (estimate)");
}

// --- markdown ---------------------------------------------------------------

TEST(RenderMarkdown, HeadingStatusAndTable) {
  std::string md = dbsafe::report::render_markdown(sample_report(), plain());
  const std::string head =
      "### dbsafe check\n\n"
      "**Failed**: 2 errors, 1 warning, 1 info in 3 files (12 statements); checked for "
      "PostgreSQL 15 with the prisma runner.\n\n"
      "The check fails at level error: 2 findings are at error. To accept a reviewed statement, "
      "put `-- dbsafe:ignore <rule> reason: <why it is safe>` on the line above it.\n\n"
      "| Level | Rule | Location | Message |\n"
      "| --- | --- | --- | --- |\n"
      "| error | `drop-column` | `prisma/migrations/20240101000000_init/migration.sql:3:1` | "
      "Drops column \"email\" from \"public.users\" |\n"
      "| warning | `add-column` | `db/my migrations/0002 add, fix.sql:7:5` | "
      "Adds \"a\\|b\" &lt;c&gt;, d: e<br>second line — ünïcode |\n";
  EXPECT_EQ(md.substr(0, head.size()), head);
}

TEST(RenderMarkdown, DetailsEscapeHtmlAndFenceTheStatement) {
  std::string md = dbsafe::report::render_markdown(sample_report(), plain());
  const std::string details =
      "<details>\n"
      "<summary>warning <code>add-column</code> at <code>db/my migrations/0002 add, "
      "fix.sql:7:5</code>: Adds &quot;a|b&quot; &lt;c&gt;, d: e second line — "
      "ünïcode</summary>\n\n"
      "````sql\n"
      "ALTER TABLE \"t|x\" ADD COLUMN \"c\" text DEFAULT '<&>';\n"
      "-- ```\n"
      "````\n\n"
      "**Why:** 100% sure<br>it blocks\n\n"
      "**Fix:** Use \\`ADD COLUMN\\` without a default \\| then backfill\n\n"
      "</details>\n\n";
  EXPECT_NE(md.find(details), std::string::npos) << md;
  EXPECT_NE(md.find("**Impact:** public.users: rows ≈ 1.2M, 1.5 GB, 4 indexes, estimated lock "
                    "≈ 15s at 100 MB/s (estimate)\n\n"),
            std::string::npos);
  // A migration's control characters are neither markup nor raw bytes.
  EXPECT_EQ(md.find('\x1b'), std::string::npos);
  EXPECT_NE(md.find("| info | `require-concurrent-index` | `db/plain.sql:1:1` | Builds an "
                    "index?\\[31m while holding a lock |\n"),
            std::string::npos);
  EXPECT_NE(md.find("<code>db/plain.sql:1:1</code>: Builds an index?[31m while"),
            std::string::npos);
  // The long statement is shown whole (it is under the Markdown limit).
  EXPECT_NE(md.find("  DROP COLUMN \"c9\";\n```\n"), std::string::npos);
}

TEST(RenderMarkdown, CodeSpansSurviveBackticksAndPipes) {
  CheckReport report = empty_report();
  Finding f = info_with_control_character();
  f.file = "odd`name|x.sql";
  report.findings = {f};
  std::string md = dbsafe::report::render_markdown(report, plain());
  EXPECT_NE(md.find("| ``odd`name\\|x.sql:1:1`` |"), std::string::npos) << md;
  EXPECT_NE(md.find("**Passed**: "), std::string::npos);
}

TEST(RenderMarkdown, NoFindings) {
  EXPECT_EQ(dbsafe::report::render_markdown(empty_report(), plain()),
            "### dbsafe check\n\n**Passed**: no risky statements in 3 files (12 statements); "
            "checked for PostgreSQL 15 with the safe runner.\n\n");
}

TEST(RenderMarkdown, StaysUnderTheGitHubCommentLimit) {
  CheckReport report = sample_report();
  Finding big = drop_column_with_impact();
  big.statement = std::string(2000, 'x');
  report.findings.assign(200, big);
  std::string md = dbsafe::report::render_markdown(report, plain());
  EXPECT_LT(md.size(), 65536u);
  EXPECT_NE(md.find("findings are not shown in detail to fit a GitHub comment"), std::string::npos);
}

// --- SARIF ------------------------------------------------------------------

TEST(RenderSarif, ValidJsonWithRulesResultsAndFingerprints) {
  RenderOptions options = plain();
  options.information_uri = "https://example.invalid/dbsafe";
  std::string sarif = dbsafe::report::render_sarif(sample_report(), options);
  simdjson::dom::parser parser;
  simdjson::padded_string json(sarif);
  simdjson::dom::element doc = parser.parse(json);
  EXPECT_EQ(std::string_view(doc["$schema"]), "https://json.schemastore.org/sarif-2.1.0.json");
  EXPECT_EQ(std::string_view(doc["version"]), "2.1.0");
  simdjson::dom::array runs = doc["runs"];
  ASSERT_EQ(runs.size(), 1u);
  simdjson::dom::element run = runs.at(0);
  simdjson::dom::element driver = run["tool"]["driver"];
  EXPECT_EQ(std::string_view(driver["name"]), "dbsafe");
  EXPECT_EQ(std::string_view(driver["version"]), "0.1.0");
  EXPECT_EQ(std::string_view(driver["informationUri"]), "https://example.invalid/dbsafe");

  // Every rule with findings, once, in id order.
  simdjson::dom::array rules = driver["rules"];
  std::vector<std::string> ids;
  for (simdjson::dom::element rule : rules) ids.emplace_back(std::string_view(rule["id"]));
  EXPECT_EQ(ids,
            (std::vector<std::string>{"add-column", "drop-column", "require-concurrent-index"}));
  simdjson::dom::element drop = rules.at(1);
  EXPECT_EQ(std::string_view(drop["shortDescription"]["text"]),
            "Dropping a column loses its data.");
  EXPECT_EQ(std::string_view(drop["fullDescription"]["text"]),
            "Dropping a column loses its data. Old app versions still read it.");
  EXPECT_EQ(std::string_view(drop["help"]["text"]),
            "Stop using the column in the app, deploy, then drop it.");
  EXPECT_EQ(std::string_view(drop["defaultConfiguration"]["level"]), "error");
  simdjson::dom::array tags = drop["properties"]["tags"];
  EXPECT_EQ(std::string_view(tags.at(1)), "backward-incompatible");
  EXPECT_EQ(std::string_view(rules.at(2)["defaultConfiguration"]["level"]), "note");
  // A one-line description stops at the first line break too.
  EXPECT_EQ(std::string_view(rules.at(0)["shortDescription"]["text"]), "100% sure");

  simdjson::dom::array results = run["results"];
  ASSERT_EQ(results.size(), 4u);
  const std::vector<std::uint64_t> rule_indexes = {1, 0, 2, 1};
  const std::vector<std::string> levels = {"error", "warning", "note", "error"};
  const std::vector<std::string> fingerprints = {"fp-drop-1", "fp-add-2", "fp-info-3", "fp-drop-4"};
  for (std::size_t i = 0; i < 4; ++i) {
    simdjson::dom::element result = results.at(i);
    std::uint64_t index = result["ruleIndex"];
    EXPECT_EQ(index, rule_indexes[i]);
    EXPECT_EQ(std::string_view(result["ruleId"]), std::string_view(rules.at(index)["id"]));
    EXPECT_EQ(std::string_view(result["level"]), levels[i]);
    EXPECT_EQ(std::string_view(result["partialFingerprints"]["dbsafe/v1"]), fingerprints[i]);
  }

  simdjson::dom::element special = results.at(1);
  EXPECT_EQ(std::string_view(special["message"]["text"]),
            "Adds \"a|b\" <c>, d: e\nsecond line — ünïcode");
  simdjson::dom::array locations = special["locations"];
  simdjson::dom::element location = locations.at(0)["physicalLocation"];
  EXPECT_EQ(std::string_view(location["artifactLocation"]["uri"]),
            "db/my%20migrations/0002%20add%2C%20fix.sql");
  EXPECT_EQ(std::uint64_t(location["region"]["startLine"]), 7u);
  EXPECT_EQ(std::uint64_t(location["region"]["startColumn"]), 5u);
  EXPECT_EQ(std::uint64_t(location["region"]["endLine"]), 8u);
  EXPECT_EQ(std::string_view(results.at(2)["message"]["text"]),
            "Builds an index\x1b[31m while holding a lock");
}

TEST(RenderSarif, DeterministicAndEmptyRunsAreValid) {
  EXPECT_EQ(dbsafe::report::render_sarif(sample_report(), plain()),
            dbsafe::report::render_sarif(sample_report(), plain()));
  std::string sarif = dbsafe::report::render_sarif(empty_report(), plain());
  simdjson::dom::parser parser;
  simdjson::padded_string json(sarif);
  simdjson::dom::element doc = parser.parse(json);
  simdjson::dom::array runs = doc["runs"];
  simdjson::dom::element run = runs.at(0);
  EXPECT_EQ(simdjson::dom::array(run["tool"]["driver"]["rules"]).size(), 0u);
  EXPECT_EQ(simdjson::dom::array(run["results"]).size(), 0u);
  // No documentation URI configured: the optional property is left out.
  EXPECT_EQ(sarif.find("informationUri"), std::string::npos);
}

TEST(RenderSarif, LocationWithoutLineHasNoRegion) {
  CheckReport report = empty_report();
  Finding f = info_with_control_character();
  f.line = f.column = f.end_line = 0;
  f.fingerprint.clear();
  report.findings = {f};
  std::string sarif = dbsafe::report::render_sarif(report, plain());
  EXPECT_EQ(sarif.find("region"), std::string::npos);
  EXPECT_EQ(sarif.find("partialFingerprints"), std::string::npos);
  simdjson::dom::parser parser;
  simdjson::padded_string json(sarif);
  EXPECT_NO_THROW({
    simdjson::dom::element doc = parser.parse(json);
    (void)doc;
  });
}

TEST(PathToUri, Rfc3986Escaping) {
  using dbsafe::report::path_to_uri;
  EXPECT_EQ(path_to_uri("prisma/migrations/1_init/migration.sql"),
            "prisma/migrations/1_init/migration.sql");
  EXPECT_EQ(path_to_uri("./db/a b.sql"), "db/a%20b.sql");
  EXPECT_EQ(path_to_uri("db\\win\\x.sql"), "db/win/x.sql");
  EXPECT_EQ(path_to_uri("é#?%:.sql"), "%C3%A9%23%3F%25%3A.sql");
  EXPECT_EQ(path_to_uri("/abs/x y.sql"), "file:///abs/x%20y.sql");
  EXPECT_EQ(path_to_uri("C:\\m\\a.sql"), "file:///C:/m/a.sql");
}

// --- GitHub workflow commands -----------------------------------------------

TEST(RenderGithub, OneEscapedCommandPerFinding) {
  std::string out = dbsafe::report::render_github(sample_report(), plain());
  const std::string expected =
      "::error file=prisma/migrations/20240101000000_init/migration.sql,line=3,col=1,endLine=12,"
      "title=dbsafe drop-column::Drops column \"email\" from \"public.users\"%0Awhy: Dropping a "
      "column loses its data. Old app versions still read it.%0Afix: Stop using the column in "
      "the app, deploy, then drop it.%0Aimpact: public.users: rows ≈ 1.2M, 1.5 GB, 4 indexes, "
      "estimated lock ≈ 15s at 100 MB/s (estimate)\n"
      "::warning file=db/my migrations/0002 add%2C fix.sql,line=7,col=5,endLine=8,"
      "title=dbsafe add-column::Adds \"a|b\" <c>, d: e%0Asecond line — ünïcode%0Awhy: 100%25 "
      "sure%0D%0Ait blocks%0Afix: Use `ADD COLUMN` without a default | then backfill\n"
      "::notice file=db/plain.sql,line=1,col=1,endLine=1,title=dbsafe require-concurrent-index"
      "::Builds an index?[31m while holding a lock%0Awhy: Writes wait.%0Afix: Use CREATE INDEX "
      "CONCURRENTLY.\n"
      "::error file=prisma/migrations/20240102000000_more/migration.sql,line=2,col=3,endLine=2,"
      "title=dbsafe drop-column::Drops column \"body\" from \"public.posts\"%0Awhy: Dropping a "
      "column loses its data.%0Afix: Drop it in a later release.%0Aimpact: public.posts: table is "
      "empty\n"
      "2 errors, 1 warning, 1 info in 3 files (12 statements); checked for PostgreSQL 15 with the "
      "prisma runner\n"
      "The check fails at level error: 2 findings are at error. To accept a reviewed statement, "
      "put \"-- dbsafe:ignore <rule> reason: <why it is safe>\" on the line above it.\n";
  EXPECT_EQ(out, expected);
}

TEST(RenderGithub, PropertyEscapingOfColonsAndPercent) {
  CheckReport report = empty_report();
  Finding f = info_with_control_character();
  f.file = "./odd:dir/100%,a\nb.sql";
  f.rule = "x:y,z";
  report.findings = {f};
  std::string out = dbsafe::report::render_github(report, plain());
  EXPECT_EQ(out.substr(0, out.find("::Builds")),
            "::notice file=odd%3Adir/100%25%2Ca%0Ab.sql,line=1,col=1,endLine=1,"
            "title=dbsafe x%3Ay%2Cz");
}

TEST(RenderGithub, NoFindings) {
  EXPECT_EQ(dbsafe::report::render_github(empty_report(), plain()),
            "No risky statements in 3 files (12 statements).\n");
}

// --- JUnit ------------------------------------------------------------------

// A small well-formedness check: tags balance, attribute values are quoted,
// and every '&' starts one of XML's references.
::testing::AssertionResult well_formed_xml(const std::string &xml) {
  std::vector<std::string> open;
  for (std::size_t i = 0; i < xml.size(); ++i) {
    char c = xml[i];
    if (c == '&') {
      std::size_t end = xml.find(';', i);
      if (end == std::string::npos) return ::testing::AssertionFailure() << "bare & at " << i;
      std::string ref = xml.substr(i, end - i + 1);
      bool numeric = ref.size() > 3 && ref[1] == '#';
      if (!numeric && ref != "&amp;" && ref != "&lt;" && ref != "&gt;" && ref != "&quot;" &&
          ref != "&apos;") {
        return ::testing::AssertionFailure() << "unknown reference " << ref;
      }
      continue;
    }
    if (c == '>') return ::testing::AssertionFailure() << "bare > at " << i;
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') {
      return ::testing::AssertionFailure() << "control character at " << i;
    }
    if (c != '<') continue;
    std::size_t end = i + 1;
    bool in_quotes = false;
    for (; end < xml.size(); ++end) {
      if (xml[end] == '"') in_quotes = !in_quotes;
      if (xml[end] == '<' && in_quotes) return ::testing::AssertionFailure() << "< in attribute";
      if (xml[end] == '>' && !in_quotes) break;
    }
    if (end == xml.size()) return ::testing::AssertionFailure() << "unclosed tag at " << i;
    std::string tag = xml.substr(i + 1, end - i - 1);
    i = end;
    if (tag.front() == '?') continue;
    if (tag.front() == '/') {
      if (open.empty() || open.back() != tag.substr(1)) {
        return ::testing::AssertionFailure() << "unbalanced </" << tag.substr(1) << ">";
      }
      open.pop_back();
    } else if (tag.back() != '/') {
      open.push_back(tag.substr(0, tag.find(' ')));
    }
  }
  if (!open.empty()) return ::testing::AssertionFailure() << "<" << open.back() << "> not closed";
  return ::testing::AssertionSuccess();
}

TEST(RenderJunit, WellFormedWithCountsAndEscaping) {
  std::string xml = dbsafe::report::render_junit(sample_report(), plain());
  EXPECT_TRUE(well_formed_xml(xml)) << xml;
  EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 0), 0u);
  EXPECT_NE(xml.find("<testsuites name=\"dbsafe\" tests=\"4\" failures=\"3\" errors=\"0\" "
                     "skipped=\"0\">"),
            std::string::npos);
  EXPECT_NE(xml.find("<testsuite name=\"dbsafe check\" tests=\"4\" failures=\"3\""),
            std::string::npos);
  EXPECT_NE(xml.find("<testcase classname=\"20240101000000_init\" name=\"drop-column at line 3\" "
                     "file=\"prisma/migrations/20240101000000_init/migration.sql\">"),
            std::string::npos);
  EXPECT_NE(xml.find("<failure type=\"add-column\" message=\"Adds &quot;a|b&quot; &lt;c&gt;, d: "
                     "e&#10;second line — ünïcode\">db/my migrations/0002 add, fix.sql:7:5\n"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("ALTER TABLE \"t|x\" ADD COLUMN \"c\" text DEFAULT '&lt;&amp;&gt;';\n"
                     "-- ```\n"),
            std::string::npos);
  EXPECT_NE(xml.find("why: 100% sure&#13;\nit blocks\n"), std::string::npos);
  EXPECT_NE(xml.find("impact: public.users: rows ≈ 1.2M"), std::string::npos);
}

TEST(RenderJunit, InfoPassesWithOutputAndControlCharactersAreDropped) {
  std::string xml = dbsafe::report::render_junit(sample_report(), plain());
  EXPECT_EQ(xml.find('\x1b'), std::string::npos);
  EXPECT_NE(xml.find("<testcase classname=\"db/plain.sql\" name=\"require-concurrent-index at "
                     "line 1\" file=\"db/plain.sql\">\n"
                     "      <system-out>db/plain.sql:1:1\nBuilds an index[31m while holding a "
                     "lock\n"),
            std::string::npos)
      << xml;
}

TEST(RenderJunit, InvalidUtf8AndNoncharactersAreReplacedOrDropped) {
  CheckReport report = empty_report();
  Finding f = add_column_with_special_characters();
  f.message = "bad \xff byte, \xEF\xBF\xBF gone, nul \x01 gone";
  report.findings = {f};
  std::string xml = dbsafe::report::render_junit(report, plain());
  EXPECT_TRUE(well_formed_xml(xml)) << xml;
  EXPECT_NE(xml.find("message=\"bad \xEF\xBF\xBD byte,  gone, nul  gone\""), std::string::npos)
      << xml;
}

TEST(RenderJunit, NoFindingsIsOnePassingTestcase) {
  std::string xml = dbsafe::report::render_junit(empty_report(), plain());
  EXPECT_TRUE(well_formed_xml(xml)) << xml;
  EXPECT_NE(xml.find("tests=\"1\" failures=\"0\""), std::string::npos);
  EXPECT_NE(xml.find("<testcase classname=\"dbsafe check\" name=\"no risky statements\"/>"),
            std::string::npos);
}

}  // namespace
