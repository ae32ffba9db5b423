// `dbsafe backup …` (docs/backup.md): flags in, reports out. What is safe
// (the confirmation, the empty-target rule, the safety backup, what prune
// may delete) is decided in lib/backup, so every surface behaves the same.
#include "cli/backup_command.hpp"

#include <iostream>
#include <memory>

#include "cli/exit_codes.hpp"
#include "cli/interrupt.hpp"
#include "dbsafe/backup.hpp"

namespace dbsafe::cli {

namespace {

struct Args {
  std::string database_url, dir, dump_format = "custom", name, pg_bindir;
  int compress = 6;
  std::string file, shadow_database_url, server_url, confirm, safety_dir;
  bool latest = false, test_restore = false, clean = false, no_owner = false, dry_run = false;
  int keep_days = -1, keep_min = 1;
  std::string format = "text";
  bool quiet = false;
};

CallOptions call_options(const Args &a, std::shared_ptr<CancelToken> cancel) {
  CallOptions call;
  call.cancel = std::move(cancel);
  call.log = [quiet = a.quiet](LogLevel level, std::string_view, std::string_view message) {
    if (quiet || level < LogLevel::Info) return;
    std::cerr << "dbsafe: " << message << "\n";
  };
  return call;
}

// Runs a verb: an error prints its detail (a report, with --format json)
// and its message, and maps to the shared exit codes.
template <typename Fn>
int run_verb(const Args &a, Fn &&fn) {
  auto cancel = std::make_shared<CancelToken>();
  InterruptScope interrupts(cancel);
  auto call = call_options(a, cancel);
  try {
    return fn(call);
  } catch (const Error &e) {
    if (a.format == "json" && e.detail_json() != "{}") std::cout << e.detail_json() << "\n";
    std::cerr << "dbsafe: error: " << e.message() << "\n";
    return exit_code_for(e.code());
  }
}

std::string size_text(std::uint64_t bytes) {
  const char *units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

void print_verify(const BackupVerifyReport &r) {
  std::cout << (r.ok ? "OK      " : "DAMAGED ") << r.path << "\n";
  for (const auto &c : r.checks)
    std::cout << "  " << (c.ok ? "ok    " : "FAILED") << " " << c.name << ": " << c.detail << "\n";
  if (r.test_restore) {
    const auto &t = *r.test_restore;
    for (const auto &tr : t.table_rows)
      std::cout << "    " << tr.name << ": " << tr.rows << " rows\n";
  }
  if (!r.ok)
    std::cout << "This backup cannot be trusted: keep an older one, and take a new backup.\n";
}

void add_common(CLI::App *cmd, Args &a) {
  cmd->add_option("--format", a.format, "output: text or json")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--pg-bindir", a.pg_bindir,
                  "where pg_dump, pg_restore and psql are (default: PG_BINDIR, the PostgreSQL "
                  "installations here, PATH)");
  cmd->add_flag("-q,--quiet", a.quiet, "no log lines");
}

CLI::App *verb(CLI::App *parent, const char *name, const char *help, std::shared_ptr<Args> &a) {
  a = std::make_shared<Args>();
  auto *cmd = parent->add_subcommand(name, help);
  add_common(cmd, *a);
  return cmd;
}

}  // namespace

void add_backup_commands(CLI::App &app, std::ostream &, int &exit_code) {
  auto *backup = app.add_subcommand(
      "backup", "pg_dump backups to files: create, verify, restore and prune (docs/backup.md)");
  backup->require_subcommand(1);
  std::shared_ptr<Args> a;

  auto *create = verb(backup, "create",
                      "pg_dump a database into DIR with a SHA-256 manifest beside the file", a);
  create->add_option("--database-url", a->database_url,
                     "the database (default: DIRECT_URL, else DATABASE_URL)");
  create->add_option("--dir", a->dir, "the backup directory (created when missing)")->required();
  // --format is every command's output format; the dump's has its own flag.
  create
      ->add_option("--dump-format", a->dump_format,
                   "custom (pg_dump -Fc, default) or plain-gz (gzipped SQL)")
      ->check(CLI::IsMember({"custom", "plain-gz"}));
  create->add_option("--name", a->name,
                     "the file's base name (default: DATABASE-YYYYMMDD-HHMMSS, UTC)");
  create->add_option("--compress", a->compress, "compression level 0-9 (default 6)")
      ->check(CLI::Range(0, 9));
  create->callback([a, &exit_code] {
    exit_code = run_verb(*a, [&](const CallOptions &call) -> int {
      BackupCreateOptions o;
      o.database_url = a->database_url;
      o.dir = a->dir;
      o.format = a->dump_format;
      o.name = a->name;
      o.compression = a->compress;
      o.pg_bindir = a->pg_bindir;
      auto r = create_backup(o, call);
      if (a->format == "json") {
        std::cout << r.to_json() << "\n";
      } else {
        std::cout << "Backup " << r.path << " is ready: " << size_text(r.manifest.bytes) << ", "
                  << r.manifest.tables << " tables, sha256 " << r.manifest.sha256 << " ("
                  << r.duration_ms << " ms).\n"
                  << "Manifest: " << r.manifest_path << "\n";
      }
      return kExitOk;
    });
  });

  auto *verify = verb(backup, "verify",
                      "check a backup against its manifest and read it to its end; exit 2 when "
                      "it is damaged",
                      a);
  auto *file = verify->add_option("file", a->file, "the backup file (or its manifest)");
  auto *dir = verify->add_option("--dir", a->dir, "with --latest: the backup directory");
  auto *latest =
      verify->add_flag("--latest", a->latest, "verify the newest backup in --dir")->needs(dir);
  file->excludes(latest);
  verify->add_flag("--test-restore", a->test_restore,
                   "also restore it into a throwaway database, count what came back, drop it");
  verify->add_option("--shadow-database-url", a->shadow_database_url,
                     "with --test-restore: an empty database to restore into (emptied again)");
  verify->add_option("--server-url", a->server_url,
                     "with --test-restore: create the temporary database on this server "
                     "(default: a throwaway cluster from this machine's PostgreSQL)");
  verify->callback([a, &exit_code] {
    if (a->file.empty() && !a->latest)
      throw CLI::ValidationError("verify", "name the backup FILE, or pass --dir DIR --latest");
    if (!a->test_restore && (!a->shadow_database_url.empty() || !a->server_url.empty()))
      throw CLI::ValidationError("verify",
                                 "--shadow-database-url and --server-url need --test-restore");
    exit_code = run_verb(*a, [&](const CallOptions &call) -> int {
      BackupVerifyOptions o;
      o.file = a->file;
      o.dir = a->latest ? a->dir : "";
      o.test_restore = a->test_restore;
      o.shadow_database_url = a->shadow_database_url;
      o.server_url = a->server_url;
      o.pg_bindir = a->pg_bindir;
      auto r = verify_backup(o, call);
      if (a->format == "json")
        std::cout << r.to_json() << "\n";
      else
        print_verify(r);
      return r.ok ? kExitOk : kExitNeedsPerson;
    });
  });

  auto *restore = verb(backup, "restore",
                       "verify a backup, then restore it into a database in one transaction", a);
  restore->add_option("file", a->file, "the backup file (or its manifest)")->required();
  restore->add_option("--database-url", a->database_url,
                      "the target database (default: DIRECT_URL, else DATABASE_URL)");
  restore->add_option("--confirm", a->confirm, "the target database's name (required)");
  restore->add_flag("--clean", a->clean,
                    "restore over a database that is not empty: its copies of the backup's "
                    "objects are dropped and recreated, after a safety backup of it");
  restore->add_option("--safety-dir", a->safety_dir,
                      "where the safety backup goes (default: the backup's directory)");
  restore->add_flag("--no-owner", a->no_owner,
                    "do not restore owners and privileges (the target has other roles)");
  restore->callback([a, &exit_code] {
    exit_code = run_verb(*a, [&](const CallOptions &call) -> int {
      BackupRestoreOptions o;
      o.file = a->file;
      o.database_url = a->database_url;
      o.confirm = a->confirm;
      o.clean = a->clean;
      o.safety_backup_dir = a->safety_dir;
      o.no_owner = a->no_owner;
      o.pg_bindir = a->pg_bindir;
      auto r = restore_backup(o, call);
      if (a->format == "json") {
        std::cout << r.to_json() << "\n";
      } else {
        if (r.safety_backup)
          std::cout << "Safety backup of " << r.database << ": " << r.safety_backup->path << "\n";
        std::cout << "Restored " << r.path << " into " << r.database << ": " << r.tables
                  << " tables, in one transaction (" << r.duration_ms << " ms).\n";
      }
      return kExitOk;
    });
  });

  auto *prune = verb(backup, "prune",
                     "delete backups older than --keep-days, keeping the --keep-min newest; only "
                     "files with dbsafe manifests",
                     a);
  prune->add_option("--dir", a->dir, "the backup directory")->required();
  prune->add_option("--keep-days", a->keep_days, "delete backups created more than N days ago")
      ->required()
      ->check(CLI::NonNegativeNumber);
  prune->add_option("--keep-min", a->keep_min, "always keep the M newest (default 1)")
      ->check(CLI::NonNegativeNumber);
  prune->add_flag("--dry-run", a->dry_run, "say what would be deleted; delete nothing");
  prune->callback([a, &exit_code] {
    exit_code = run_verb(*a, [&](const CallOptions &call) -> int {
      BackupPruneOptions o;
      o.dir = a->dir;
      o.keep_days = a->keep_days;
      o.keep_min = a->keep_min;
      o.dry_run = a->dry_run;
      auto r = prune_backups(o, call);
      if (a->format == "json") {
        std::cout << r.to_json() << "\n";
        return kExitOk;
      }
      for (const auto &d : r.deleted)
        std::cout << (r.dry_run ? "Would delete " : "Deleted ") << d << "\n";
      for (std::size_t i = 0; i < r.kept.size(); ++i)
        std::cout << "Kept " << r.kept[i] << " (" << r.reasons[i] << ")\n";
      std::cout << (r.dry_run ? "Dry run: " : "") << r.deleted.size() << " backup"
                << (r.deleted.size() == 1 ? "" : "s") << (r.dry_run ? " would be" : "")
                << " deleted, " << r.kept.size() << " kept.\n";
      return kExitOk;
    });
  });
}

}  // namespace dbsafe::cli
