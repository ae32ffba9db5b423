// main() for GoogleTest binaries that need PostgreSQL: a gtest_main replacement
// that registers dbsafe::testing::PostgresEnvironment before running the tests.
#include <gtest/gtest.h>

#include "pg_test_env.hpp"

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // GoogleTest takes ownership of the environment.
  ::testing::AddGlobalTestEnvironment(new dbsafe::testing::PostgresEnvironment);
  return RUN_ALL_TESTS();
}
