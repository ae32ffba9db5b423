/* dbsafe C ABI: risk classification of migrations. */
#ifndef DBSAFE_C_CHECK_H
#define DBSAFE_C_CHECK_H

#include "call.h"
#include "common.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Checks the migration sets at `paths` (n_paths directories or .sql files,
 * in order) and writes the check report (docs/schema/check-report.v1.json).
 * `options_json` may be NULL or a JSON object with any of: "pg_version"
 * (int), "runner" ("safe"|"prisma"), "fail_on" ("info"|"warning"|"error"),
 * "rules" ({"rule-id": "off"|"info"|"warning"|"error"}), "enable" (rule ids),
 * "config" (a dbsafe.toml path; "-" for none), "database_url" (read the
 * stats from this database first), "stats" (a stats document,
 * docs/schema/stats.v1.json), "stats_file" (its path), "only_migrations"
 * (names), "layout", "max_file_bytes", "large_table_rows",
 * "large_table_bytes". SQL syntax errors are findings (rule "syntax-error"),
 * not call failures. Thread safety: reentrant. */
DBSAFE_API int dbsafe_check(dbsafe_buf *out_report_json, const char *const *paths, size_t n_paths,
                            const char *options_json, const dbsafe_call_options *call,
                            dbsafe_error **out_err);

/* Checks one SQL text (len bytes) as a one-file migration called `name`.
 * `options_json` as for dbsafe_check, except "database_url" (pass "stats"). */
DBSAFE_API int dbsafe_check_sql(dbsafe_buf *out_report_json, const char *sql, size_t len,
                                const char *name, const char *options_json, dbsafe_error **out_err);

/* Reads table sizes, row estimates, emptiness (EXISTS, never COUNT) and
 * index usage from `database_url` with read-only queries, and writes the
 * stats document (docs/schema/stats.v1.json) that dbsafe_check's "stats"
 * option and `dbsafe check --stats` take. */
DBSAFE_API int dbsafe_stats_collect(dbsafe_buf *out_stats_json, const char *database_url,
                                    const dbsafe_call_options *call, dbsafe_error **out_err);

#ifdef __cplusplus
}
#endif

#endif /* DBSAFE_C_CHECK_H */
