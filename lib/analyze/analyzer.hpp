// Walks the statements of a run in order, keeps the context (objects known
// from earlier statements and files, transactions, locks, timeouts) and
// reports findings by the rule catalogue.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "analyze/sql_parser.hpp"
#include "dbsafe/check.hpp"

namespace dbsafe::analyze {

// Decides the final level of a finding for a file: the rule's default
// (computed by the analyzer) adjusted by configuration; Level::Off drops it.
using LevelPolicy =
    std::function<Level(std::string_view rule, const std::string &file, Level computed)>;

struct FileInput {
  std::string file;       // display path
  std::string migration;  // migration name
  std::string_view sql;
  const ParsedSql *parsed = nullptr;
  bool report = true;  // false: context only (e.g. migrations before --base)
  // A new migration that sorts before one already merged (pull-request mode).
  std::string sorts_before;
};

// Whether PostgreSQL refuses to run `s` inside a transaction block
// (CREATE INDEX CONCURRENTLY, VACUUM, ...), on a server of `pg_version`.
bool is_non_transactional(const Statement &s, int pg_version);

class Analyzer {
 public:
  Analyzer(const CheckOptions &options, LevelPolicy policy);
  ~Analyzer();
  Analyzer(const Analyzer &) = delete;
  Analyzer &operator=(const Analyzer &) = delete;

  void analyze_file(const FileInput &input);
  // Replaces `out` with the findings reported since the last call, in the
  // order they were found, and keeps `out`'s storage for the next ones.
  void take_findings(std::vector<Finding> &out);
  std::size_t statements() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace dbsafe::analyze
