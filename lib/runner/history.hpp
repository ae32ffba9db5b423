// Prisma's _prisma_migrations table, read and written exactly as Prisma
// Migrate does, and dbsafe's own step records in the `dbsafe` schema.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "pg/connection.hpp"

namespace dbsafe::runner {

struct HistoryRow {
  std::string id;
  std::string checksum;
  std::optional<std::string> finished_at;
  std::string migration_name;
  std::optional<std::string> logs;
  std::optional<std::string> rolled_back_at;
  std::string started_at;
  int applied_steps_count = 0;

  bool applied() const { return finished_at && !rolled_back_at; }
  bool failed() const { return !finished_at && !rolled_back_at; }
};

class History {
 public:
  // `schema`: where _prisma_migrations lives (Prisma's `schema` parameter).
  History(pg::Connection &conn, std::string schema);

  const std::string &table() const { return table_; }  // quoted, qualified
  bool exists();
  // Creates the schema (if missing) and the table with Prisma's DDL.
  void create_if_missing();
  std::vector<HistoryRow> rows();  // in the order they were started

  // New row ids, as Prisma makes them (a random UUID).
  static std::string new_id();

  // SQL text of the statements the runner sends (literals quoted).
  std::string insert_started(const std::string &id, const std::string &name,
                             const std::string &checksum);
  std::string mark_finished(const std::string &id);
  // A row started at the transaction's start and finished now.
  std::string insert_finished(const std::string &id, const std::string &name,
                              const std::string &checksum);
  std::string insert_failed(const std::string &id, const std::string &name,
                            const std::string &checksum, const std::string &logs);
  std::string set_logs(const std::string &id, const std::string &logs);
  std::string insert_applied(const std::string &name, const std::string &checksum);
  std::string mark_rolled_back(const std::string &id);

  // dbsafe.migration_steps: which steps of a multi-step migration committed,
  // keyed by the history row's id. Step 0 is written with the history row.
  bool steps_table_exists();
  void create_steps_table();
  // The steps of one attempt that committed, and the mode it ran in (a
  // resume must cut the file the same way).
  struct StepRecords {
    std::set<int> steps;
    std::string mode;  // "safe" or "prisma"
  };
  std::map<std::string, StepRecords> step_records();
  // `mode` is stored with step 0.
  std::string record_step(const std::string &id, const std::string &name, int step, int steps,
                          int line, const std::string &mode = "");

 private:
  pg::Connection &conn_;
  std::string schema_;
  std::string table_;
};

}  // namespace dbsafe::runner
