#pragma once

#include <CLI/CLI.hpp>
#include <ostream>

namespace dbsafe::cli {

// Registers `dbsafe check`; the callback writes to `out` and sets `exit_code`.
void add_check_command(CLI::App &app, std::ostream &out, int &exit_code);

// Registers `dbsafe rules`.
void add_rules_command(CLI::App &app, std::ostream &out, int &exit_code);

// Registers `dbsafe stats`.
void add_stats_command(CLI::App &app, std::ostream &out, int &exit_code);

}  // namespace dbsafe::cli
