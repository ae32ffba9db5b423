// `dbsafe copy`: a SQLite database into an existing PostgreSQL schema,
// converted by the target's column types, resumable and verified
// (docs/copy.md).
#pragma once

#include <CLI/CLI.hpp>
#include <ostream>

namespace dbsafe::cli {

void add_copy_command(CLI::App &app, std::ostream &out, int &exit_code);

}  // namespace dbsafe::cli
