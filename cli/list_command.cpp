#include "cli/list_command.hpp"

#include <iomanip>
#include <memory>

#include "cli/exit_codes.hpp"
#include "dbsafe/source.hpp"

namespace dbsafe::cli {

namespace {

struct ListArgs {
  std::string dir;
  std::string format = "text";
  std::string layout = "auto";
  std::uint64_t max_file_bytes = kDefaultMaxFileBytes;
};

void print_text(std::ostream &out, const MigrationSet &set) {
  out << layout_name(set.layout()) << " migrations in " << set.root();
  if (set.provider()) out << " (provider " << *set.provider() << ")";
  out << "\n";
  std::size_t name_width = 4, version_width = 7;
  for (const auto &m : set.migrations()) {
    name_width = std::max(name_width, m.name.size());
    version_width = std::max(version_width, m.version.size());
  }
  auto row = [&](std::string_view index, std::string_view version, std::string_view name,
                 std::string_view bytes, std::string_view checksum) {
    out << std::right << std::setw(5) << index << "  " << std::left
        << std::setw(static_cast<int>(version_width)) << version << "  "
        << std::setw(static_cast<int>(name_width)) << name << "  " << std::right << std::setw(9)
        << bytes << "  " << checksum << "\n";
  };
  row("#", "version", "name", "bytes", "sha256");
  std::uint64_t total = 0;
  std::size_t index = 0;
  for (const auto &m : set.migrations()) {
    total += m.bytes;
    row(std::to_string(++index), m.version, m.name, std::to_string(m.bytes),
        m.checksum.substr(0, 16));
  }
  for (const auto &m : set.repeatables())
    row("R", "", m.name, std::to_string(m.bytes), m.checksum.substr(0, 16));
  out << set.migrations().size() << " migration" << (set.migrations().size() == 1 ? "" : "s")
      << ", " << total << " bytes";
  if (!set.repeatables().empty()) out << ", " << set.repeatables().size() << " repeatable";
  out << "\n";
}

}  // namespace

void add_list_command(CLI::App &app, std::ostream &out, int &exit_code) {
  auto args = std::make_shared<ListArgs>();
  auto *cmd = app.add_subcommand(
      "list", "List a migration set in application order, with Prisma-compatible checksums");
  cmd->add_option("dir", args->dir,
                  "Migration directory, or a project with one Prisma migrations directory")
      ->required();
  cmd->add_option("--format", args->format, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->add_option("--layout", args->layout, "Directory layout")
      ->check(CLI::IsMember({"auto", "prisma", "plain", "flyway", "dbmate", "golang-migrate"}))
      ->capture_default_str();
  cmd->add_option("--max-file-size", args->max_file_bytes,
                  "Largest migration file accepted, in bytes")
      ->capture_default_str();
  cmd->callback([args, &out, &exit_code] {
    SourceOptions options;
    options.layout = *layout_from_name(args->layout);
    options.max_file_bytes = args->max_file_bytes;
    auto set = MigrationSet::open(args->dir, options);
    if (args->format == "json") {
      out << set.to_json() << "\n";
    } else {
      print_text(out, set);
    }
    exit_code = kExitOk;
  });
}

}  // namespace dbsafe::cli
