#include "runner/history.hpp"

#include "util/random.hpp"

namespace dbsafe::runner {

namespace {

// ISO 8601 in UTC with milliseconds, the same text whatever the session's
// TimeZone and DateStyle.
std::string iso(const std::string &column) {
  return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
}

}  // namespace

History::History(pg::Connection &conn, std::string schema)
    : conn_(conn), schema_(std::move(schema)) {
  table_ = conn_.quote_identifier(schema_) + ".\"_prisma_migrations\"";
}

bool History::exists() {
  return conn_.exec("SELECT to_regclass($1) IS NOT NULL", {table_}).text(0, 0) == "t";
}

void History::create_if_missing() {
  if (exists()) return;
  conn_.exec("CREATE SCHEMA IF NOT EXISTS " + conn_.quote_identifier(schema_));
  // Prisma Migrate's own DDL for the table, column for column.
  conn_.exec("CREATE TABLE IF NOT EXISTS " + table_ +
             " (\n"
             "    \"id\"                    VARCHAR(36) PRIMARY KEY NOT NULL,\n"
             "    \"checksum\"              VARCHAR(64) NOT NULL,\n"
             "    \"finished_at\"           TIMESTAMPTZ,\n"
             "    \"migration_name\"        VARCHAR(255) NOT NULL,\n"
             "    \"logs\"                  TEXT,\n"
             "    \"rolled_back_at\"        TIMESTAMPTZ,\n"
             "    \"started_at\"            TIMESTAMPTZ NOT NULL DEFAULT now(),\n"
             "    \"applied_steps_count\"   INTEGER NOT NULL DEFAULT 0\n"
             ")");
}

std::vector<HistoryRow> History::rows() {
  auto r = conn_.exec("SELECT id, checksum, " + iso("finished_at") + ", migration_name, logs, " +
                      iso("rolled_back_at") + ", " + iso("started_at") +
                      ", applied_steps_count FROM " + table_ + " ORDER BY started_at, id");
  std::vector<HistoryRow> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    HistoryRow row;
    row.id = r.text(i, 0);
    row.checksum = r.text(i, 1);
    row.finished_at = r.optional_text(i, 2);
    row.migration_name = r.text(i, 3);
    row.logs = r.optional_text(i, 4);
    row.rolled_back_at = r.optional_text(i, 5);
    row.started_at = r.text(i, 6);
    row.applied_steps_count = std::stoi(r.text(i, 7));
    out.push_back(std::move(row));
  }
  return out;
}

// Ids must not repeat across the processes that deploy at once: each is
// drawn from the operating system.
std::string History::new_id() {
  return util::random_uuid();
}

std::string History::insert_started(const std::string &id, const std::string &name,
                                    const std::string &checksum) {
  return "INSERT INTO " + table_ +
         " (id, checksum, migration_name, started_at, applied_steps_count) VALUES (" +
         conn_.quote_literal(id) + ", " + conn_.quote_literal(checksum) + ", " +
         conn_.quote_literal(name) + ", now(), 0)";
}

std::string History::mark_finished(const std::string &id) {
  // clock_timestamp(): now() is the transaction's start, the same as
  // started_at when the row was inserted in the same transaction.
  return "UPDATE " + table_ +
         " SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = " +
         conn_.quote_literal(id);
}

std::string History::insert_finished(const std::string &id, const std::string &name,
                                     const std::string &checksum) {
  return "INSERT INTO " + table_ +
         " (id, checksum, migration_name, started_at, finished_at, applied_steps_count) VALUES (" +
         conn_.quote_literal(id) + ", " + conn_.quote_literal(checksum) + ", " +
         conn_.quote_literal(name) + ", now(), clock_timestamp(), 1)";
}

std::string History::insert_failed(const std::string &id, const std::string &name,
                                   const std::string &checksum, const std::string &logs) {
  return "INSERT INTO " + table_ +
         " (id, checksum, migration_name, logs, started_at, applied_steps_count) VALUES (" +
         conn_.quote_literal(id) + ", " + conn_.quote_literal(checksum) + ", " +
         conn_.quote_literal(name) + ", " + conn_.quote_literal(logs) + ", now(), 0)";
}

std::string History::set_logs(const std::string &id, const std::string &logs) {
  return "UPDATE " + table_ + " SET logs = " + conn_.quote_literal(logs) +
         " WHERE id = " + conn_.quote_literal(id);
}

std::string History::insert_applied(const std::string &name, const std::string &checksum) {
  // What `prisma migrate resolve --applied` writes: started and finished
  // now, no steps run.
  return "INSERT INTO " + table_ +
         " (id, checksum, migration_name, started_at, finished_at, applied_steps_count) VALUES (" +
         conn_.quote_literal(new_id()) + ", " + conn_.quote_literal(checksum) + ", " +
         conn_.quote_literal(name) + ", now(), now(), 0)";
}

std::string History::mark_rolled_back(const std::string &id) {
  return "UPDATE " + table_ + " SET rolled_back_at = now() WHERE id = " + conn_.quote_literal(id);
}

bool History::steps_table_exists() {
  return conn_.exec("SELECT to_regclass('dbsafe.migration_steps') IS NOT NULL").text(0, 0) == "t";
}

void History::create_steps_table() {
  if (steps_table_exists()) return;
  conn_.exec("CREATE SCHEMA IF NOT EXISTS dbsafe");
  conn_.exec(
      "CREATE TABLE IF NOT EXISTS dbsafe.migration_steps (\n"
      "  migration_id   varchar(36)  NOT NULL,\n"
      "  migration_name varchar(255) NOT NULL,\n"
      "  step           integer      NOT NULL,\n"
      "  steps          integer      NOT NULL,\n"
      "  line           integer      NOT NULL,\n"
      "  mode           text,\n"
      "  finished_at    timestamptz  NOT NULL DEFAULT clock_timestamp(),\n"
      "  PRIMARY KEY (migration_id, step)\n"
      ")");
  conn_.exec(
      "COMMENT ON TABLE dbsafe.migration_steps IS 'dbsafe: the committed steps of migrations that "
      "ran in several transactions (step 0: started); _prisma_migrations.id is migration_id'");
}

std::map<std::string, History::StepRecords> History::step_records() {
  std::map<std::string, StepRecords> out;
  if (!steps_table_exists()) return out;
  auto r = conn_.exec("SELECT migration_id, step, coalesce(mode, '') FROM dbsafe.migration_steps");
  for (int i = 0; i < r.rows(); ++i) {
    auto &records = out[r.text(i, 0)];
    int step = std::stoi(r.text(i, 1));
    records.steps.insert(step);
    if (step == 0) records.mode = r.text(i, 2);
  }
  return out;
}

std::string History::record_step(const std::string &id, const std::string &name, int step,
                                 int steps, int line, const std::string &mode) {
  return "INSERT INTO dbsafe.migration_steps (migration_id, migration_name, step, steps, line, "
         "mode) VALUES (" +
         conn_.quote_literal(id) + ", " + conn_.quote_literal(name) + ", " + std::to_string(step) +
         ", " + std::to_string(steps) + ", " + std::to_string(line) + ", " +
         (mode.empty() ? std::string("NULL") : conn_.quote_literal(mode)) + ")";
}

}  // namespace dbsafe::runner
