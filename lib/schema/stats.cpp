// `dbsafe stats`: the live facts `check` scales its findings by, read with
// read-only queries in one READ ONLY transaction (safe through a pooler).
#include "dbsafe/check.hpp"
#include "pg/connection.hpp"

namespace dbsafe {
inline namespace v1 {

namespace {
constexpr std::size_t kMaxEmptinessProbes = 5000;
}

Stats collect_stats(const std::string &database_url, const CallOptions &call) {
  CallContext ctx(call);
  auto conn = pg::Connection::open(pg::parse_target(database_url).conninfo, ctx);
  Stats stats;
  conn.exec("BEGIN READ ONLY");
  // Bounded: a probe must never hold the caller up on a busy server.
  conn.exec("SET LOCAL statement_timeout = '5s'");
  conn.exec("SET LOCAL lock_timeout = '1s'");
  stats.server_version_num = std::stoi(conn.exec("SHOW server_version_num").text(0, 0));
  auto tables = conn.exec(
      "SELECT n.nspname, c.relname, c.reltuples::float8, pg_total_relation_size(c.oid), "
      "(SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid) "
      "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', "
      "'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' ORDER BY 1, 2");
  for (int i = 0; i < tables.rows(); ++i) {
    ctx.checkpoint();
    std::string schema = tables.text(i, 0), name = tables.text(i, 1);
    TableStats t;
    t.row_estimate = std::stod(tables.text(i, 2));
    t.total_bytes = std::stoll(tables.text(i, 3));
    t.index_count = std::stoi(tables.text(i, 4));
    // Emptiness is asked, never counted (RULES.md clarification 11); a table
    // we may not read stays unknown.
    if (i < static_cast<int>(kMaxEmptinessProbes)) {
      conn.exec("SAVEPOINT dbsafe_probe");
      try {
        auto r = conn.exec("SELECT EXISTS (SELECT 1 FROM ONLY " + conn.quote_identifier(schema) +
                           "." + conn.quote_identifier(name) + ")");
        t.empty = r.text(0, 0) != "t";
        conn.exec("RELEASE SAVEPOINT dbsafe_probe");
      } catch (const Error &e) {
        conn.exec("ROLLBACK TO SAVEPOINT dbsafe_probe");
        ctx.log(LogLevel::Warning, "stats",
                schema + "." + name + ": cannot tell whether it is empty: " + e.message());
      }
    }
    stats.tables[schema + "." + name] = t;
  }
  auto indexes = conn.exec(
      "SELECT schemaname, indexrelname, relname, idx_scan, pg_relation_size(indexrelid) "
      "FROM pg_stat_user_indexes ORDER BY 1, 2");
  for (int i = 0; i < indexes.rows(); ++i) {
    IndexStats s;
    s.table = indexes.text(i, 0) + "." + indexes.text(i, 2);
    s.idx_scan = indexes.is_null(i, 3) ? -1 : std::stoll(indexes.text(i, 3));
    s.bytes = std::stoll(indexes.text(i, 4));
    stats.indexes[indexes.text(i, 0) + "." + indexes.text(i, 1)] = s;
  }
  conn.exec("COMMIT");
  return stats;
}

}  // namespace v1
}  // namespace dbsafe
