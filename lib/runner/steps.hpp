// How the runner cuts one migration file into what it sends to the server.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "dbsafe/migrate.hpp"

namespace dbsafe::runner {

enum class StepKind {
  Wrapped,           // transactional statements the runner wraps in BEGIN/COMMIT
  SelfManaged,       // statements sent as written: the file controls its transactions
  NonTransactional,  // one statement PostgreSQL refuses inside a transaction
};

struct Step {
  StepKind kind = StepKind::Wrapped;
  std::size_t begin = 0;  // byte range in the file
  std::size_t end = 0;
  std::uint32_t line = 1, column = 1;
  std::vector<std::size_t> statement_begins;  // byte offsets in the file
  // CREATE/DROP INDEX CONCURRENTLY: the index (schema may be empty: the
  // search path's), so a retried or resumed step can check what a previous
  // attempt left behind.
  std::string index_schema, index_name;
  bool creates_index = false, drops_index = false;
  // Whether running the step again after an interruption that may have
  // committed it is harmless (see runner.cpp, resuming).
  bool rerunnable = false;
};

struct Program {
  std::vector<Step> steps;
  // One wrapped step (or none): the migration and its history row commit
  // together, so a crash leaves no trace.
  bool atomic = false;
  std::size_t statements = 0;
};

Program plan_program(std::string_view sql, Runner mode, int pg_version);

}  // namespace dbsafe::runner
