// `check` over the whole corpus (1,678 real Prisma migrations): the count of
// every rule per project is pinned in tests/fixtures/corpus-findings.json,
// reviewed in docs/corpus-findings.md. A change in the analyzer that moves
// a number must come with an updated, explained fixture.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>

#include "dbsafe/check.hpp"
#include "support/temp_dir.hpp"

namespace {

class CorpusCheck : public ::testing::TestWithParam<const char *> {};

TEST_P(CorpusCheck, CountsPerRuleMatchTheReviewedFile) {
  std::string project = GetParam();
  auto dir = dbsafe::testing::corpus_dir() + "/" + project;
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no corpus at " << dir;
  simdjson::dom::parser parser;
  simdjson::dom::element pinned =
      parser.load(dbsafe::testing::fixture("corpus-findings.json"))["projects"][project];

  dbsafe::CheckOptions options;
  options.config_path = "-";
  auto report = dbsafe::check({dir}, options);
  EXPECT_EQ(report.summary.files, uint64_t(pinned["files"]));
  EXPECT_EQ(report.summary.statements, uint64_t(pinned["statements"]));
  EXPECT_EQ(report.summary.errors, uint64_t(pinned["errors"]));
  EXPECT_EQ(report.summary.warnings, uint64_t(pinned["warnings"]));
  EXPECT_EQ(report.summary.infos, uint64_t(pinned["infos"]));
  std::map<std::string, std::size_t> expected;
  for (auto [rule, n] : simdjson::dom::object(pinned["by_rule"]))
    expected[std::string(rule)] = uint64_t(n);
  EXPECT_EQ(report.summary.by_rule, expected);
  // No finding without a real position and statement.
  for (const auto &f : report.findings) {
    EXPECT_GT(f.line, 0u) << f.rule << " " << f.file;
    EXPECT_FALSE(f.statement.empty()) << f.rule << " " << f.file;
  }
}

INSTANTIATE_TEST_SUITE_P(Projects, CorpusCheck,
                         ::testing::Values("hoppscotch", "documenso", "inbox-zero", "langfuse",
                                           "trigger.dev"),
                         [](const auto &info) {
                           std::string n = info.param;
                           for (auto &c : n)
                             if (c == '.' || c == '-') c = '_';
                           return n;
                         });

// The two concrete corpus facts, under both runners.
TEST(CorpusCheck, SingleStatementConcurrentIndexFilesAreTransactionSafe) {
  for (auto runner : {dbsafe::Runner::Safe, dbsafe::Runner::Prisma}) {
    for (const char *project : {"langfuse", "trigger.dev"}) {
      auto dir = dbsafe::testing::corpus_dir() + "/" + project;
      if (!std::filesystem::exists(dir)) GTEST_SKIP();
      dbsafe::CheckOptions options;
      options.config_path = "-";
      options.runner = runner;
      auto report = dbsafe::check({dir}, options);
      for (const auto &f : report.findings) {
        EXPECT_NE(f.rule, "non-transactional-in-transaction") << f.file;
        EXPECT_NE(f.rule, "mixed-transactional-statements") << f.file;
        if (f.rule == "create-index-blocking") {
          // Never on a table this same file creates.
          auto table = f.objects.at(0).substr(f.objects.at(0).find('.') + 1);
          auto sql = dbsafe::testing::read_file(f.file);
          EXPECT_EQ(sql.find("CREATE TABLE \"" + table + "\""), std::string::npos) << f.file;
        }
      }
    }
  }
}

}  // namespace
