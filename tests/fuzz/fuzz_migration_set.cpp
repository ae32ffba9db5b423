// libFuzzer target: the migration-set reader over a directory the fuzzer
// lays out: layout detection, version and name parsing for every layout,
// migration_lock.toml, dbmate's up/down sections, Flyway's V/U/R files,
// golang-migrate's up/down pairs, symlinks, and the listing document.
//
// Input: byte 0 picks the layout (auto or forced) and the file size limit;
// the rest is files: a line "@@ path" starts one and the lines up to the next
// such line are its bytes. "@@ path -> target" makes a symlink instead.
// Paths stay inside the scratch directory ("..", "." and empty segments are
// dropped; targets may not be absolute or contain "..").
//
// Property: MigrationSet::open and the check command's reader
// (source::list_for_check and its pending reads) agree: the same migrations in the same order with
// the same SQL, or the same error.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include "dbsafe/source.hpp"
#include "fuzz_support.hpp"
#include "support/read_for_check.hpp"

namespace {

namespace fs = std::filesystem;

// "a/../b//c" -> "a/b/c"; empty when nothing usable is left.
std::string clean_path(std::string_view raw, int max_depth) {
  std::string out;
  int depth = 0;
  for (std::string_view seg : dbsafe::fuzz::split(raw, "/")) {
    if (seg.empty() || seg == "." || seg == "..") continue;
    if (++depth > max_depth) break;
    std::string s(seg.substr(0, 80));
    for (char &c : s)
      if (c == '\0') c = '_';
    out += (out.empty() ? "" : "/") + s;
  }
  return out;
}

void lay_out(const dbsafe::fuzz::ScratchDir &dir, std::string_view spec) {
  int files = 0;
  auto parts = dbsafe::fuzz::split(spec, "\n@@ ");
  // Text before the first marker is ignored unless the input starts with one.
  if (spec.substr(0, 3) == "@@ ")
    parts.front().remove_prefix(3);
  else
    parts.erase(parts.begin());
  for (std::string_view part : parts) {
    if (++files > 40) break;
    auto eol = part.find('\n');
    std::string_view header = part.substr(0, eol);
    std::string_view body = eol == std::string_view::npos ? "" : part.substr(eol + 1);
    auto arrow = header.find(" -> ");
    std::string path = clean_path(header.substr(0, arrow), 6);
    if (path.empty()) continue;
    if (arrow != std::string_view::npos) {
      std::string target(header.substr(arrow + 4));
      if (target.empty() || target.front() == '/' || target.find("..") != std::string::npos ||
          target.find('\0') != std::string::npos)
        continue;
      std::error_code ec;
      fs::create_directories((dir.path() / path).parent_path(), ec);
      fs::create_symlink(target, dir.path() / path, ec);
      continue;
    }
    dir.write(path, body);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace dbsafe;
  static fuzz::ScratchDir dir;
  if (size == 0) return 0;
  dir.reset();
  lay_out(dir, std::string_view(reinterpret_cast<const char *>(data) + 1, size - 1));

  static const Layout layouts[] = {Layout::Auto,   Layout::Prisma, Layout::Plain,
                                   Layout::Flyway, Layout::Dbmate, Layout::GolangMigrate};
  SourceOptions options;
  options.layout = layouts[data[0] % 6];
  if (data[0] & 0x80) options.max_file_bytes = 64;

  std::string opened_error, checked_error;
  std::optional<MigrationSet> set;
  std::optional<testing::CheckedSet> checked;
  try {
    set = MigrationSet::open(dir.path(), options);
    if (set->to_json().empty()) __builtin_trap();
  } catch (const Error &e) {
    opened_error = e.message();
  }
  try {
    checked = testing::read_for_check(dir.path(), options, {});
  } catch (const Error &e) {
    checked_error = e.message();
  }
  if (opened_error != checked_error) __builtin_trap();
  if (set.has_value() != checked.has_value()) __builtin_trap();
  if (set) {
    const auto &a = set->migrations();
    const auto &b = checked->migrations;
    if (a.size() != b.size() || set->root() != checked->root) __builtin_trap();
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a[i].name != b[i].name || a[i].sql != b[i].sql || a[i].path != b[i].path)
        __builtin_trap();
  }
  return 0;
}
