// `dbsafe drift`, `dbsafe diff`, `dbsafe schema dump | render` and
// `dbsafe verify`: the schema model, compared and checked (docs/cli.md).
#pragma once

#include <CLI/CLI.hpp>
#include <ostream>

namespace dbsafe::cli {

// Registers the four commands; each callback writes its result to `out` and
// sets `exit_code` (0 nothing found, 1 drift / changes / problems).
void add_schema_commands(CLI::App &app, std::ostream &out, int &exit_code);

}  // namespace dbsafe::cli
