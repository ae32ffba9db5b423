// The hand-written Flyway file-name test agrees with the regular expression
// it replaces, on every name of up to six bytes over the bytes that matter.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "source/flyway_name.hpp"

namespace {

TEST(FlywayFileName, AgreesWithTheRegularExpressionOnEveryShortName) {
  const std::regex flyway(R"((V[0-9][0-9._]*|R|U[0-9][0-9._]*)__.+\.sql)");
  const std::string alphabet = "VRU1._x\n";
  std::size_t checked = 0, matched = 0;
  std::string prefix;
  // Every prefix of length 0..6, as a counter in base alphabet.size().
  for (std::size_t length = 0; length <= 6; ++length) {
    std::vector<std::size_t> digits(length, 0);
    for (;;) {
      prefix.clear();
      for (auto d : digits) prefix += alphabet[d];
      for (const std::string &name : {prefix + ".sql", prefix + "sql", prefix}) {
        bool expected = std::regex_match(name, flyway);
        ASSERT_EQ(dbsafe::source::is_flyway_file_name(name), expected) << '"' << name << '"';
        ++checked;
        matched += expected;
      }
      std::size_t i = 0;
      while (i < length && ++digits[i] == alphabet.size()) digits[i++] = 0;
      if (i == length) break;
    }
  }
  EXPECT_GT(matched, 500u);  // the space holds plenty of Flyway names
  EXPECT_GT(checked, 800000u);
}

TEST(FlywayFileName, TypicalNames) {
  using dbsafe::source::is_flyway_file_name;
  EXPECT_TRUE(is_flyway_file_name("V1__init.sql"));
  EXPECT_TRUE(is_flyway_file_name("V2.1_3__add_users.sql"));
  EXPECT_TRUE(is_flyway_file_name("R__views.sql"));
  EXPECT_TRUE(is_flyway_file_name("U2__undo.sql"));
  EXPECT_FALSE(is_flyway_file_name("V__missing_version.sql"));
  EXPECT_FALSE(is_flyway_file_name("V1_single_underscore.sql"));
  EXPECT_FALSE(is_flyway_file_name("20240101_init.sql"));
  EXPECT_FALSE(is_flyway_file_name("V1__.sql"));
  EXPECT_FALSE(is_flyway_file_name("V1__x.SQL"));
}

}  // namespace
