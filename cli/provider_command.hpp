// `dbsafe snapshot create | rotate | list | delete | restore | prune` and
// `dbsafe branch create | list | delete | restore | prune | url`: the
// provider API (include/dbsafe/provider.hpp) on the command line.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <optional>
#include <ostream>
#include <string>

namespace dbsafe::cli {

void add_provider_commands(CLI::App &app, std::ostream &out, int &exit_code);

// "90s", "30m", "12h", "7d", "2w" or a bare number of seconds; nullopt when
// the text is none of these (or not positive).
std::optional<std::chrono::seconds> parse_duration(const std::string &text);

}  // namespace dbsafe::cli
