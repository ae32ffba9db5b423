// A set as a check reads it: listed by source::list_for_check, then its
// pending reads run on two threads, in whatever order they come, and the
// first error in the set's order rethrown. Tests and the migration-set fuzz
// target compare it with MigrationSet::open: the same migrations, the same
// SQL, or the same error.
#pragma once

#include <atomic>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "dbsafe/call.hpp"
#include "dbsafe/source.hpp"
#include "source/read_for_check.hpp"
#include "util/two_threads.hpp"

namespace dbsafe::testing {

struct CheckedSet {
  std::string root;                   // as MigrationSet::root()
  std::vector<Migration> migrations;  // in application order; `checksum` left empty
};

inline CheckedSet read_for_check(const std::filesystem::path &path, const SourceOptions &options,
                                 const CallOptions &call) {
  auto listed = source::list_for_check(path, options, call);
  const auto &unread = listed.unread;
  std::vector<std::exception_ptr> failures(unread.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < unread.size();) {
      try {
        auto &m = listed.migrations[unread[i].migration];
        m.sql = unread[i].read();
        m.bytes = m.sql.size();
      } catch (...) {
        failures[i] = std::current_exception();
      }
    }
  };
  util::run_on_two_threads(unread.size() > 1, work);
  for (auto &f : failures)
    if (f) std::rethrow_exception(f);
  return {std::move(listed.root), std::move(listed.migrations)};
}

}  // namespace dbsafe::testing
