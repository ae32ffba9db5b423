// `dbsafe snapshot …` and `dbsafe branch …` (docs/providers.md): thin verbs
// over the provider API. Everything that decides what is safe (rotation
// order, retention, what prune may delete) lives in lib/provider, so the C,
// C++, Node and Python surfaces behave the same; this file parses flags,
// asks for confirmations and prints.
#include "cli/provider_command.hpp"

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/exit_codes.hpp"
#include "cli/interrupt.hpp"
#include "dbsafe/provider.hpp"
#include "provider/json.hpp"
#include "provider/policy.hpp"
#include "util/toml.hpp"

namespace dbsafe::cli {

std::optional<std::chrono::seconds> parse_duration(const std::string &text) {
  if (text.empty()) return std::nullopt;
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 9) return std::nullopt;
  long long n = std::stoll(text.substr(0, digits));
  std::string unit = text.substr(digits);
  long long scale = 0;
  if (unit.empty() || unit == "s")
    scale = 1;
  else if (unit == "m")
    scale = 60;
  else if (unit == "h")
    scale = 3600;
  else if (unit == "d")
    scale = 86400;
  else if (unit == "w")
    scale = 7 * 86400;
  if (scale == 0 || n <= 0) return std::nullopt;
  return std::chrono::seconds(n * scale);
}

