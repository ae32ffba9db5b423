#include "dbsafe/source.hpp"
#include "capi/internal.hpp"
#include "util/failpoint.hpp"

extern "C" {

int dbsafe_source_options_init(dbsafe_source_options *opts, unsigned int version) {
  if (opts == nullptr) return DBSAFE_EINVALID;
  if (version == 0 || version > DBSAFE_SOURCE_OPTIONS_VERSION) return DBSAFE_EVERSION;
  dbsafe_source_options defaults = DBSAFE_SOURCE_OPTIONS_INIT;
  *opts = defaults;
  opts->version = version;
  return DBSAFE_OK;
}

int dbsafe_migrations_open(dbsafe_buf *out_listing_json, const char *path,
                           const dbsafe_source_options *opts, const dbsafe_call_options *call,
                           dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  dbsafe::capi::require_empty_buf(out_listing_json, "out_listing_json");
  if (path == nullptr || *path == '\0')
    throw dbsafe::Error(dbsafe::ErrorCode::Invalid,
                        "path is empty; pass the directory that holds the migrations");
  dbsafe::SourceOptions options;
  if (opts != nullptr) {
    dbsafe::capi::require_version(opts->version, DBSAFE_SOURCE_OPTIONS_VERSION,
                                  "dbsafe_source_options");
    if (opts->layout < DBSAFE_LAYOUT_AUTO || opts->layout > DBSAFE_LAYOUT_GOLANG_MIGRATE)
      throw dbsafe::Error(dbsafe::ErrorCode::Invalid, "dbsafe_source_options.layout is " +
                                                          std::to_string(opts->layout) +
                                                          ", not a dbsafe_layout value");
    // The C enum and the C++ enum list the layouts in the same order.
    options.layout = static_cast<dbsafe::Layout>(opts->layout);
    if (opts->max_file_bytes != 0) options.max_file_bytes = opts->max_file_bytes;
  }
  auto call_options = dbsafe::capi::to_call_options(call);
  auto set = dbsafe::MigrationSet::open(path, options, call_options);
  dbsafe::util::failpoint("capi.migrations_open.after_read");
  dbsafe::capi::fill_buf(out_listing_json, set.to_json());
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

int dbsafe_checksum_matches(const char *script, size_t len, const char *stored_checksum) {
  try {
    if (script == nullptr || stored_checksum == nullptr) return 0;
    return dbsafe::checksum_matches(std::string_view(script, len), stored_checksum) ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

}  // extern "C"
