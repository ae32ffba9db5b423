// The provider-independent policies of provider.hpp: the rotating backup of
// seed 000, the timestamped names of seed 002, snapshot retention and branch
// pruning. They use only the Provider interface, so they behave the same on
// Neon and on a local server.
#include "provider/policy.hpp"
#include "util/time.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <exception>

#include "provider/json.hpp"
#include "util/json_writer.hpp"

namespace dbsafe {
inline namespace v1 {

namespace {

using provider::bridge_prefix;
using provider::write_snapshot;

std::optional<std::time_t> parse_time(const std::string &text) {
  return util::parse_utc_time(text);
}

std::string describe(const SnapshotInfo &s) {
  return "\"" + s.name + "\" (" + s.id + ")";
}

std::string describe_all(const std::vector<SnapshotInfo> &list) {
  std::string out;
  for (const auto &s : list) out += (out.empty() ? "" : ", ") + describe(s);
  return out;
}

// Rethrows `failure` with what state the rotation left behind, keeping its
// code (a non-dbsafe exception becomes Internal), and where the backup is in
// the detail JSON, so a caller can point a restore at it.
[[noreturn]] void fail(const std::exception &failure, const std::string &state,
                       const std::string &backup_kind, const std::string &backup_name) {
  const auto *error = dynamic_cast<const Error *>(&failure);
  Error out(error ? error->code() : ErrorCode::Internal,
            std::string("rotating the backup failed: ") + failure.what() + "; state: " + state);
  if (error) {
    if (error->http_status() != 0) out.with_http_status(error->http_status());
    if (!error->sqlstate().empty()) out.with_sqlstate(error->sqlstate());
  }
  util::JsonWriter w;
  w.begin_object().field("state", state).key("backup");
  if (backup_name.empty())
    w.null();
  else
    w.begin_object().field("kind", backup_kind).field("name", backup_name).end_object();
  w.end_object();
  out.with_detail_json(w.take());
  throw out;
}

bool newer(const std::string &a_created, const std::string &a_id, const std::string &b_created,
           const std::string &b_id) {
  if (a_created != b_created) return a_created > b_created;
  return a_id > b_id;
}

bool contains(const std::vector<std::string> &list, const std::string &value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// The age rule shared by snapshots and branches: the `keep_last` newest are
// kept whatever their age (so a backup is never pruned to zero by age
// alone); the rest are deleted when older than max_age, or, without
// max_age, for being beyond keep_last. Returns the reason to delete, or
// nullopt with `keep_reason` set.
std::optional<std::string> age_rule(const RetentionPolicy &policy, std::size_t rank,
                                    const std::string &created_at, std::time_t now,
                                    std::string &keep_reason) {
  if (policy.keep_last && rank < *policy.keep_last) {
    keep_reason = "among the " + std::to_string(*policy.keep_last) + " newest";
    return std::nullopt;
  }
  if (policy.max_age) {
    auto created = parse_time(created_at);
    if (!created) {
      keep_reason = "creation time unknown";
      return std::nullopt;
    }
    if (now - *created > policy.max_age->count())
      return "older than " + std::to_string(policy.max_age->count()) + " s";
    keep_reason = "younger than " + std::to_string(policy.max_age->count()) + " s";
    return std::nullopt;
  }
  if (policy.keep_last) return "beyond the " + std::to_string(*policy.keep_last) + " newest";
  keep_reason = "no keep_last or max_age given";
  return std::nullopt;
}

// Once a new snapshot is ready, the bridge branches an interrupted quota
// rotation left behind (`stale`, from the listing taken at the start) are
// redundant. Failing to remove one is only noted: the rotation itself is
// complete.
void remove_stale_bridges(Provider &provider, const std::vector<BranchInfo> &stale,
                          RotateReport &report, const CallOptions &call) {
  for (const auto &b : stale) {
    try {
      provider.delete_branch(b.id, call);
      report.steps.push_back("deleted the bridge branch \"" + b.name +
                             "\" left by an interrupted rotation");
    } catch (const std::exception &e) {
      report.steps.push_back("could not delete the old bridge branch \"" + b.name +
                             "\": " + e.what());
    }
  }
}

// Deletes a rotated-out snapshot and records the step. A deletion that
// reported a failure may still have happened: a Neon operation can end
// "failed" after its work is done, and a lost answer says nothing either way.
// The listing decides; when it cannot be read either, the snapshot is taken
// to be still there (the cautious reading) and `still_there` reports the
// state (it does not return).
template <typename StillThere>
void delete_previous_snapshot(Provider &provider, const SnapshotInfo &s, RotateReport &report,
                              const CallOptions &call, StillThere &&still_there) {
  try {
    provider.delete_snapshot(s.id, call);
    report.steps.push_back("deleted the previous snapshot " + describe(s));
    return;
  } catch (const std::exception &e) {
    bool listed = true;
    try {
      auto list = provider.list_snapshots(call);
      listed = std::any_of(list.begin(), list.end(),
                           [&](const SnapshotInfo &other) { return other.id == s.id; });
    } catch (const std::exception &) {
    }
    if (listed) still_there(e);
    report.steps.push_back(
        "deleted the previous snapshot " + describe(s) +
        " (the deletion reported a failure, but the snapshot is gone: " + e.what() + ")");
  }
}

}  // namespace

std::string timestamped_name(const std::string &prefix, std::chrono::system_clock::time_point at) {
  std::time_t t = std::chrono::system_clock::to_time_t(at);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M", &tm);
  return prefix + buf;
}

RotateReport rotate_snapshot(Provider &provider, const RotateOptions &options,
                             const CallOptions &call) {
  if (options.name.empty()) throw Error(ErrorCode::Invalid, "rotate_snapshot: the name is empty");
  CallContext ctx(call);
  const std::string &name = options.name;
  RotateReport report;

  // Every snapshot of that name is "old": an interrupted earlier rotation can
  // leave two, and all of them go once the new one is ready.
  std::vector<SnapshotInfo> old;
  try {
    for (auto &s : provider.list_snapshots(call))
      if (s.name == name) old.push_back(std::move(s));
  } catch (const std::exception &e) {
    fail(e, "nothing was created or deleted; any previous backup is unchanged", "", "");
  }
  std::sort(old.begin(), old.end(), [](const SnapshotInfo &a, const SnapshotInfo &b) {
    return newer(a.created_at, a.id, b.created_at, b.id);
  });
  report.steps.push_back(old.empty() ? "no snapshot named \"" + name + "\" yet"
                                     : "previous backup: " + describe_all(old));
  const std::string unchanged =
      old.empty()
          ? "no backup named \"" + name + "\" existed and no new one is known to be ready"
          : "nothing was deleted; the previous backup " + describe_all(old) + " is unchanged";
  const std::string old_name = old.empty() ? std::string() : name;

  // One listing of the branches serves the whole rotation: it names the
  // branch to snapshot (so the provider need not look the default branch up
  // again), the bridges an interrupted rotation left behind, and the names a
  // new bridge must not take.
  std::vector<BranchInfo> branches;
  try {
    ctx.checkpoint();
    branches = provider.list_branches(call);
  } catch (const std::exception &e) {
    fail(e, unchanged, "snapshot", old_name);
  }
  std::vector<BranchInfo> stale_bridges;
  for (const auto &b : branches)
    if (b.name.starts_with(bridge_prefix(name)) && !b.is_default && !b.is_protected)
      stale_bridges.push_back(b);

  // The branch to back up, by id when the listing has it (by id, by name,
  // or the default one); else as given, for the provider to report.
  auto source = std::find_if(branches.begin(), branches.end(), [&](const BranchInfo &b) {
    return options.branch.empty() ? b.is_default : b.id == options.branch;
  });
  if (source == branches.end() && !options.branch.empty())
    source = std::find_if(branches.begin(), branches.end(),
                          [&](const BranchInfo &b) { return b.name == options.branch; });
  CreateSnapshotOptions create;
  create.name = name;
  create.branch = source != branches.end() ? source->id : options.branch;

  // The new snapshot takes the same name: during the moment both exist,
  // find-by-name returns the newest, so the backup is always findable by its
  // name and there is no rename step that could be interrupted.
  std::optional<Error> quota;
  try {
    ctx.checkpoint();
    report.snapshot = provider.create_snapshot(create, call);
  } catch (const Error &e) {
    if (!provider::is_snapshot_quota_error(e) || old.empty())
      fail(e, unchanged, "snapshot", old_name);
    quota = e;
  } catch (const std::exception &e) {
    fail(e, unchanged, "snapshot", old_name);
  }

  if (quota) {
    // The quota holds no second snapshot: a branch holds the backup while the
    // old snapshot makes room. Order matters: bridge first, delete second.
    report.steps.push_back("the snapshot quota is full (" + quota->message() + ")");
    std::string bridge = timestamped_name(bridge_prefix(name));
    std::string bridge_id;
    try {
      ctx.checkpoint();
      // Branch names are unique (Neon answers 409): a bridge left by an
      // interrupted rotation in the same minute must not collide.
      auto taken = [&](const std::string &candidate) {
        return std::any_of(branches.begin(), branches.end(),
                           [&](const BranchInfo &b) { return b.name == candidate; });
      };
      for (int n = 2; taken(bridge); ++n)
        bridge = timestamped_name(bridge_prefix(name)) + "-" + std::to_string(n);
      CreateBranchOptions branch;
      branch.name = bridge;
      // Without a parent the bridge branches from the default branch.
      branch.parent = options.branch.empty() ? std::string() : create.branch;
      branch.with_endpoint = false;
      bridge_id = provider.create_branch(branch, call).id;
    } catch (const std::exception &e) {
      fail(e, "the bridge branch \"" + bridge + "\" could not be created; " + unchanged, "snapshot",
           old_name);
    }
    report.bridge_branch = bridge;
    report.steps.push_back("created bridge branch \"" + bridge + "\" holding the current data");
    for (const auto &s : old) {
      ctx.checkpoint();
      delete_previous_snapshot(provider, s, report, call, [&](const std::exception &e) {
        fail(e,
             "the bridge branch \"" + bridge + "\" holds a backup taken now and the snapshot " +
                 describe(s) +
                 " could not be deleted, so it still exists; delete it and rotate "
                 "again, or delete the bridge branch",
             "snapshot", name);
      });
    }
    try {
      ctx.checkpoint();
      report.snapshot = provider.create_snapshot(create, call);
    } catch (const std::exception &e) {
      fail(e,
           "the previous snapshot was deleted; the backup is held by the bridge branch \"" +
               bridge + "\" (restore from that branch, or rotate again to retake the snapshot)",
           "branch", bridge);
    }
    report.steps.push_back("created snapshot " + describe(report.snapshot) + ", ready");
    report.replaced = old.front();
    try {
      ctx.checkpoint();
      provider.delete_branch(bridge_id, call);
    } catch (const std::exception &e) {
      fail(e,
           "the new snapshot " + describe(report.snapshot) + " is ready; the bridge branch \"" +
               bridge + "\" is no longer needed but could not be deleted: delete it by hand",
           "snapshot", name);
    }
    report.steps.push_back("deleted the bridge branch \"" + bridge + "\"");
    remove_stale_bridges(provider, stale_bridges, report, call);
    return report;
  }

  report.steps.push_back("created snapshot " + describe(report.snapshot) + ", ready");
  for (const auto &s : old) {
    ctx.checkpoint();
    delete_previous_snapshot(provider, s, report, call, [&](const std::exception &e) {
      fail(e,
           "the new snapshot " + describe(report.snapshot) +
               " is ready and found by the name; the previous snapshot " + describe(s) +
               " could not be deleted and still exists (rotating again deletes it)",
           "snapshot", name);
    });
  }
  if (!old.empty()) report.replaced = old.front();

  remove_stale_bridges(provider, stale_bridges, report, call);
  return report;
}

PruneReport apply_snapshot_retention(Provider &provider, const RetentionPolicy &policy,
                                     const std::string &just_taken, bool dry_run,
                                     const CallOptions &call) {
  CallContext ctx(call);
  PruneReport report;
  report.dry_run = dry_run;
  std::vector<SnapshotInfo> list;
  for (auto &s : provider.list_snapshots(call))
    if (s.name.starts_with(policy.name_prefix)) list.push_back(std::move(s));
  std::sort(list.begin(), list.end(), [](const SnapshotInfo &a, const SnapshotInfo &b) {
    return newer(a.created_at, a.id, b.created_at, b.id);
  });
  const std::time_t now = std::time(nullptr);
  // keep_last counts the snapshots the policy may delete: protected ones and
  // the one just taken are kept besides them, not instead of them.
  std::size_t rank = 0;
  for (const auto &s : list) {
    std::string keep_reason;
    std::optional<std::string> delete_reason;
    if (!just_taken.empty() && (s.id == just_taken || s.name == just_taken))
      keep_reason = "just taken";
    else if (s.is_protected)
      keep_reason = "protected";
    else if (contains(policy.protected_names, s.name))
      keep_reason = "protected by name";
    else
      delete_reason = age_rule(policy, rank++, s.created_at, now, keep_reason);
    if (!delete_reason) {
      report.kept.push_back(s.name);
      report.reasons.push_back(keep_reason);
      continue;
    }
    ctx.checkpoint();
    if (!dry_run) provider.delete_snapshot(s.id, call);
    report.deleted.push_back(s.name);
  }
  return report;
}

PruneReport prune_branches(Provider &provider, const BranchPruneOptions &options,
                           const CallOptions &call) {
  CallContext ctx(call);
  PruneReport report;
  report.dry_run = options.dry_run;
  auto list = provider.list_branches(call);
  std::sort(list.begin(), list.end(), [](const BranchInfo &a, const BranchInfo &b) {
    return newer(a.created_at, a.id, b.created_at, b.id);
  });
  const auto &policy = options.policy;
  const std::time_t now = std::time(nullptr);
  std::size_t rank = 0;  // among the deletable branches the name prefix selects
  for (const auto &b : list) {
    std::string keep_reason;
    std::optional<std::string> delete_reason;
    const bool by_prefix = !policy.name_prefix.empty() && b.name.starts_with(policy.name_prefix);
    std::optional<std::time_t> expires;
    if (b.expires_at) expires = parse_time(*b.expires_at);
    if (b.is_default)
      keep_reason = "default branch";
    else if (b.is_protected)
      keep_reason = "protected";
    else if (contains(policy.protected_names, b.name))
      keep_reason = "protected by name";
    else if (options.expired && expires && *expires <= now)
      delete_reason = "expired at " + *b.expires_at;
    else if (options.old_restore_branches && b.name.find(" (old") != std::string::npos) {
      auto created = parse_time(b.created_at);
      if (policy.max_age && created && now - *created <= policy.max_age->count())
        keep_reason =
            "left by a restore, younger than " + std::to_string(policy.max_age->count()) + " s";
      else
        delete_reason = "left by a restore";
    } else if (by_prefix)
      // An empty prefix selects nothing here: age and count rules never
      // apply to every branch of a project at once.
      delete_reason = age_rule(policy, rank++, b.created_at, now, keep_reason);
    else
      keep_reason = "no rule applies";
    if (!delete_reason) {
      report.kept.push_back(b.name);
      report.reasons.push_back(keep_reason);
      continue;
    }
    ctx.checkpoint();
    if (!options.dry_run) provider.delete_branch(b.id, call);
    report.deleted.push_back(b.name);
  }
  return report;
}

std::string RotateReport::to_json() const {
  util::JsonWriter w;
  w.begin_object().field("schema_version", 1).key("snapshot");
  write_snapshot(w, snapshot);
  w.key("replaced");
  if (replaced)
    write_snapshot(w, *replaced);
  else
    w.null();
  w.field("bridge_branch", bridge_branch).key("steps").begin_array();
  for (const auto &s : steps) w.value(s);
  w.end_array().end_object();
  return w.take();
}

std::string PruneReport::to_json() const {
  util::JsonWriter w;
  w.begin_object().field("schema_version", 1).field("dry_run", dry_run).key("deleted");
  w.begin_array();
  for (const auto &d : deleted) w.value(d);
  w.end_array().key("kept").begin_array();
  for (std::size_t i = 0; i < kept.size(); ++i)
    w.begin_object()
        .field("name", kept[i])
        .field("reason", i < reasons.size() ? reasons[i] : std::string())
        .end_object();
  w.end_array().end_object();
  return w.take();
}

}  // namespace v1
}  // namespace dbsafe

namespace dbsafe::provider {

std::string bridge_prefix(const std::string &name) {
  return name + "-bridge-";
}

std::optional<SnapshotInfo> find_backup(Provider &provider, const std::string &name,
                                        const CallOptions &call) {
  if (auto s = provider.find_snapshot(name, call)) return s;
  std::optional<BranchInfo> best;
  for (auto &b : provider.list_branches(call))
    if (b.name.starts_with(bridge_prefix(name)) &&
        (!best || newer(b.created_at, b.id, best->created_at, best->id)))
      best = std::move(b);
  if (!best) return std::nullopt;
  SnapshotInfo s;
  s.id = best->id;
  s.name = best->name;
  s.source_branch_id = best->parent_id;
  s.created_at = best->created_at;
  s.expires_at = best->expires_at;
  s.is_protected = best->is_protected;
  s.kind = "branch";
  return s;
}

bool is_snapshot_quota_error(const Error &error) {
  if (error.http_status() != 422) return false;
  const auto &m = error.message();
  return m.find("limit") != std::string::npos || m.find("quota") != std::string::npos;
}

}  // namespace dbsafe::provider