namespace {

struct Args {
  // common
  std::string provider, database_url, api_host, project_id, ca_file;
  std::string local_method = "template";
  bool terminate_blockers = false;
  long poll_interval_ms = 1000;
  std::string format = "text";
  bool quiet = false;
  std::string confirm;
  // verbs
  std::string name, branch, parent, at, expires_in, timestamped, target_branch, preserve_under,
      prefix, max_age, to;
  long keep = -1;
  bool no_finalize = false, dry_run = false, pooled = false, no_expired = false, no_old = false;
  std::vector<std::string> protect;
};

[[noreturn]] void usage(const std::string &message) {
  throw Error(ErrorCode::Invalid, message);
}

std::chrono::seconds duration_arg(const std::string &flag, const std::string &text) {
  auto d = parse_duration(text);
  if (!d)
    usage(flag + " " + text +
          ": not a duration; write a positive number with s, m, h, d or w (e.g. 7d)");
  return *d;
}

// Checked while parsing, so a bad duration is a usage error before any
// provider is contacted.
const CLI::Validator kDuration(
    [](std::string &text) -> std::string {
      return parse_duration(text)
                 ? std::string()
                 : "not a duration; write a positive number with s, m, h, d or w (e.g. 7d)";
    },
    "DURATION");

std::string rfc3339(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string env(const char *name) {
  const char *v = std::getenv(name);
  return v ? v : "";
}

// The [neon] table of ./dbsafe.toml: the one place besides NEON_API_KEY an
// API key may come from. There is deliberately no --api-key flag: a flag
// ends up in shell history and in every process listing.
struct TomlNeon {
  std::string api_key, project_id, api_host, ca_file;
};

TomlNeon read_toml_neon() {
  TomlNeon t;
  if (!std::filesystem::exists("dbsafe.toml")) return t;
  toml::table doc;
  try {
    doc = toml::parse_file("dbsafe.toml");
  } catch (const toml::parse_error &e) {
    usage(std::string("dbsafe.toml: ") + std::string(e.description()));
  }
  auto neon = doc["neon"];
  t.api_key = neon["api_key"].value_or(std::string());
  t.project_id = neon["project_id"].value_or(std::string());
  t.api_host = neon["api_host"].value_or(std::string());
  t.ca_file = neon["ca_file"].value_or(std::string());
  return t;
}

std::unique_ptr<Provider> open_provider(const Args &a) {
  TomlNeon toml = read_toml_neon();
  std::string key = env("NEON_API_KEY");
  if (key.empty()) key = toml.api_key;
  std::string kind = a.provider;
  if (kind.empty()) kind = key.empty() ? "local" : "neon";
  ProviderOptions o;
  o.kind = kind;
  if (kind == "neon") {
    if (key.empty())
      usage(
          "--provider neon needs an API key: set NEON_API_KEY (or api_key in the [neon] "
          "table of dbsafe.toml); there is no flag for it, so it stays out of shell history");
    o.api_key = key;
    auto pick = [](const std::string &flag, const char *var, const std::string &file) {
      if (!flag.empty()) return flag;
      if (auto e = env(var); !e.empty()) return e;
      return file;
    };
    o.project_id = pick(a.project_id, "NEON_PROJECT_ID", toml.project_id);
    o.api_host = pick(a.api_host, "NEON_API_HOST", toml.api_host);
    o.ca_file = pick(a.ca_file, "NEON_CA_FILE", toml.ca_file);
    o.poll_interval = std::chrono::milliseconds(a.poll_interval_ms);
  } else {
    o.database_url = a.database_url;
    if (o.database_url.empty()) o.database_url = env("DIRECT_URL");
    if (o.database_url.empty()) o.database_url = env("DATABASE_URL");
    if (o.database_url.empty())
      usage(
          "the local provider needs a database: pass --database-url or set DIRECT_URL or "
          "DATABASE_URL");
    o.local_method = a.local_method;
    o.terminate_blockers = a.terminate_blockers;
  }
  return Provider::open(o);
}

CallOptions call_options(const Args &a, std::shared_ptr<CancelToken> cancel) {
  CallOptions call;
  call.cancel = std::move(cancel);
  call.log = [quiet = a.quiet](LogLevel level, std::string_view, std::string_view message) {
    if (quiet || level < LogLevel::Info) return;
    std::cerr << "dbsafe: " << message << "\n";
  };
  return call;
}

// A destructive verb goes ahead only when --confirm names its target, or,
// on a terminal, when the person types the target's name. Anything else
// exits 3 with the flag to add, so a script fails loudly instead of hanging
// on a prompt. `accepted` lists the spellings that count (name and id).
bool confirmed(const Args &a, const std::string &what, const std::vector<std::string> &accepted) {
  const std::string &target = accepted.front();
  auto matches = [&](const std::string &s) {
    for (const auto &t : accepted)
      if (!t.empty() && s == t) return true;
    return false;
  };
  if (!a.confirm.empty()) {
    if (matches(a.confirm)) return true;
    std::cerr << "dbsafe: error: --confirm " << a.confirm << " does not name " << what
              << "; to go ahead add --confirm '" << target << "'\n";
    return false;
  }
  if (isatty(STDIN_FILENO) && isatty(STDERR_FILENO)) {
    std::cerr << "This will " << what << ".\nType '" << target << "' to confirm: " << std::flush;
    std::string line;
    if (std::getline(std::cin, line) && matches(line)) return true;
    std::cerr << "dbsafe: not confirmed; nothing was changed\n";
    return false;
  }
  std::cerr << "dbsafe: error: refusing to " << what
            << " without a confirmation; to go ahead add --confirm '" << target << "'\n";
  return false;
}

using provider::branch_json;
using provider::branches_json;
using provider::restore_json;
using provider::snapshot_json;
using provider::snapshots_json;

void print_restore(const Args &a, const std::string &from, const RestoreResult &r) {
  if (a.format == "json") {
    std::cout << restore_json(r) << "\n";
    return;
  }
  std::cout << "Restored " << from << " into branch " << r.branch.name << " (" << r.branch.id
            << ").\n";
  if (!r.replaced_by.empty())
    std::cout << "The data it replaced is kept as " << r.replaced_by
              << "; `dbsafe branch prune` removes it once you no longer need it.\n";
  for (const auto &n : r.notes) std::cout << "  " << n << "\n";
}

void print_prune(const Args &a, const PruneReport &r, const char *what) {
  if (a.format == "json") {
    std::cout << r.to_json() << "\n";
    return;
  }
  const char *verb = r.dry_run ? "Would delete" : "Deleted";
  for (const auto &d : r.deleted) std::cout << verb << " " << what << " " << d << "\n";
  for (std::size_t i = 0; i < r.kept.size(); ++i)
    // Every other branch of a project is "kept" too; naming each would bury
    // the ones a rule chose to keep.
    if (i >= r.reasons.size() || r.reasons[i] != "no rule applies")
      std::cout << "Kept " << what << " " << r.kept[i] << " ("
                << (i < r.reasons.size() ? r.reasons[i] : "") << ")\n";
  std::cout << (r.dry_run ? "Dry run: " : "") << r.deleted.size() << " " << what
            << (r.deleted.size() == 1 ? "" : "s") << (r.dry_run ? " would be" : "") << " deleted, "
            << r.kept.size() << " kept.\n";
}

// Runs a verb with the shared error handling: a provider error prints its
// detail (JSON) or message and maps to the shared exit codes.
template <typename Fn>
int run_verb(const Args &a, Fn &&fn) {
  auto cancel = std::make_shared<CancelToken>();
  InterruptScope interrupts(cancel);
  auto call = call_options(a, cancel);
  try {
    auto provider = open_provider(a);
    return fn(*provider, call);
  } catch (const Error &e) {
    if (a.format == "json" && e.detail_json() != "{}") std::cout << e.detail_json() << "\n";
    std::cerr << "dbsafe: error: " << e.message() << "\n";
    return exit_code_for(e.code());
  }
}

void add_common(CLI::App *cmd, Args &a) {
  cmd->add_option("--provider", a.provider,
                  "neon or local (default: neon when NEON_API_KEY is set, else local)")
      ->check(CLI::IsMember({"neon", "local"}));
  cmd->add_option("--database-url", a.database_url,
                  "local: the database to snapshot (default: DIRECT_URL, else DATABASE_URL)");
  cmd->add_option("--local-method", a.local_method,
                  "local: template (fast; the database must have no other sessions) or dump")
      ->check(CLI::IsMember({"template", "dump"}));
  cmd->add_flag("--terminate-blockers", a.terminate_blockers,
                "local: end the sessions that block a copy or restore instead of failing");
  cmd->add_option("--api-host", a.api_host,
                  "neon: API base URL (default: NEON_API_HOST, else the Neon console)");
  cmd->add_option("--project-id", a.project_id, "neon: project (default: NEON_PROJECT_ID)");
  cmd->add_option("--ca-file", a.ca_file,
                  "neon: extra CA certificates, PEM (default: NEON_CA_FILE)");
  cmd->add_option("--poll-interval-ms", a.poll_interval_ms,
                  "neon: how often to ask whether an operation finished");
  cmd->add_option("--format", a.format, "output: text or json")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_flag("-q,--quiet", a.quiet, "no log lines");
}

// Each verb gets its own Args, so flags of one verb never leak into another.
CLI::App *verb(CLI::App *parent, const char *name, const char *help, std::shared_ptr<Args> &a) {
  a = std::make_shared<Args>();
  auto *cmd = parent->add_subcommand(name, help);
  add_common(cmd, *a);
  return cmd;
}

void add_snapshot_commands(CLI::App &app, int &exit_code) {
  auto *snapshot =
      app.add_subcommand("snapshot", "create, rotate, list, restore and prune backups");
  snapshot->require_subcommand(1);
  std::shared_ptr<Args> a;

  auto *create = verb(snapshot, "create",
                      "take a snapshot and wait until it is ready (default name: "
                      "pre-migration-YYYYMMDD-HHMM, expiring in 7 days)",
                      a);
  auto *name = create->add_option("--name", a->name, "the snapshot's name");
  create
      ->add_option("--timestamped", a->timestamped,
                   "name it PREFIX + YYYYMMDD-HHMM (UTC), expiring in 7 days unless "
                   "--expires-in says otherwise")
      ->excludes(name);
  create->add_option("--branch", a->branch, "branch to snapshot (default: the default branch)");
  create->add_option("--at", a->at, "neon: take it as of this RFC 3339 time in the past");
  create->add_option("--expires-in", a->expires_in, "delete it after this long (e.g. 7d)")
      ->check(kDuration);
  create->callback([a, &exit_code] {
    exit_code = run_verb(*a, [&](Provider &p, const CallOptions &call) -> int {
      CreateSnapshotOptions o;
      o.branch = a->branch;
      o.at_timestamp = a->at;
      auto now = std::chrono::system_clock::now();
      std::optional<std::chrono::seconds> expiry;
      if (a->name.empty()) {
        // Seed 002's convention: a dated name that expires by itself.
        o.name = timestamped_name(a->timestamped.empty() ? "pre-migration-" : a->timestamped, now);
        expiry = std::chrono::hours(24 * 7);
      } else {
        o.name = a->name;
      }
      if (!a->expires_in.empty()) expiry = duration_arg("--expires-in", a->expires_in);
      if (expiry) o.expires_at = rfc3339(now + *expiry);
      auto s = p.create_snapshot(o, call);
      if (a->format == "json")
        std::cout << snapshot_json(s) << "\n";
      else
        std::cout << "Snapshot " << s.name << " (" << s.id << ") is ready"
                  << (s.expires_at ? "; it expires at " + *s.expires_at : std::string()) << ".\n";
      return kExitOk;
    });
  });

  auto *rotate = verb(snapshot, "rotate",
                      "replace the single rotating backup: the new one is ready before the old "
                      "one is deleted",
                      a);
  rotate->add_option("--name", a->name, "the backup's name (default: pre-deploy-backup)");
  rotate->add_option("--branch", a->branch, "branch to back up (default: the default branch)");
  rotate->callback([a, &exit_code] {
    exit_code = run_verb(*a, [&](Provider &p, const CallOptions &call) -> int {
      RotateOptions o;
      if (!a->name.empty()) o.name = a->name;
      o.branch = a->branch;
      auto r = rotate_snapshot(p, o, call);
      if (a->format == "json") {
        std::cout << r.to_json() << "\n";
      } else {
        std::cout << "Backup " << r.snapshot.name << " (" << r.snapshot.id << ") is ready";
        if (r.replaced) std::cout << "; it replaced " << r.replaced->id;
        std::cout << ".\n";
        if (r.bridge_branch)
          std::cout << "The snapshot quota was full: branch " << *r.bridge_branch
                    << " held the backup while the old one was replaced.\n";
      }
      return kExitOk;
    });
  });

  auto *list = verb(snapshot, "list", "list snapshots, newest first", a);
  list->callback([a, &exit_code] {
    exit_code = run_verb(*a, [&](Provider &p, const CallOptions &call) -> int {
      auto snaps = p.list_snapshots(call);
      std::sort(snaps.begin(), snaps.end(), [](const SnapshotInfo &x, const SnapshotInfo &y) {
        return x.created_at > y.created_at;
      });
      if (a->format == "json") {
        std::cout << snapshots_json(snaps) << "\n";
      } else {
        for (const auto &s : snaps)
          std::cout << s.name << "  " << s.id << "  " << s.created_at
                    << (s.expires_at ? "  expires " + *s.expires_at : std::string())
                    << (s.is_protected ? "  protected" : "") << "\n";
        std::cout << snaps.size() << " snapshot" << (snaps.size() == 1 ? "" : "s") << ".\n";
      }
      return kExitOk;
    });
  });

  auto *del = verb(snapshot, "delete", "delete a snapshot (asks for confirmation)", a);
  del->add_option("name", a->name, "snapshot name or id")->required();
  del->add_option("--confirm", a->confirm, "the snapshot's name or id, to skip the prompt");
  del->callback([a, &exit_code] {
    exit_code = run_verb(*a, [&](Provider &p, const CallOptions &call) -> int {
      auto s = p.find_snapshot(a->name, call);
      if (!s) throw Error(ErrorCode::NotFound, "no snapshot named \"" + a->name + "\"");
      if (!confirmed(*a, "delete snapshot " + s->name + " (" + s->id + ")", {s->name, s->id}))
        return kExitUsage;
      // By id: names need not be unique, and the confirmation named this one.
      p.delete_snapshot(s->id, call);
      if (a->format == "json")
        std::cout << "{\"schema_version\":1,\"deleted\":" << snapshot_json(*s) << "}\n";
      else
        std::cout << "Deleted snapshot " << s->name << " (" << s->id << ").\n";
      return kExitOk;
    });
  });

  auto *restore = verb(snapshot, "restore",
                       "put a snapshot's data back into a branch (asks for confirmation)", a);
  restore->add_option("name", a->name, "snapshot name or id")->required();
  restore->add_option("--target-branch", a->target_branch,
                      "branch that gets the data (default: the snapshot's source branch)");
  restore->add_flag("--no-finalize", a->no_finalize,
                    "neon: restore onto a new branch instead of replacing the target in place");
  restore->add_option("--preserve-under", a->preserve_under,
                      "name for the branch that keeps the replaced data");
  restore->add_option("--confirm", a->confirm, "the target branch's name, to skip the prompt");
  restore->callback([a, &exit_code] {
    exit_code = run_verb(*a, [&](Provider &p, const CallOptions &call) -> int {
      // find_backup also finds the bridge branch an interrupted quota
      // rotation left holding the backup.
      auto s = provider::find_backup(p, a->name, call);
      if (!s) throw Error(ErrorCode::NotFound, "no snapshot named \"" + a->name + "\"");
      if (s->kind == "branch") {
        std::cerr << "dbsafe: the backup " << a->name << " is held by branch " << s->name << " ("
                  << s->id << "): a rotation was interrupted while the snapshot quota was full.\n"
                  << "Connect to it with `dbsafe branch url '" << s->name
                  << "'`, or run `dbsafe snapshot rotate --name " << a->name
                  << "` to finish the rotation first.\n";
        return kExitNeedsPerson;
      }
      std::string target_ref = a->target_branch.empty() ? s->source_branch_id : a->target_branch;
      std::optional<BranchInfo> target;
      if (!target_ref.empty()) target = p.find_branch(target_ref, call);
      // A --target-branch that names nothing is a mistake to report, never
      // a reason to restore somewhere else.
      if (!target && !a->target_branch.empty())
        throw Error(ErrorCode::NotFound, "no branch named \"" + a->target_branch + "\"");
      // The snapshot's source branch may be gone; the default branch is what
      // the provider restores into then, and the confirmation names it.
      if (!target) target = p.default_branch(call);
      std::string what = "replace the data of branch " + target->name + " with snapshot " +
                         s->name + " (" + s->id + ")";
      if (!confirmed(*a, what, {target->name, target->id})) return kExitUsage;
      RestoreOptions o;
      o.target_branch = target->id;
      o.finalize = !a->no_finalize;
      o.preserve_under_name = a->preserve_under;
      auto r = p.restore_snapshot(s->id, o, call);
      print_restore(*a, "snapshot " + s->name, r);
      return kExitOk;
    });
  });

  auto *prune = verb(snapshot, "prune",
                     "apply a retention policy: keep the N newest, delete older than a maximum "
                     "age; never a protected snapshot",
                     a);
  prune->add_option("--keep", a->keep, "keep the N newest whatever their age");
  prune->add_option("--max-age", a->max_age, "delete the others older than this (e.g. 7d)")
      ->check(kDuration);
  prune->add_option("--prefix", a->prefix, "only snapshots whose name starts with this")
      ->required();
  prune->add_option("--protect", a->protect, "never delete this name (repeatable)");
  prune->add_flag("--dry-run", a->dry_run, "say what would be deleted; delete nothing");
  prune->callback([a, &exit_code] {
    if (a->keep < 0 && a->max_age.empty())
      throw CLI::ValidationError("prune", "pass --keep N, --max-age DURATION or both");
    exit_code = run_verb(*a, [&](Provider &p, const CallOptions &call) -> int {
      RetentionPolicy policy;
      policy.name_prefix = a->prefix;
      if (a->keep >= 0) policy.keep_last = static_cast<std::size_t>(a->keep);
      if (!a->max_age.empty()) policy.max_age = duration_arg("--max-age", a->max_age);
      policy.protected_names = a->protect;
      print_prune(*a, apply_snapshot_retention(p, policy, {}, a->dry_run, call), "snapshot");
      return kExitOk;
    });
  });
}

void add_branch_commands(CLI::App &app, int &exit_code) {
  auto *branch = app.add_subcommand("branch", "create, list, delete, restore and prune branches");
  branch->require_subcommand(1);
  std::shared_ptr<Args> a;

  auto *create = verb(branch, "create", "create a branch and wait until it is ready", a);
  create->add_option("name", a->name, "the branch's name")->required();
  create->add_option("--parent", a->parent, "parent branch (default: the default branch)");
  create->add_option("--at", a->at, "neon: branch from this RFC 3339 time in the past");
  create
      ->add_option("--expires-in", a->expires_in,
                   "delete it after this long (e.g. 7d; `branch prune` removes expired ones)")
      ->check(kDuration);
  create->callback([a, &exit_code] {
    exit_code = run_verb(*a, [&](Provider &p, const CallOptions &call) -> int {
      CreateBranchOptions o;
      o.name = a->name;
      o.parent = a->parent;
      o.at_timestamp = a->at;
      if (!a->expires_in.empty())
        o.expires_at =
            rfc3339(std::chrono::system_clock::now() + duration_arg("--expires-in", a->expires_in));
      auto b = p.create_branch(o, call);
      if (a->format == "json")
        std::cout << branch_json(b) << "\n";
      else
        std::cout << "Branch " << b.name << " (" << b.id << ") is " << b.state << ".\n";
      return kExitOk;
    });
  });

  auto *list = verb(branch, "list", "list branches", a);
  list->callback([a, &exit_code] {
    exit_code = run_verb(*a, [&](Provider &p, const CallOptions &call) -> int {
      auto branches = p.list_branches(call);
      if (a->format == "json") {
        std::cout << branches_json(branches) << "\n";
      } else {
        for (const auto &b : branches)
          std::cout << b.name << "  " << b.id << "  " << b.state << "  " << b.created_at
                    << (b.is_default ? "  default" : "") << (b.is_protected ? "  protected" : "")
                    << (b.expires_at ? "  expires " + *b.expires_at : std::string()) << "\n";
        std::cout << branches.size() << " branch" << (branches.size() == 1 ? "" : "es") << ".\n";
      }
      return kExitOk;
    });
  });

  auto *del = verb(branch, "delete", "delete a branch (asks for confirmation)", a);
  del->add_option("name", a->name, "branch name or id")->required();
  del->add_option("--confirm", a->confirm, "the branch's name or id, to skip the prompt");
  del->callback([a, &exit_code] {
    exit_code = run_verb(*a, [&](Provider &p, const CallOptions &call) -> int {
      auto b = p.find_branch(a->name, call);
      if (!b) throw Error(ErrorCode::NotFound, "no branch named \"" + a->name + "\"");
      if (!confirmed(*a, "delete branch " + b->name + " (" + b->id + ")", {b->name, b->id}))
        return kExitUsage;
      p.delete_branch(b->id, call);
      if (a->format == "json")
        std::cout << "{\"schema_version\":1,\"deleted\":" << branch_json(*b) << "}\n";
      else
        std::cout << "Deleted branch " << b->name << " (" << b->id << ").\n";
      return kExitOk;
    });
  });

  auto *restore = verb(branch, "restore",
                       "neon: restore a branch in place to a point in time (asks for "
                       "confirmation)",
                       a);
  restore->add_option("name", a->name, "branch name or id")->required();
  restore->add_option("--to", a->to, "RFC 3339 time to restore to")->required();
  restore->add_option("--preserve-under", a->preserve_under,
                      "name for the branch that keeps the replaced data (default: "
                      "\"<name> (old <timestamp>)\")");
  restore->add_option("--confirm", a->confirm, "the branch's name, to skip the prompt");
  restore->callback([a, &exit_code] {
    exit_code = run_verb(*a, [&](Provider &p, const CallOptions &call) -> int {
      auto b = p.find_branch(a->name, call);
      if (!b) throw Error(ErrorCode::NotFound, "no branch named \"" + a->name + "\"");
      if (!confirmed(*a, "rewind branch " + b->name + " to " + a->to, {b->name, b->id}))
        return kExitUsage;
      auto r = p.restore_branch(b->id, a->to, a->preserve_under, call);
      print_restore(*a, "branch " + b->name + " as of " + a->to, r);
      return kExitOk;
    });
  });

  auto *prune = verb(branch, "prune",
                     "delete expired branches and the \"(old)\" branches restores leave; never "
                     "the default or a protected branch",
                     a);
  prune
      ->add_option("--max-age", a->max_age,
                   "only \"(old)\" and --prefix branches older than this (e.g. 14d)")
      ->check(kDuration);
  prune->add_option("--prefix", a->prefix,
                    "also delete branches whose name starts with this (by --max-age / --keep)");
  prune->add_option("--keep", a->keep, "with --prefix: keep the N newest");
  prune->add_option("--protect", a->protect, "never delete this branch (repeatable)");
  prune->add_flag("--no-expired", a->no_expired, "leave branches past their expiry alone");
  prune->add_flag("--no-old", a->no_old, "leave the \"(old)\" branches of restores alone");
  prune->add_flag("--dry-run", a->dry_run, "say what would be deleted; delete nothing");
  prune->callback([a, &exit_code] {
    exit_code = run_verb(*a, [&](Provider &p, const CallOptions &call) -> int {
      BranchPruneOptions o;
      o.policy.name_prefix = a->prefix;
      if (a->keep >= 0) o.policy.keep_last = static_cast<std::size_t>(a->keep);
      if (!a->max_age.empty()) o.policy.max_age = duration_arg("--max-age", a->max_age);
      o.policy.protected_names = a->protect;
      o.expired = !a->no_expired;
      o.old_restore_branches = !a->no_old;
      o.dry_run = a->dry_run;
      print_prune(*a, prune_branches(p, o, call), "branch");
      return kExitOk;
    });
  });

  auto *url = verb(branch, "url", "print a branch's connection URL", a);
  url->add_option("name", a->name, "branch name or id")->required();
  url->add_flag("--pooled", a->pooled, "through the connection pooler");
  url->callback([a, &exit_code] {
    exit_code = run_verb(*a, [&](Provider &p, const CallOptions &call) -> int {
      // The URL holds a password: it goes to stdout only, for a pipe or a
      // variable, and never into a log line.
      std::cout << p.connection_url(a->name, a->pooled, call) << "\n";
      return kExitOk;
    });
  });
}

}  // namespace

void add_provider_commands(CLI::App &app, std::ostream &, int &exit_code) {
  add_snapshot_commands(app, exit_code);
  add_branch_commands(app, exit_code);
}

}  // namespace dbsafe::cli
