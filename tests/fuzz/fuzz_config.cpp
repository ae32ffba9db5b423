// libFuzzer target: any bytes as dbsafe.toml, read by each of its readers:
// deploy targets ([targets.NAME], [neon]), the Vercel mapping ([vercel]) and
// the check configuration (rules, enable, thresholds, overrides, applied to a
// migration so the overrides' path patterns run too).
//
// Only dbsafe::Error may come out, and a parse error must name the file.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dbsafe/check.hpp"
#include "dbsafe/deploy.hpp"
#include "fuzz_support.hpp"

namespace {

void must_name_file(const dbsafe::Error &e, const std::string &path) {
  if (e.code() == dbsafe::ErrorCode::Parse && e.message().find(path) == std::string::npos)
    __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace dbsafe;
  static fuzz::ScratchDir dir;
  dir.reset();
  dir.write("dbsafe.toml", std::string_view(reinterpret_cast<const char *>(data), size));
  const std::string path = (dir.path() / "dbsafe.toml").string();

  for (const char *name : {"production", "staging", "preview", "a"}) {
    try {
      DeployTarget t = load_deploy_target(name, path);
      (void)t;
    } catch (const Error &e) {
      must_name_file(e, path);
    }
  }
  for (const char *env : {"production", "preview", "development"}) {
    try {
      (void)vercel_target(env, path);
    } catch (const Error &e) {
      must_name_file(e, path);
    }
  }
  try {
    CheckOptions options;
    options.config_path = path;
    auto report = check_sql("ALTER TABLE users ADD COLUMN age int NOT NULL;\nDROP TABLE old;\n",
                            "prisma/migrations/20240101000000_init/migration.sql", options);
    if (report.to_json().empty()) __builtin_trap();
  } catch (const Error &e) {
    must_name_file(e, path);
  }
  return 0;
}
