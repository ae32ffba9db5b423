// The migrations of a set as `check` needs them: the same reading, order and
// errors as MigrationSet::open, without what only deploys use.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dbsafe/call.hpp"
#include "dbsafe/source.hpp"

namespace dbsafe::source {

// A migration's file, listed but not read yet.
struct PendingRead {
  std::size_t migration;              // its index in the set's migrations
  std::function<std::string()> read;  // the checks and the read, as done in order; throws
};

struct ListedSet {
  std::string root;                   // as MigrationSet::root()
  std::vector<Migration> migrations;  // in application order; `checksum` left empty
  // The files still to read, in the order of `migrations`, whose `sql` is
  // empty until then. Each read may run on any thread, once; where several
  // fail, the first in this order is the error reading in order gives.
  std::vector<PendingRead> unread;
  std::shared_ptr<void> reader;  // what the reads use: keep it while one may run
};

// Lists a set like MigrationSet::open and reads what the listing itself
// needs (the lock file, a layout's markers), leaving the other files to the
// caller, who can read them while it parses those already read.
ListedSet list_for_check(const std::filesystem::path &path, const SourceOptions &options,
                         const CallOptions &call);

}  // namespace dbsafe::source
