// Pins the layout of every versioned options struct (libgit2#6210: a struct
// grew without a version bump). Changing a number here means the ABI changed:
// append fields only, and bump the struct's _VERSION when you do.
#include <gtest/gtest.h>

#include <cstddef>

#include "dbsafe/dbsafe.h"

#if defined(__x86_64__) || defined(__aarch64__)
TEST(AbiLayout, CallOptionsVersion1) {
  static_assert(DBSAFE_CALL_OPTIONS_VERSION == 1);
  EXPECT_EQ(sizeof(dbsafe_call_options), 48u);
  EXPECT_EQ(offsetof(dbsafe_call_options, version), 0u);
  EXPECT_EQ(offsetof(dbsafe_call_options, cancel), 8u);
  EXPECT_EQ(offsetof(dbsafe_call_options, timeout_ms), 16u);
  EXPECT_EQ(offsetof(dbsafe_call_options, log), 24u);
  EXPECT_EQ(offsetof(dbsafe_call_options, progress), 32u);
  EXPECT_EQ(offsetof(dbsafe_call_options, payload), 40u);
}

TEST(AbiLayout, SourceOptionsVersion1) {
  static_assert(DBSAFE_SOURCE_OPTIONS_VERSION == 1);
  EXPECT_EQ(sizeof(dbsafe_source_options), 16u);
  EXPECT_EQ(offsetof(dbsafe_source_options, version), 0u);
  EXPECT_EQ(offsetof(dbsafe_source_options, layout), 4u);
  EXPECT_EQ(offsetof(dbsafe_source_options, max_file_bytes), 8u);
}

TEST(AbiLayout, Buffer) {
  EXPECT_EQ(sizeof(dbsafe_buf), 24u);
  EXPECT_EQ(offsetof(dbsafe_buf, ptr), 0u);
  EXPECT_EQ(offsetof(dbsafe_buf, size), 8u);
}
#endif
