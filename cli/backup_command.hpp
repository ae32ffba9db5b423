// `dbsafe backup create | verify | restore | prune`: backups to files with
// pg_dump, for teams without Neon (docs/backup.md).
#pragma once

#include <CLI/CLI.hpp>
#include <ostream>

namespace dbsafe::cli {

void add_backup_commands(CLI::App &app, std::ostream &out, int &exit_code);

}  // namespace dbsafe::cli
