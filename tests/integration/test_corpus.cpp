// The whole corpus (1,678 real Prisma migrations) read through the C++ API,
// each checksum checked against the `sha256sum` tool, an independent oracle.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <map>

#include "dbsafe/source.hpp"
#include "support/temp_dir.hpp"

namespace {

struct Project {
  const char *name;
  std::size_t migrations;
};

constexpr std::array<Project, 5> kProjects{{{"hoppscotch", 21},
                                            {"documenso", 163},
                                            {"inbox-zero", 240},
                                            {"langfuse", 434},
                                            {"trigger.dev", 820}}};

// path -> checksum, from one `sha256sum` run over every file of the set.
std::map<std::string, std::string> sha256sum(const dbsafe::MigrationSet &set) {
  dbsafe::testing::TempDir tmp;
  auto list = tmp.path() / "files";
  {
    std::string names;
    for (const auto &m : set.migrations()) names += set.root() + "/" + m.path + '\0';
    tmp.write("files", names);
  }
  std::string cmd = "xargs -0 sha256sum < '" + list.string() + "'";
  std::map<std::string, std::string> sums;
  FILE *pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return sums;
  char line[8192];
  while (fgets(line, sizeof line, pipe)) {
    std::string s(line);
    if (!s.empty() && s.back() == '\n') s.pop_back();
    sums[s.substr(66)] = s.substr(0, 64);  // "<hex>  <path>"
  }
  pclose(pipe);
  return sums;
}

class Corpus : public ::testing::TestWithParam<Project> {};

TEST_P(Corpus, EveryMigrationWithSha256sumChecksum) {
  auto project = GetParam();
  auto dir = dbsafe::testing::corpus_dir() + "/" + project.name;
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no corpus at " << dir;
  auto set = dbsafe::MigrationSet::open(dir);
  EXPECT_EQ(set.layout(), dbsafe::Layout::Prisma);
  EXPECT_EQ(set.provider().value_or(""), "postgresql");
  ASSERT_EQ(set.migrations().size(), project.migrations);
  auto sums = sha256sum(set);
  ASSERT_EQ(sums.size(), project.migrations);
  for (const auto &m : set.migrations()) {
    EXPECT_EQ(m.checksum, sums[set.root() + "/" + m.path]) << m.path;
    EXPECT_EQ(m.bytes, m.sql.size());
  }
  for (std::size_t i = 1; i < set.migrations().size(); ++i)
    EXPECT_LT(set.migrations()[i - 1].name, set.migrations()[i].name);
}

INSTANTIATE_TEST_SUITE_P(AllProjects, Corpus, ::testing::ValuesIn(kProjects), [](const auto &info) {
  std::string n = info.param.name;
  for (auto &c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
});

TEST(CorpusLangfuse, DirectoryNamesWithSpaces) {
  auto dir = dbsafe::testing::corpus_dir() + "/langfuse";
  if (!std::filesystem::exists(dir)) GTEST_SKIP();
  auto set = dbsafe::MigrationSet::open(dir);
  int with_space = 0;
  for (const auto &m : set.migrations()) with_space += m.name.find(' ') != std::string::npos;
  EXPECT_EQ(with_space, 2);
}

}  // namespace
