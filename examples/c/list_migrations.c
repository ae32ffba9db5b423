/* Lists a migration set through the C ABI and prints the JSON listing.
 *   cc list_migrations.c $(pkg-config --cflags --libs dbsafe) -o list_migrations
 *   ./list_migrations prisma/migrations */
#include <dbsafe/dbsafe.h>
#include <stdio.h>

int main(int argc, char **argv) {
  dbsafe_buf listing = DBSAFE_BUF_INIT;
  dbsafe_error *err = NULL;
  dbsafe_source_options opts = DBSAFE_SOURCE_OPTIONS_INIT;
  if (argc != 2) {
    fprintf(stderr, "usage: list_migrations DIR\n");
    return 3;
  }
  if (dbsafe_migrations_open(&listing, argv[1], &opts, NULL, &err) != DBSAFE_OK) {
    fprintf(stderr, "%s: %s\n", dbsafe_status_name(dbsafe_error_code(err)),
            dbsafe_error_message(err));
    dbsafe_error_free(err);
    return 3;
  }
  printf("%s\n", listing.ptr);
  dbsafe_buf_dispose(&listing);
  return 0;
}
