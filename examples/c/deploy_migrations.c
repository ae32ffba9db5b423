/* Deploys a migration directory through the C ABI: pending migrations are
 * applied in order under Prisma's migration lock, and the migrate report
 * (JSON) is printed. The database URL comes from DIRECT_URL or DATABASE_URL.
 *   cc deploy_migrations.c $(pkg-config --cflags --libs dbsafe) -o deploy_migrations
 *   DATABASE_URL=postgresql://... ./deploy_migrations prisma/migrations */
#include <dbsafe/dbsafe.h>
#include <stdio.h>
#include <string.h>

/* Progress events arrive as JSON objects; print the migrations as they end. */
static int on_progress(void *payload, const char *event_json) {
  (void)payload;
  if (strstr(event_json, "\"event\":\"migration-finish\"") != NULL)
    fprintf(stderr, "%s\n", event_json);
  return 0; /* non-zero would stop the deploy */
}

int main(int argc, char **argv) {
  dbsafe_buf report = DBSAFE_BUF_INIT;
  dbsafe_error *err = NULL;
  dbsafe_call_options call = DBSAFE_CALL_OPTIONS_INIT;
  int status;
  if (argc != 2) {
    fprintf(stderr, "usage: deploy_migrations DIR\n");
    return 3;
  }
  call.progress = on_progress;
  status = dbsafe_migrate_deploy(&report, argv[1], "{\"mode\": \"safe\"}", &call, &err);
  if (status != DBSAFE_OK) {
    /* A failed migration points at its file, line and column. */
    fprintf(stderr, "%s: %s\n", dbsafe_status_name(status), dbsafe_error_message(err));
    if (dbsafe_error_file(err) != NULL && dbsafe_error_line(err) > 0)
      fprintf(stderr, "at %s:%u\n", dbsafe_error_file(err), (unsigned)dbsafe_error_line(err));
    dbsafe_error_free(err);
    return status == DBSAFE_ESTATE ? 2 : 5;
  }
  printf("%s\n", report.ptr);
  dbsafe_buf_dispose(&report);
  return 0;
}
