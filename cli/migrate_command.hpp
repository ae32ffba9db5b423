// `dbsafe migrate deploy | status | resolve | baseline`.
#pragma once

#include <CLI/CLI.hpp>
#include <ostream>

namespace dbsafe::cli {

void add_migrate_command(CLI::App &app, std::ostream &out, int &exit_code);

}  // namespace dbsafe::cli
