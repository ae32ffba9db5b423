// `dbsafe deploy`: the safe-deploy pipeline for one target of dbsafe.toml
// (docs/deploy.md).
#pragma once

#include <CLI/CLI.hpp>
#include <ostream>

namespace dbsafe::cli {

void add_deploy_command(CLI::App &app, std::ostream &out, int &exit_code);
// `dbsafe restore`: the guarded restore of a target (docs/deploy.md).
void add_restore_command(CLI::App &app, std::ostream &out, int &exit_code);

}  // namespace dbsafe::cli
