/* Compile-only: dbsafe.h is strict C11 (-std=c11 -pedantic -Werror). */
#include "dbsafe/dbsafe.h"

int dbsafe_header_c11_check(void);
int dbsafe_header_c11_check(void) {
  dbsafe_buf buf = DBSAFE_BUF_INIT;
  dbsafe_call_options call = DBSAFE_CALL_OPTIONS_INIT;
  dbsafe_source_options source = DBSAFE_SOURCE_OPTIONS_INIT;
  (void)buf;
  (void)call;
  (void)source;
  return DBSAFE_OK;
}
