// libFuzzer target: any bytes as a migration file, through the splitter,
// PostgreSQL's parser, the analyzer and the JSON report, under both runners.
// It must never crash, hang or trip AddressSanitizer/UBSan; only
// dbsafe::Error may come out (for input the reader refuses).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dbsafe/check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view sql(reinterpret_cast<const char *>(data), size);
  for (auto runner : {dbsafe::Runner::Safe, dbsafe::Runner::Prisma}) {
    dbsafe::CheckOptions options;
    options.config_path = "-";
    options.runner = runner;
    options.enable = {"non-idempotent-statement", "require-schema-qualified-names"};
    try {
      auto report = dbsafe::check_sql(sql, "fuzz.sql", options);
      auto json = report.to_json();
      if (json.empty()) __builtin_trap();
    } catch (const dbsafe::Error &) {
    }
  }
  return 0;
}
