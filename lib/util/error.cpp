#include "dbsafe/error.hpp"

#include "util/json_writer.hpp"

namespace dbsafe {
inline namespace v1 {

const char *error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::Ok:
      return "DBSAFE_OK";
    case ErrorCode::Internal:
      return "DBSAFE_ERROR";
    case ErrorCode::Invalid:
      return "DBSAFE_EINVALID";
    case ErrorCode::NotFound:
      return "DBSAFE_ENOTFOUND";
    case ErrorCode::Parse:
      return "DBSAFE_EPARSE";
    case ErrorCode::Database:
      return "DBSAFE_EDB";
    case ErrorCode::Http:
      return "DBSAFE_EHTTP";
    case ErrorCode::Auth:
      return "DBSAFE_EAUTH";
    case ErrorCode::Timeout:
      return "DBSAFE_ETIMEOUT";
    case ErrorCode::Cancelled:
      return "DBSAFE_ECANCELLED";
    case ErrorCode::Callback:
      return "DBSAFE_EUSER";
    case ErrorCode::Version:
      return "DBSAFE_EVERSION";
    case ErrorCode::Io:
      return "DBSAFE_EIO";
    case ErrorCode::Connect:
      return "DBSAFE_ECONNECT";
    case ErrorCode::State:
      return "DBSAFE_ESTATE";
  }
  return "DBSAFE_UNKNOWN";
}

Error::Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

Error &Error::with_file(std::string file, std::uint32_t line, std::uint32_t column) {
  file_ = std::move(file);
  line_ = line;
  column_ = column;
  return *this;
}

Error &Error::with_sqlstate(std::string sqlstate) {
  sqlstate_ = std::move(sqlstate);
  return *this;
}

Error &Error::with_http_status(int status) {
  http_status_ = status;
  return *this;
}

Error &Error::with_detail_json(std::string detail_json) {
  detail_json_ = detail_json.empty() ? "{}" : std::move(detail_json);
  return *this;
}

std::string Error::to_json() const {
  util::JsonWriter w;
  w.begin_object();
  w.field("schema_version", 1);
  w.field("code", static_cast<int>(code_));
  w.field("name", error_code_name(code_));
  w.field("message", message_);
  w.key("sqlstate");
  sqlstate_.empty() ? w.null() : w.value(sqlstate_);
  w.key("file");
  file_.empty() ? w.null() : w.value(file_);
  w.field("line", line_);
  w.field("column", column_);
  w.field("http_status", http_status_);
  w.key("detail").raw(detail_json_);
  w.end_object();
  return w.take();
}

}  // namespace v1
}  // namespace dbsafe
