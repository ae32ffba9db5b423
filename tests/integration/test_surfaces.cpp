// The same listing through the C++ API, the C ABI and the CLI binary is the
// same JSON text, byte for byte (Node and Python compare with the CLI too).
#include <gtest/gtest.h>

#include <cstdio>

#include "dbsafe/dbsafe.h"
#include "dbsafe/source.hpp"
#include "support/temp_dir.hpp"

namespace {

std::string run_cli(const std::string &dir) {
  std::string cmd = std::string("'") + DBSAFE_CLI_PATH + "' list --format json '" + dir + "'";
  std::string out;
  FILE *pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return out;
  char chunk[65536];
  std::size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, pipe)) > 0) out.append(chunk, n);
  EXPECT_EQ(pclose(pipe), 0);
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string via_c_abi(const std::string &dir) {
  dbsafe_buf buf = DBSAFE_BUF_INIT;
  dbsafe_error *err = nullptr;
  int rc = dbsafe_migrations_open(&buf, dir.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, DBSAFE_OK) << dbsafe_error_message(err);
  dbsafe_error_free(err);
  std::string out(buf.ptr ? buf.ptr : "", buf.size);
  dbsafe_buf_dispose(&buf);
  return out;
}

TEST(Surfaces, CorpusListingIsIdenticalInCppCAndCli) {
  for (const char *project : {"hoppscotch", "documenso", "inbox-zero", "langfuse", "trigger.dev"}) {
    auto dir = dbsafe::testing::corpus_dir() + "/" + project;
    if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no corpus at " << dir;
    auto cxx = dbsafe::MigrationSet::open(dir).to_json();
    EXPECT_EQ(cxx, via_c_abi(dir)) << project;
    EXPECT_EQ(cxx, run_cli(dir)) << project;
  }
}

}  // namespace
