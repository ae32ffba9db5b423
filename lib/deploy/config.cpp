// `[targets.NAME]` tables of dbsafe.toml: every key checked, every mistake
// named with its file, line and column.

#include <cstdlib>
#include <filesystem>
#include <set>

#include "dbsafe/deploy.hpp"
#include "util/toml.hpp"

namespace dbsafe {
inline namespace v1 {

namespace fs = std::filesystem;

namespace {

std::string env(const char *name) {
  const char *v = std::getenv(name);
  return v ? v : "";
}

[[noreturn]] void bad_at(const std::string &path, const toml::source_region &src,
                         const std::string &what) {
  throw Error(ErrorCode::Invalid, path + ":" + std::to_string(src.begin.line) + ":" +
                                      std::to_string(src.begin.column) + ": " + what)
      .with_file(path, static_cast<std::uint32_t>(src.begin.line),
                 static_cast<std::uint32_t>(src.begin.column));
}

[[noreturn]] void bad(const std::string &path, const toml::node &node, const std::string &what) {
  bad_at(path, node.source(), what);
}

std::string text(const std::string &path, const std::string &key, const toml::node &node) {
  auto v = node.value<std::string>();
  if (!v) bad(path, node, key + " must be a string");
  return *v;
}

bool flag(const std::string &path, const std::string &key, const toml::node &node) {
  auto v = node.value<bool>();
  if (!v || !node.is_boolean()) bad(path, node, key + " must be true or false");
  return *v;
}

std::int64_t integer(const std::string &path, const std::string &key, const toml::node &node,
                     std::int64_t min, std::int64_t max) {
  if (!node.is_integer()) bad(path, node, key + " must be an integer");
  auto v = *node.value<std::int64_t>();
  if (v < min || v > max)
    bad(path, node, key + " must be from " + std::to_string(min) + " to " + std::to_string(max));
  return v;
}

Level level(const std::string &path, const std::string &key, const toml::node &node) {
  auto v = node.value<std::string>();
  auto l = v ? level_from_name(*v) : std::nullopt;
  if (!l) bad(path, node, key + " must be \"off\", \"info\", \"warning\" or \"error\"");
  return *l;
}

std::string find_config() {
  std::error_code ec;
  for (fs::path dir = fs::current_path(ec); !dir.empty(); dir = dir.parent_path()) {
    if (fs::exists(dir / "dbsafe.toml", ec)) return (dir / "dbsafe.toml").string();
    if (dir == dir.root_path()) break;
  }
  return {};
}

std::string relative_to(const fs::path &dir, const std::string &p) {
  if (p.empty() || fs::path(p).is_absolute()) return p;
  return (dir / p).lexically_normal().string();
}

// Finds and parses dbsafe.toml; `wanted` names the table the caller needs
// in the not-found message.
toml::table read_config(const std::string &config_path, const std::string &wanted,
                        std::string &path) {
  path = config_path.empty() ? find_config() : config_path;
  if (path.empty())
    throw Error(ErrorCode::NotFound,
                "no dbsafe.toml in this directory or any parent; pass --config FILE (the file "
                "with the " +
                    wanted + " table)");
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw Error(ErrorCode::NotFound, path + ": no such file").with_file(path);
  try {
    return toml::parse_file(path);
  } catch (const toml::parse_error &e) {
    throw Error(ErrorCode::Parse, path + ":" + std::to_string(e.source().begin.line) + ":" +
                                      std::to_string(e.source().begin.column) + ": " +
                                      std::string(e.description()))
        .with_file(path, static_cast<std::uint32_t>(e.source().begin.line),
                   static_cast<std::uint32_t>(e.source().begin.column));
  }
}

}  // namespace

std::string vercel_target(const std::string &vercel_env, const std::string &config_path) {
  if (vercel_env != "production" && vercel_env != "preview" && vercel_env != "development")
    throw Error(ErrorCode::Invalid, "VERCEL_ENV is \"" + vercel_env +
                                        "\"; Vercel sets production, preview or development");
  std::string path;
  toml::table doc = read_config(config_path, "[vercel]", path);
  std::string chosen = vercel_env == "production" ? "production" : "skip";
  if (auto *node = doc.get("vercel")) {
    auto *table = node->as_table();
    if (!table) bad(path, *node, "vercel must be a table");
    for (auto &[k, v] : *table) {
      std::string key(k.str());
      if (key != "production" && key != "preview" && key != "development")
        bad_at(path, k.source(),
               "unknown key \"" + key +
                   "\" in [vercel]; known keys: production, preview, development (each a "
                   "target name or \"skip\")");
      std::string value = text(path, "vercel." + key, v);
      if (value.empty()) bad(path, v, "vercel." + key + " must be a target name or \"skip\"");
      if (key == vercel_env) chosen = value;
    }
  }
  return chosen == "skip" ? std::string() : chosen;
}

DeployTarget load_deploy_target(const std::string &name, const std::string &config_path) {
  if (name.empty())
    throw Error(ErrorCode::Invalid,
                "no deploy target: pass --target NAME (a [targets.NAME] "
                "table of dbsafe.toml), or set VERCEL_ENV in a Vercel build");
  std::string path;
  toml::table doc = read_config(config_path, "[targets." + name + "]", path);
  std::error_code ec;
  fs::path dir = fs::absolute(path, ec).parent_path();

  auto *targets = doc["targets"].as_table();
  const toml::node *node = targets ? targets->get(name) : nullptr;
  if (!node) {
    std::string known;
    if (targets)
      for (auto &[k, v] : *targets) known += (known.empty() ? "" : ", ") + std::string(k.str());
    throw Error(ErrorCode::NotFound, path + ": no [targets." + name + "] table" +
                                         (known.empty() ? std::string(" (it defines no targets)")
                                                        : " (targets: " + known + ")"))
        .with_file(path);
  }
  auto *table = node->as_table();
  if (!table) bad(path, *node, "targets." + name + " must be a table");

  DeployTarget t;
  t.name = name;
  t.migrations = relative_to(dir, t.migrations);
  t.audit_file = relative_to(dir, ".dbsafe/audit.jsonl");
  t.check_config = fs::absolute(path, ec).string();
  std::string local_method;
  bool terminate = false;
  for (auto &[k, v] : *table) {
    std::string key(k.str());
    std::string where = "targets." + name + "." + key;
    if (key == "url_env") {
      t.url_env = text(path, where, v);
    } else if (key == "direct_url_env") {
      t.direct_url_env = text(path, where, v);
    } else if (key == "migrations") {
      t.migrations = relative_to(dir, text(path, where, v));
    } else if (key == "runner") {
      auto r = text(path, where, v);
      if (r != "safe" && r != "prisma") bad(path, v, where + " must be \"safe\" or \"prisma\"");
      t.runner = r == "safe" ? Runner::Safe : Runner::Prisma;
    } else if (key == "provider") {
      t.provider = text(path, where, v);
      if (t.provider != "neon" && t.provider != "local" && t.provider != "none")
        bad(path, v, where + " must be \"neon\", \"local\" or \"none\"");
    } else if (key == "local_method") {
      local_method = text(path, where, v);
      if (local_method != "template" && local_method != "dump")
        bad(path, v, where + " must be \"template\" or \"dump\"");
    } else if (key == "terminate_blockers") {
      terminate = flag(path, where, v);
    } else if (key == "snapshot") {
      auto s = text(path, where, v);
      if (s == "rotate")
        t.snapshot = SnapshotMode::Rotate;
      else if (s == "timestamped")
        t.snapshot = SnapshotMode::Timestamped;
      else if (s == "none")
        t.snapshot = SnapshotMode::None;
      else
        bad(path, v, where + " must be \"rotate\", \"timestamped\" or \"none\"");
    } else if (key == "snapshot_expiry_days") {
      t.snapshot_expiry_days = static_cast<int>(integer(path, where, v, 1, 3650));
    } else if (key == "snapshot_keep") {
      t.snapshot_keep = static_cast<std::size_t>(integer(path, where, v, 1, 10000));
    } else if (key == "approve_on") {
      t.approve_on = level(path, where, v);
    } else if (key == "block_on") {
      t.block_on = level(path, where, v);
    } else if (key == "approvals") {
      t.approvals = static_cast<int>(integer(path, where, v, 1, 10));
    } else if (key == "auto_restore") {
      t.auto_restore = flag(path, where, v);
    } else if (key == "verify") {
      t.verify = flag(path, where, v);
    } else if (key == "allow_seed") {
      t.allow_seed = flag(path, where, v);
    } else if (key == "maintenance") {
      t.maintenance = flag(path, where, v);
    } else if (key == "branch_per_git_branch") {
      t.branch_per_git_branch = flag(path, where, v);
    } else if (key == "branch_prefix") {
      t.branch_prefix = text(path, where, v);
    } else if (key == "branch_expiry_days") {
      t.branch_expiry_days = static_cast<int>(integer(path, where, v, 1, 365));
    } else if (key == "branch_env_file") {
      t.branch_env_file = relative_to(dir, text(path, where, v));
    } else if (key == "audit_file") {
      t.audit_file = relative_to(dir, text(path, where, v));
    } else if (key == "notify_webhook") {
      t.notify_webhook = text(path, where, v);
      if (!t.notify_webhook.empty() && t.notify_webhook.rfind("https://", 0) != 0 &&
          t.notify_webhook.rfind("http://", 0) != 0)
        bad(path, v, where + " must be an http:// or https:// URL");
    } else {
      bad_at(path, k.source(),
             "unknown key \"" + key + "\" in [targets." + name +
                 "]; known keys: url_env, direct_url_env, migrations, runner, provider, "
                 "local_method, terminate_blockers, snapshot, snapshot_expiry_days, snapshot_keep, "
                 "approve_on, block_on, approvals, auto_restore, verify, allow_seed, maintenance, "
                 "branch_per_git_branch, branch_prefix, branch_expiry_days, branch_env_file, "
                 "audit_file, notify_webhook (docs/deploy.md)");
    }
  }

  if (t.branch_per_git_branch && t.provider != "neon")
    bad(path, *node,
        "targets." + name +
            ": branch_per_git_branch needs provider = \"neon\" (a branch per "
            "git branch is a Neon branch)");
  ProviderOptions &o = t.provider_options;
  o.kind = t.provider == "neon" ? "neon" : "local";
  if (!local_method.empty()) o.local_method = local_method;
  o.terminate_blockers = terminate;
  if (t.provider == "neon") {
    // NEON_* from the environment win over the [neon] table, as for the
    // snapshot verbs; the key never appears in a message.
    auto neon = doc["neon"];
    auto pick = [&](const char *var, const char *key) {
      if (auto e = env(var); !e.empty()) return e;
      return neon[key].value_or(std::string());
    };
    o.api_key = pick("NEON_API_KEY", "api_key");
    o.project_id = pick("NEON_PROJECT_ID", "project_id");
    o.api_host = pick("NEON_API_HOST", "api_host");
    o.ca_file = pick("NEON_CA_FILE", "ca_file");
  }
  return t;
}

}  // namespace v1
}  // namespace dbsafe
