/* A scheduled drift check through the C ABI: prints the drift report (JSON)
 * and exits 1 when the database no longer matches its migrations.
 *   cc drift_check.c $(pkg-config --cflags --libs dbsafe) -o drift_check
 *   DATABASE_URL=postgresql://... ./drift_check prisma/migrations */
#include <dbsafe/dbsafe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  dbsafe_buf report = DBSAFE_BUF_INIT;
  dbsafe_error *err = NULL;
  const char *url = getenv("DIRECT_URL");
  int status, drifted;
  if (url == NULL || *url == '\0') url = getenv("DATABASE_URL");
  if (argc != 2 || url == NULL || *url == '\0') {
    fprintf(stderr, "usage: DATABASE_URL=postgresql://... drift_check DIR\n");
    return 3;
  }
  /* NULL options: the default shadow database and schemas (c/schema.h). */
  status = dbsafe_drift(&report, url, argv[1], NULL, NULL, &err);
  if (status != DBSAFE_OK) {
    fprintf(stderr, "%s: %s\n", dbsafe_status_name(status), dbsafe_error_message(err));
    dbsafe_error_free(err);
    return status == DBSAFE_ECONNECT || status == DBSAFE_EAUTH ? 4 : 3;
  }
  /* The report is compact JSON (docs/schema/diff-report.v1.json). */
  drifted = strstr(report.ptr, "\"drift\":true") != NULL;
  printf("%s\n", report.ptr);
  dbsafe_buf_dispose(&report);
  return drifted ? 1 : 0;
}
