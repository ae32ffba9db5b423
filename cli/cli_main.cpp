// dbsafe_cli_main: the whole command line, behind the C ABI, so the native
// binary, the npm bin and `python3 -m dbsafe` are one program.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <initializer_list>
#include <iostream>
#include <string_view>
#include <vector>

#include "cli/backup_command.hpp"
#include "cli/check_command.hpp"
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
namespace {

using AddCommands = void (*)(CLI::App &, std::ostream &, int &);

// Every command group, with the top-level commands it adds.
struct CommandGroup {
  std::initializer_list<std::string_view> names;
  AddCommands add;
};
const CommandGroup kCommandGroups[] = {
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

// Declaring every command's options costs more than a small project's whole
// `dbsafe check` (CLI11 builds each option's validators and help text), so
// when the first argument names a command only its group is declared. Help
// and anything unexpected declare them all, so usage errors and `--help`
// are unchanged; so does a group that turns out not to hold the command.
void add_commands(CLI::App &app, int argc, const char *const *argv, int &exit_code) {
  const CommandGroup *added = nullptr;
  if (argc > 1) {
    std::string_view first = argv[1];
    for (const auto &group : kCommandGroups)
      if (std::find(group.names.begin(), group.names.end(), first) != group.names.end()) {
        group.add(app, std::cout, exit_code);
        for (const CLI::App *command : app.get_subcommands({}))
          if (command->get_name() == first) return;
        added = &group;
        break;
      }
  }
  for (const auto &group : kCommandGroups)
    if (&group != added) group.add(app, std::cout, exit_code);
}

int run(int argc, const char *const *argv) {
  CLI::App app{"dbsafe: safe PostgreSQL schema deploys", "dbsafe"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(dbsafe::version()));
  int exit_code = kExitOk;
  add_commands(app, argc, argv, exit_code);

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
