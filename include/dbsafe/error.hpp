// dbsafe::Error, the one exception type of the C++ API. It carries the same
// fields as the C ABI's dbsafe_error.
#pragma once

#include <cstdint>
#include <exception>
#include <string>

#include "dbsafe/export.hpp"

namespace dbsafe {
inline namespace v1 {

// Values equal the C ABI's dbsafe_status; never renumbered.
enum class ErrorCode : int {
  Ok = 0,
  Internal = -1,
  Invalid = -2,
  NotFound = -3,
  Parse = -4,
  Database = -5,
  Http = -6,
  Auth = -7,
  Timeout = -8,
  Cancelled = -9,
  Callback = -10,
  Version = -11,
  Io = -12,
  Connect = -13,
  State = -14,
};

// The symbolic C name of a code, e.g. "DBSAFE_ENOTFOUND".
DBSAFE_CXX_API const char *error_code_name(ErrorCode code) noexcept;

class DBSAFE_CXX_API Error : public std::exception {
 public:
  Error(ErrorCode code, std::string message);

  ErrorCode code() const noexcept { return code_; }
  const std::string &message() const noexcept { return message_; }
  const char *what() const noexcept override { return message_.c_str(); }

  // Where the error points: a file and a 1-based line and column (0: unknown).
  const std::string &file() const noexcept { return file_; }
  std::uint32_t line() const noexcept { return line_; }
  std::uint32_t column() const noexcept { return column_; }
  const std::string &sqlstate() const noexcept { return sqlstate_; }
  int http_status() const noexcept { return http_status_; }
  // A JSON object with further detail ("{}" when there is none).
  const std::string &detail_json() const noexcept { return detail_json_; }

  Error &with_file(std::string file, std::uint32_t line = 0, std::uint32_t column = 0);
  Error &with_sqlstate(std::string sqlstate);
  Error &with_http_status(int status);
  Error &with_detail_json(std::string detail_json);

  // The error as the JSON object documented for dbsafe_error_json.
  std::string to_json() const;

 private:
  ErrorCode code_;
  std::string message_;
  std::string file_;
  std::uint32_t line_ = 0;
  std::uint32_t column_ = 0;
  std::string sqlstate_;
  int http_status_ = 0;
  std::string detail_json_ = "{}";
};

}  // namespace v1
}  // namespace dbsafe
