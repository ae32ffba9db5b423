// Runs with DBSAFE_FAILPOINTS=capi.migrations_open.after_read (see
// tests/CMakeLists.txt): an internal std::runtime_error is thrown deep in the
// call, and the C ABI must turn it into an error object, never let it out.
#include <gtest/gtest.h>

#include "dbsafe/dbsafe.h"

TEST(CApiWall, InternalExceptionBecomesAnErrorObject) {
  std::string dir = std::string(DBSAFE_SOURCE_DIR) + "/tests/fixtures/prisma";
  dbsafe_buf buf = DBSAFE_BUF_INIT;
  dbsafe_error *err = nullptr;
  ASSERT_EQ(dbsafe_migrations_open(&buf, dir.c_str(), nullptr, nullptr, &err), DBSAFE_ERROR);
  EXPECT_EQ(buf.ptr, nullptr);
  ASSERT_NE(err, nullptr);
  EXPECT_STREQ(dbsafe_error_message(err),
               "internal error: failpoint capi.migrations_open.after_read triggered; please "
               "report it to the dbsafe developers");
  dbsafe_error_free(err);
  // Without an error out-parameter the code alone comes back.
  EXPECT_EQ(dbsafe_migrations_open(&buf, dir.c_str(), nullptr, nullptr, nullptr), DBSAFE_ERROR);
}
