// The migrations of a set as `check` needs them: the same reading, order and
// errors as MigrationSet::open, without what only deploys use.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "dbsafe/call.hpp"
#include "dbsafe/source.hpp"

namespace dbsafe::source {

struct CheckedSet {
  std::string root;                   // as MigrationSet::root()
  std::vector<Migration> migrations;  // in application order; `checksum` left empty
};

// Reads like MigrationSet::open but skips the SHA-256 checksum of every file
// (only the runner compares checksums), and hands the texts over instead of
// copying them out of the set.
CheckedSet read_for_check(const std::filesystem::path &path, const SourceOptions &options,
                          const CallOptions &call);

}  // namespace dbsafe::source
