/* dbsafe C ABI: reading a migration set from disk. */
#ifndef DBSAFE_C_SOURCE_H
#define DBSAFE_C_SOURCE_H

#include "call.h"
#include "common.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Directory layouts. DBSAFE_LAYOUT_AUTO detects the layout (docs/migrations.md). */
typedef enum dbsafe_layout {
  DBSAFE_LAYOUT_AUTO = 0,
  DBSAFE_LAYOUT_PRISMA = 1,        /* <dir>/<name>/migration.sql + migration_lock.toml */
  DBSAFE_LAYOUT_PLAIN = 2,         /* ordered *.sql files */
  DBSAFE_LAYOUT_FLYWAY = 3,        /* V<ver>__<desc>.sql, R__<desc>.sql */
  DBSAFE_LAYOUT_DBMATE = 4,        /* <ver>_<name>.sql with -- migrate:up / down */
  DBSAFE_LAYOUT_GOLANG_MIGRATE = 5 /* <ver>_<name>.up.sql / .down.sql */
} dbsafe_layout;

/* Options for reading a migration set; versioned like dbsafe_call_options. */
typedef struct dbsafe_source_options {
  unsigned int version;
  int layout;              /* a dbsafe_layout */
  uint64_t max_file_bytes; /* 0: the default, 64 MiB */
} dbsafe_source_options;

#define DBSAFE_SOURCE_OPTIONS_VERSION 1
#define DBSAFE_SOURCE_OPTIONS_INIT \
  { DBSAFE_SOURCE_OPTIONS_VERSION, DBSAFE_LAYOUT_AUTO, 0 }

DBSAFE_API int dbsafe_source_options_init(dbsafe_source_options *opts, unsigned int version);

/* Reads the migration set at `path` (a migration directory, or a project
 * directory with exactly one Prisma migration directory below it) and writes
 * the listing document (docs/schema/migration-set.v1.json) to
 * `out_listing_json`. `opts` and `call` may be NULL. Progress events:
 * {"event":"migration_read","index":i,"total":n,"name":...}.
 * Thread safety: reentrant; may run on any thread. */
DBSAFE_API int dbsafe_migrations_open(dbsafe_buf *out_listing_json, const char *path,
                                      const dbsafe_source_options *opts,
                                      const dbsafe_call_options *call, dbsafe_error **out_err);

/* 1 when `script` (len bytes) matches a checksum stored in Prisma's
 * _prisma_migrations table, the way Prisma compares them: as is, with CRLF
 * turned to LF, or LF turned to CRLF; also Prisma's old unpadded hex form.
 * 0 otherwise. Any thread. */
DBSAFE_API int dbsafe_checksum_matches(const char *script, size_t len, const char *stored_checksum);

#ifdef __cplusplus
}
#endif

#endif /* DBSAFE_C_SOURCE_H */
