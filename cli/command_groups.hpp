// The commands of `dbsafe`, by the function that registers them. A run
// registers only the group of the command it names: building the options of
// every command was most of the start-up of a short run (5 M of the 6 M
// instructions of `dbsafe --version`).
#pragma once

#include <CLI/CLI.hpp>
#include <array>
#include <ostream>
#include <span>
#include <string_view>

namespace dbsafe::cli {

using AddCommands = void (*)(CLI::App &app, std::ostream &out, int &exit_code);

struct CommandGroup {
  std::array<std::string_view, 4> commands;  // the subcommands `add` registers (then empty)
  AddCommands add;
};

// In the order `dbsafe --help` lists them.
std::span<const CommandGroup> command_groups();

// The group that registers `command`, or nullptr.
const CommandGroup *group_of(std::string_view command);

}  // namespace dbsafe::cli
