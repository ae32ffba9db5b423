// dbsafe_cli_main: the whole command line, behind the C ABI, so the native
// binary, the npm bin and `python3 -m dbsafe` are one program.
#include <CLI/CLI.hpp>
#include <iostream>
#include <vector>

#include "cli/backup_command.hpp"
#include "cli/check_command.hpp"
#include "cli/command_groups.hpp"
#include "cli/copy_command.hpp"
#include "cli/deploy_command.hpp"
#include "cli/exit_codes.hpp"
#include "cli/list_command.hpp"
#include "cli/maintenance_command.hpp"
#include "cli/migrate_command.hpp"
#include "cli/provider_command.hpp"
#include "cli/schema_command.hpp"
#include "dbsafe/dbsafe.h"
#include "dbsafe/error.hpp"
#include "dbsafe/version.hpp"

namespace dbsafe::cli {

std::span<const CommandGroup> command_groups() {
  static const CommandGroup groups[] = {
      {{"list"}, add_list_command},
      {{"check"}, add_check_command},
      {{"stats"}, add_stats_command},
      {{"rules"}, add_rules_command},
      {{"migrate"}, add_migrate_command},
      {{"drift", "diff", "schema", "verify"}, add_schema_commands},
      {{"snapshot", "branch"}, add_provider_commands},
      {{"deploy"}, add_deploy_command},
      {{"restore"}, add_restore_command},
      {{"backup"}, add_backup_commands},
      {{"maintenance"}, add_maintenance_command},
      {{"copy"}, add_copy_command},
  };
  return groups;
}

const CommandGroup *group_of(std::string_view command) {
  for (const auto &group : command_groups())
    for (auto name : group.commands)
      if (!name.empty() && name == command) return &group;
  return nullptr;
}

namespace {

// The command a command line names: its first word, unless an option of
// dbsafe's own (--help, --version) comes first.
const CommandGroup *named_group(int argc, const char *const *argv) {
  return argc > 1 && argv[1][0] != '-' ? group_of(argv[1]) : nullptr;
}

int run(int argc, const char *const *argv) {
  CLI::App app{"dbsafe: safe PostgreSQL schema deploys", "dbsafe"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(dbsafe::version()));
  int exit_code = kExitOk;
  // Everything for help, a mistyped command (CLI11 names the choices) or no
  // command at all.
  if (const CommandGroup *group = named_group(argc, argv)) {
    group->add(app, std::cout, exit_code);
  } else {
    for (const auto &g : command_groups()) g.add(app, std::cout, exit_code);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    std::cout << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp &e) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::CallForVersion &e) {
    std::cout << "dbsafe " << dbsafe::version() << "\n";
    return kExitOk;
  } catch (const CLI::ParseError &e) {
    std::cerr << "dbsafe: " << e.what() << "\nRun 'dbsafe --help' for usage.\n";
    return kExitUsage;
  }
  return exit_code;
}

}  // namespace
}  // namespace dbsafe::cli

extern "C" int dbsafe_cli_main(int argc, const char *const *argv) {
  int code;
  try {
    code = dbsafe::cli::run(argc, argv);
  } catch (const dbsafe::Error &e) {
    std::cerr << "dbsafe: error: " << e.message() << "\n";
    code = dbsafe::cli::exit_code_for(e.code());
  } catch (const std::exception &e) {
    std::cerr << "dbsafe: internal error: " << e.what()
              << "\nPlease report this to the dbsafe developers.\n";
    code = dbsafe::cli::kExitFailedPartway;
  } catch (...) {
    std::cerr << "dbsafe: internal error\n";
    code = dbsafe::cli::kExitFailedPartway;
  }
  std::cout.flush();
  std::cerr.flush();
  return code;
}
