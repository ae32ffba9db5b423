// What a C ABI call left behind, freed whatever the test's outcome.
#pragma once

#include <string>

#include "dbsafe/dbsafe.h"

namespace dbsafe::testing {

struct CResult {
  dbsafe_buf buf = DBSAFE_BUF_INIT;
  dbsafe_error *err = nullptr;
  int status = DBSAFE_OK;
  CResult() = default;
  CResult(const CResult &) = delete;
  CResult &operator=(const CResult &) = delete;
  ~CResult() {
    dbsafe_buf_dispose(&buf);
    dbsafe_error_free(err);
  }
  std::string text() const { return buf.ptr ? std::string(buf.ptr, buf.size) : std::string(); }
  std::string message() const { return err ? dbsafe_error_message(err) : std::string(); }
};

}  // namespace dbsafe::testing
