// `dbsafe maintenance on | off | status`: the read-only window
// (docs/maintenance.md).
#pragma once

#include <CLI/CLI.hpp>
#include <ostream>

namespace dbsafe::cli {

void add_maintenance_command(CLI::App &app, std::ostream &out, int &exit_code);

}  // namespace dbsafe::cli
