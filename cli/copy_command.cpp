// `dbsafe copy` (docs/copy.md): flags in, a report out, progress on stderr.
// What is safe (read-only source, the empty-target rule, the confirmation
// for --truncate, resume) is decided in lib/copy, so every surface behaves
// the same.
#include "cli/copy_command.hpp"

#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/exit_codes.hpp"
#include "cli/interrupt.hpp"
#include "dbsafe/copy.hpp"

namespace dbsafe::cli {

namespace {

struct Args {
  std::string from, to, tables, mapping, confirm, format = "text";
  bool dry_run = false, truncate = false, single_transaction = false, no_verify = false;
  bool quiet = false;
};

std::vector<std::string> split_tables(const std::string &list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace

void add_copy_command(CLI::App &app, std::ostream &, int &exit_code) {
  auto a = std::make_shared<Args>();
  auto *cmd = app.add_subcommand(
      "copy",
      "copy a SQLite database into an existing PostgreSQL schema, converted by the target's "
      "column types, resumable per table, verified by digests (docs/copy.md); exit 1 when values "
      "do not convert or verification finds differences");
  cmd->add_option("--from", a->from, "the SQLite file: sqlite:PATH (opened read-only)")->required();
  cmd->add_option("--to", a->to,
                  "the PostgreSQL database, its schema already made by your migrations (default: "
                  "DATABASE_URL)");
  cmd->add_option("--tables", a->tables, "only these SQLite tables, comma-separated");
  cmd->add_option("--mapping", a->mapping,
                  "a TOML (or .json) file renaming tables and columns (docs/copy.md)");
  cmd->add_flag("--dry-run", a->dry_run,
                "print the plan and every value that would not convert; change nothing");
  cmd->add_flag("--truncate", a->truncate,
                "empty target tables that hold rows first (needs --confirm DATABASE)");
  cmd->add_option("--confirm", a->confirm, "with --truncate: the target database's name");
  cmd->add_flag("--single-transaction", a->single_transaction,
                "everything in one transaction (no resume) instead of one per table");
  cmd->add_flag("--no-verify", a->no_verify, "skip the row counts and digests after the copy");
  cmd->add_option("--format", a->format, "report: text, json or markdown")
      ->check(CLI::IsMember({"text", "json", "markdown"}));
  cmd->add_flag("-q,--quiet", a->quiet, "no progress lines");
  cmd->callback([a, &exit_code] {
    auto cancel = std::make_shared<CancelToken>();
    InterruptScope interrupts(cancel);
    CallOptions call;
    call.cancel = cancel;
    call.log = [quiet = a->quiet](LogLevel level, std::string_view, std::string_view message) {
      if (quiet || level < LogLevel::Info) return;
      std::cerr << "dbsafe: " << message << "\n";
    };
    CopyOptions o;
    o.from = a->from;
    o.to = a->to;
    o.tables = split_tables(a->tables);
    o.mapping_file = a->mapping;
    o.dry_run = a->dry_run;
    o.truncate = a->truncate;
    o.confirm = a->confirm;
    o.single_transaction = a->single_transaction;
    o.verify = !a->no_verify;
    if (!a->quiet)
      o.on_progress = [](const CopyProgress &p) {
        char line[256];
        std::snprintf(line, sizeof line, "dbsafe: %s: %llu/%llu rows, %.0f rows/s%s\n",
                      p.table.c_str(), static_cast<unsigned long long>(p.rows),
                      static_cast<unsigned long long>(p.total), p.rows_per_second,
                      p.done ? " (done)" : "");
        std::cerr << line;
      };
    try {
      auto r = copy_sqlite(o, call);
      if (a->format == "json")
        std::cout << r.to_json() << "\n";
      else if (a->format == "markdown")
        std::cout << r.to_markdown();
      else
        std::cout << r.to_text();
      exit_code = r.ok ? kExitOk : kExitFound;
    } catch (const Error &e) {
      if (a->format == "json") std::cout << e.to_json() << "\n";
      std::cerr << "dbsafe: error: " << e.message() << "\n";
      exit_code = exit_code_for(e.code());
    }
  });
}

}  // namespace dbsafe::cli
