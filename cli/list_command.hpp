#pragma once

#include <CLI/CLI.hpp>
#include <ostream>

namespace dbsafe::cli {

// Registers `dbsafe list`; the callback writes to `out` and sets `exit_code`.
void add_list_command(CLI::App &app, std::ostream &out, int &exit_code);

}  // namespace dbsafe::cli
