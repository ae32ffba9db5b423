// The command table the CLI registers lazily from: each group registers
// exactly the commands it is listed under, and no command is in two groups,
// so a run that registers only its own group parses as if all were there.
#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>

#include "cli/command_groups.hpp"

namespace {

std::set<std::string> registered_by(const dbsafe::cli::CommandGroup &group) {
  CLI::App app{"test", "dbsafe"};
  std::ostringstream out;
  int exit_code = 0;
  group.add(app, out, exit_code);
  std::set<std::string> names;
  for (const CLI::App *sub : app.get_subcommands([](CLI::App *) { return true; }))
    names.insert(sub->get_name());
  return names;
}

TEST(CliCommandGroups, EachGroupRegistersExactlyTheCommandsListedForIt) {
  std::set<std::string> seen;
  for (const auto &group : dbsafe::cli::command_groups()) {
    std::set<std::string> listed;
    for (auto name : group.commands)
      if (!name.empty()) listed.emplace(name);
    EXPECT_EQ(registered_by(group), listed);
    for (const auto &name : listed) {
      EXPECT_TRUE(seen.insert(name).second) << name << " is listed twice";
      EXPECT_EQ(dbsafe::cli::group_of(name), &group) << name;
    }
  }
  EXPECT_EQ(dbsafe::cli::group_of("no-such-command"), nullptr);
  EXPECT_EQ(dbsafe::cli::group_of(""), nullptr);
}

}  // namespace
