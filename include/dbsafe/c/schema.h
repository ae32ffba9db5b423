/* dbsafe C ABI: schema introspection, diff, drift, verify, and a baseline
 * taken from a live database. */
#ifndef DBSAFE_C_SCHEMA_H
#define DBSAFE_C_SCHEMA_H

#include "call.h"
#include "common.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* `options_json` of every schema call: NULL or a JSON object with any of
 *   "schemas" (array of schema names to include; default: all but
 *   PostgreSQL's own), "exclude_schemas" (array), "include_history" (bool:
 *   keep _prisma_migrations and the dbsafe schema),
 *   "shadow_database_url" (a server to replay migrations on; default: a
 *   temporary database on the checked server when its role may create
 *   databases, else an embedded throwaway cluster), "server_url" (where to
 *   create the temporary shadow database, for diff), "schema" (the schema
 *   migrations run in), "mode" ("safe"|"prisma"), "layout", "cache_dir"
 *   (keep replayed schemas there, reused while the migrations are unchanged),
 *   "renames" (array of "table s.Old=s.New" / "column s.T.old=new"),
 *   "pg_version" (risk classification of the SQL; default 15),
 *   "migration_name" (migrate baseline from a database).
 *
 * Sources ("from"/"to"): "url:postgresql://…" or a bare postgres URL,
 * "migrations:DIR", "empty", or a saved JSON model ("file:PATH" or a path
 * ending in .json). */

/* DBSAFE_SCHEMA_SQL: DDL in dependency order; DBSAFE_SCHEMA_JSON: the model
 * (docs/schema/schema-model.v1.json). */
typedef enum dbsafe_schema_format {
  DBSAFE_SCHEMA_SQL = 1,
  DBSAFE_SCHEMA_JSON = 2
} dbsafe_schema_format;

/* Introspects a live database and writes its schema. Read-only. */
DBSAFE_API int dbsafe_schema_dump(dbsafe_buf *out, const char *database_url, int format,
                                  const char *options_json, const dbsafe_call_options *call,
                                  dbsafe_error **out_err);

/* Loads a model from any source (see above) and writes it. */
DBSAFE_API int dbsafe_schema_render(dbsafe_buf *out, const char *source, int format,
                                    const char *options_json, const dbsafe_call_options *call,
                                    dbsafe_error **out_err);

/* Writes a diff report (docs/schema/diff-report.v1.json): the ordered
 * changes that turn `from` into `to`, their SQL ("sql") and the risk
 * findings of that SQL. */
DBSAFE_API int dbsafe_schema_diff(dbsafe_buf *out_report_json, const char *from, const char *to,
                                  const char *options_json, const dbsafe_call_options *call,
                                  dbsafe_error **out_err);

/* Drift: the live database against what the migrations produce. The
 * report's "drift" is true when they differ; "sql" brings the database back
 * to the migrations. */
DBSAFE_API int dbsafe_drift(dbsafe_buf *out_report_json, const char *database_url,
                            const char *migrations_dir, const char *options_json,
                            const dbsafe_call_options *call, dbsafe_error **out_err);

/* After a deploy: every table, index and constraint the migrations define
 * is present and valid (docs/schema/verify-report.v1.json; "ok"). */
DBSAFE_API int dbsafe_verify(dbsafe_buf *out_report_json, const char *database_url,
                             const char *migrations_dir, const char *options_json,
                             const dbsafe_call_options *call, dbsafe_error **out_err);

/* Writes <migrations_dir>/<timestamp>_baseline/migration.sql from the live
 * database's schema and records it as applied (a migrate report). The
 * migrate options of c/migrate.h apply too ("database_url", "schema", ...). */
DBSAFE_API int dbsafe_migrate_baseline_from_database(dbsafe_buf *out_report_json,
                                                     const char *migrations_dir,
                                                     const char *options_json,
                                                     const dbsafe_call_options *call,
                                                     dbsafe_error **out_err);

#ifdef __cplusplus
}
#endif

#endif /* DBSAFE_C_SCHEMA_H */
