// The provider policies (rotation, retention, pruning, names) against an
// in-memory provider whose every operation can be made to fail, so each
// step of a rotation is interrupted once and the backup checked afterwards.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "dbsafe/provider.hpp"
#include "provider/policy.hpp"

namespace {

using namespace dbsafe;

class FakeProvider final : public Provider {
 public:
  std::vector<SnapshotInfo> snapshots;
  std::vector<BranchInfo> branches;
  std::size_t quota = 10;
  // Fail the n-th call (1-based) of an operation.
  std::string fail_op;
  int fail_nth = 0;
  // delete_snapshot: fail after the snapshot is gone, as a Neon operation
  // that ends "failed" once its work is done.
  bool fail_after_delete = false;
  std::map<std::string, int> calls;
  std::vector<std::string> log;

  FakeProvider() {
    BranchInfo main;
    main.id = "br-main";
    main.name = "main";
    main.state = "ready";
    main.is_default = true;
    main.created_at = "2020-01-01T00:00:00Z";
    branches.push_back(main);
  }

  std::string kind() const override { return "fake"; }

  std::vector<BranchInfo> list_branches(const CallOptions &) override {
    step("list_branches");
    return branches;
  }
  std::optional<BranchInfo> find_branch(const std::string &key, const CallOptions &) override {
    step("find_branch");
    for (const auto &b : branches)
      if (b.id == key || b.name == key) return b;
    return std::nullopt;
  }
  BranchInfo default_branch(const CallOptions &) override { return branches.front(); }
  BranchInfo create_branch(const CreateBranchOptions &options, const CallOptions &) override {
    step("create_branch");
    BranchInfo b;
    b.id = "br-" + std::to_string(++serial_);
    b.name = options.name;
    b.parent_id = "br-main";
    b.state = "ready";
    b.created_at = next_time();
    b.expires_at = options.expires_at;
    branches.push_back(b);
    return b;
  }
  void delete_branch(const std::string &key, const CallOptions &) override {
    step("delete_branch");
    auto it = std::find_if(branches.begin(), branches.end(),
                           [&](const BranchInfo &b) { return b.id == key || b.name == key; });
    if (it == branches.end()) throw Error(ErrorCode::NotFound, "no branch " + key);
    if (it->is_default || it->is_protected) throw Error(ErrorCode::State, "refused");
    branches.erase(it);
  }
  RestoreResult restore_branch(const std::string &, const std::string &, const std::string &,
                               const CallOptions &) override {
    throw Error(ErrorCode::Invalid, "not in the fake");
  }
  std::string connection_url(const std::string &key, bool, const CallOptions &) override {
    return "postgresql://fake/" + key;
  }
  std::vector<SnapshotInfo> list_snapshots(const CallOptions &) override {
    step("list_snapshots");
    return snapshots;
  }
  // The newest of a name, as the providers do.
  std::optional<SnapshotInfo> find_snapshot(const std::string &key, const CallOptions &) override {
    step("find_snapshot");
    std::optional<SnapshotInfo> best;
    for (const auto &s : snapshots)
      if ((s.id == key || s.name == key) && (!best || s.created_at > best->created_at)) best = s;
    return best;
  }
  SnapshotInfo create_snapshot(const CreateSnapshotOptions &options, const CallOptions &) override {
    step("create_snapshot");
    if (snapshots.size() >= quota)
      throw Error(ErrorCode::Http, "snapshots limit exceeded; limit:\"" + std::to_string(quota) +
                                       "\", current:\"" + std::to_string(snapshots.size()) +
                                       "\" (delete a snapshot first)")
          .with_http_status(422);
    return add_snapshot(options.name, next_time());
  }
  void delete_snapshot(const std::string &key, const CallOptions &) override {
    if (!fail_after_delete) step("delete_snapshot");
    auto it = std::find_if(snapshots.begin(), snapshots.end(),
                           [&](const SnapshotInfo &s) { return s.id == key || s.name == key; });
    if (it == snapshots.end()) throw Error(ErrorCode::NotFound, "no snapshot " + key);
    snapshots.erase(it);
    if (fail_after_delete) step("delete_snapshot");
  }
  RestoreResult restore_snapshot(const std::string &, const RestoreOptions &,
                                 const CallOptions &) override {
    throw Error(ErrorCode::Invalid, "not in the fake");
  }

  SnapshotInfo add_snapshot(const std::string &name, const std::string &created_at,
                            bool is_protected = false) {
    SnapshotInfo s;
    s.id = "snap-" + std::to_string(++serial_);
    s.name = name;
    s.source_branch_id = "br-main";
    s.created_at = created_at;
    s.is_protected = is_protected;
    snapshots.push_back(s);
    return s;
  }
  BranchInfo &add_branch(const std::string &name, const std::string &created_at) {
    BranchInfo b;
    b.id = "br-" + std::to_string(++serial_);
    b.name = name;
    b.parent_id = "br-main";
    b.state = "ready";
    b.created_at = created_at;
    branches.push_back(b);
    return branches.back();
  }

 private:
  void step(const std::string &op) {
    int n = ++calls[op];
    log.push_back(op + "#" + std::to_string(n));
    if (op == fail_op && n == fail_nth)
      throw Error(ErrorCode::Http, "injected failure in " + op).with_http_status(503);
  }
  // Creation times after every fixed one the tests use.
  std::string next_time() {
    char buf[32];
    std::snprintf(buf, sizeof buf, "2030-01-01T00:%02d:%02dZ", clock_ / 60, clock_ % 60);
    ++clock_;
    return buf;
  }
  int serial_ = 0;
  int clock_ = 0;
};

constexpr const char *kName = "pre-deploy-backup";

std::set<std::string> names(const std::vector<std::string> &list) {
  return {list.begin(), list.end()};
}

TEST(ProviderPolicy, TimestampedNameIsUtcMinutes) {
  std::tm tm{};
  tm.tm_year = 2026 - 1900;
  tm.tm_mon = 0;
  tm.tm_mday = 1;
  tm.tm_hour = 9;
  tm.tm_min = 30;
  tm.tm_sec = 59;
  auto at = std::chrono::system_clock::from_time_t(::timegm(&tm));
  EXPECT_EQ(timestamped_name("pre-migration-", at), "pre-migration-20260101-0930");
  EXPECT_EQ(timestamped_name("", at), "20260101-0930");
}

TEST(ProviderPolicy, FirstRotationCreatesTheSnapshot) {
  FakeProvider fake;
  auto report = rotate_snapshot(fake);
  EXPECT_EQ(report.snapshot.name, kName);
  EXPECT_FALSE(report.replaced);
  EXPECT_FALSE(report.bridge_branch);
  ASSERT_EQ(fake.snapshots.size(), 1u);
  auto json = report.to_json();
  EXPECT_NE(json.find("\"schema_version\":1"), std::string::npos) << json;
  EXPECT_NE(json.find("\"replaced\":null"), std::string::npos) << json;
}

TEST(ProviderPolicy, RotationCreatesBeforeItDeletes) {
  FakeProvider fake;
  auto old = fake.add_snapshot(kName, "2029-01-01T00:00:00Z");
  auto report = rotate_snapshot(fake);
  ASSERT_TRUE(report.replaced);
  EXPECT_EQ(report.replaced->id, old.id);
  ASSERT_EQ(fake.snapshots.size(), 1u);
  EXPECT_EQ(fake.snapshots[0].id, report.snapshot.id);
  auto create = std::find(fake.log.begin(), fake.log.end(), "create_snapshot#1");
  auto remove = std::find(fake.log.begin(), fake.log.end(), "delete_snapshot#1");
  ASSERT_NE(create, fake.log.end());
  EXPECT_LT(create, remove);
}

TEST(ProviderPolicy, RotationRemovesDuplicatesAndStaleBridges) {
  FakeProvider fake;
  fake.add_snapshot(kName, "2029-01-01T00:00:00Z");
  fake.add_snapshot(kName, "2029-02-01T00:00:00Z");
  fake.add_branch(provider::bridge_prefix(kName) + "20290101-0000", "2029-01-01T00:00:00Z");
  auto report = rotate_snapshot(fake);
  ASSERT_EQ(fake.snapshots.size(), 1u);
  EXPECT_EQ(fake.branches.size(), 1u);  // only main
  EXPECT_EQ(report.replaced->created_at, "2029-02-01T00:00:00Z");
  EXPECT_EQ(fake.calls["list_branches"], 1) << "one listing serves the whole rotation";
}

// A stale bridge that cannot be deleted is noted in the report; the rotation
// itself is complete.
TEST(ProviderPolicy, StaleBridgeThatCannotBeDeletedIsOnlyNoted) {
  FakeProvider fake;
  fake.add_snapshot(kName, "2029-01-01T00:00:00Z");
  fake.add_branch(provider::bridge_prefix(kName) + "20290101-0000", "2029-01-01T00:00:00Z");
  fake.fail_op = "delete_branch";
  fake.fail_nth = 1;
  auto report = rotate_snapshot(fake);
  ASSERT_EQ(fake.snapshots.size(), 1u);
  EXPECT_EQ(fake.snapshots[0].id, report.snapshot.id);
  EXPECT_EQ(fake.branches.size(), 2u);
  EXPECT_NE(report.steps.back().find("could not delete the old bridge branch"), std::string::npos)
      << report.steps.back();
}

// Each step of the normal rotation fails once: the backup survives, is found
// by its name, and the error says where things stand.
TEST(ProviderPolicy, FaultMatrixNormalRotation) {
  const std::vector<std::pair<std::string, int>> steps = {
      {"list_snapshots", 1}, {"create_snapshot", 1}, {"delete_snapshot", 1}, {"list_branches", 1}};
  for (const auto &[op, nth] : steps) {
    SCOPED_TRACE(op);
    FakeProvider fake;
    auto old = fake.add_snapshot(kName, "2029-01-01T00:00:00Z");
    fake.fail_op = op;
    fake.fail_nth = nth;
    std::string message, detail;
    try {
      rotate_snapshot(fake);
    } catch (const Error &e) {
      message = e.message();
      detail = e.detail_json();
      EXPECT_EQ(e.http_status(), 503);
    }
    fake.fail_op.clear();
    auto backup = provider::find_backup(fake, kName);
    ASSERT_TRUE(backup);
    EXPECT_EQ(backup->kind, "snapshot");
    ASSERT_FALSE(message.empty());
    EXPECT_NE(message.find("injected failure in " + op), std::string::npos) << message;
    EXPECT_NE(message.find("state: "), std::string::npos) << message;
    if (op == "list_snapshots") {
      // Nothing is known yet, and nothing was touched.
      EXPECT_NE(message.find("nothing was created or deleted"), std::string::npos) << message;
      EXPECT_NE(detail.find("\"backup\":null"), std::string::npos) << detail;
      EXPECT_EQ(backup->id, old.id);
      continue;
    }
    EXPECT_NE(detail.find("\"backup\":{\"kind\":\"snapshot\""), std::string::npos) << detail;
    if (op == "delete_snapshot") {
      EXPECT_NE(message.find("is ready"), std::string::npos) << message;
      EXPECT_NE(backup->id, old.id);  // the newest is found
      // Rotating again heals it: one snapshot of the name remains.
      rotate_snapshot(fake);
      EXPECT_EQ(fake.snapshots.size(), 1u);
    } else {
      EXPECT_NE(message.find("is unchanged"), std::string::npos) << message;
      EXPECT_EQ(backup->id, old.id);
    }
  }
}

TEST(ProviderPolicy, QuotaRotationUsesABridgeBranch) {
  FakeProvider fake;
  fake.quota = 1;
  auto old = fake.add_snapshot(kName, "2029-01-01T00:00:00Z");
  auto report = rotate_snapshot(fake);
  ASSERT_TRUE(report.bridge_branch);
  EXPECT_TRUE(report.bridge_branch->starts_with(provider::bridge_prefix(kName)));
  ASSERT_EQ(fake.snapshots.size(), 1u);
  EXPECT_NE(fake.snapshots[0].id, old.id);
  EXPECT_EQ(fake.branches.size(), 1u);  // the bridge is gone
  EXPECT_EQ(fake.calls["list_branches"], 1) << "one listing serves the whole rotation";
  // Bridge first, then the old snapshot goes, then the new one is taken.
  std::vector<std::string> mutations;
  for (const auto &entry : fake.log)
    if (entry.rfind("create_", 0) == 0 || entry.rfind("delete_", 0) == 0)
      mutations.push_back(entry);
  EXPECT_EQ(mutations,
            (std::vector<std::string>{"create_snapshot#1", "create_branch#1", "delete_snapshot#1",
                                      "create_snapshot#2", "delete_branch#1"}));
  EXPECT_NE(report.to_json().find("\"bridge_branch\":\"pre-deploy-backup-bridge-"),
            std::string::npos);
}

TEST(ProviderPolicy, QuotaWithoutAnOldSnapshotFailsCleanly) {
  FakeProvider fake;
  fake.quota = 1;
  fake.add_snapshot("someone-elses", "2029-01-01T00:00:00Z");
  try {
    rotate_snapshot(fake);
    FAIL() << "expected an error";
  } catch (const Error &e) {
    EXPECT_EQ(e.http_status(), 422);
    EXPECT_NE(e.message().find("no new one is known to be ready"), std::string::npos)
        << e.message();
  }
  EXPECT_EQ(fake.snapshots.size(), 1u);
}

TEST(ProviderPolicy, FaultMatrixQuotaRotation) {
  struct Case {
    std::string op;
    int nth;
    std::string backup_kind;  // where the backup is found afterwards
    std::string says;
  };
  const std::vector<Case> cases = {
      {"list_snapshots", 1, "", "nothing was created or deleted"},
      {"list_branches", 1, "snapshot", "is unchanged"},
      {"create_branch", 1, "snapshot", "could not be created"},
      {"delete_snapshot", 1, "snapshot", "still exists"},
      {"create_snapshot", 2, "branch", "held by the bridge branch"},
      {"delete_branch", 1, "snapshot", "could not be deleted: delete it by hand"},
  };
  for (const auto &c : cases) {
    SCOPED_TRACE(c.op);
    FakeProvider fake;
    fake.quota = 1;
    fake.add_snapshot(kName, "2029-01-01T00:00:00Z");
    fake.fail_op = c.op;
    fake.fail_nth = c.nth;
    std::string message, detail;
    try {
      rotate_snapshot(fake);
    } catch (const Error &e) {
      message = e.message();
      detail = e.detail_json();
    }
    fake.fail_op.clear();
    ASSERT_FALSE(message.empty());
    EXPECT_NE(message.find(c.says), std::string::npos) << message;
    if (!c.backup_kind.empty()) {
      EXPECT_NE(detail.find("\"kind\":\"" + c.backup_kind + "\""), std::string::npos) << detail;
    }
    // At least one backup exists and is found by the name.
    auto backup = provider::find_backup(fake, kName);
    ASSERT_TRUE(backup);
    EXPECT_EQ(backup->kind, c.backup_kind.empty() ? "snapshot" : c.backup_kind);
    // A later rotation completes from any of these states.
    auto report = rotate_snapshot(fake);
    EXPECT_EQ(fake.snapshots.size(), 1u);
    EXPECT_EQ(fake.branches.size(), 1u) << "bridges cleaned up";
    EXPECT_EQ(provider::find_backup(fake, kName)->id, report.snapshot.id);
  }
}

// The soak found it: Neon's operation for a deletion ended "failed" after
// the snapshot was deleted, and the rotation stopped, saying the snapshot
// still existed. A deletion that reports a failure is now checked against
// the listing, and the rotation completes when the snapshot is gone.
TEST(ProviderPolicy, ADeletionThatFailsAfterDeletingCompletesTheRotation) {
  for (std::size_t quota : {std::size_t{1}, std::size_t{10}}) {
    SCOPED_TRACE("quota " + std::to_string(quota));
    FakeProvider fake;
    fake.quota = quota;
    auto old = fake.add_snapshot(kName, "2029-01-01T00:00:00Z");
    fake.fail_op = "delete_snapshot";
    fake.fail_nth = 1;
    fake.fail_after_delete = true;
    auto report = rotate_snapshot(fake);
    ASSERT_EQ(fake.snapshots.size(), 1u);
    EXPECT_NE(fake.snapshots[0].id, old.id);
    EXPECT_EQ(report.snapshot.id, fake.snapshots[0].id);
    EXPECT_EQ(fake.branches.size(), 1u) << "no bridge branch is left";
    EXPECT_NE(report.to_json().find("the deletion reported a failure, but the snapshot is gone"),
              std::string::npos)
        << report.to_json();
  }
}

TEST(ProviderPolicy, RetentionKeepsJustTakenAndProtected) {
  FakeProvider fake;
  auto a = fake.add_snapshot("daily-a", "2029-01-01T00:00:00Z");
  auto b = fake.add_snapshot("daily-b", "2029-01-02T00:00:00Z", /*protected*/ true);
  auto c = fake.add_snapshot("daily-c", "2029-01-03T00:00:00Z");
  auto d = fake.add_snapshot("daily-d", "2029-01-04T00:00:00Z");
  auto e = fake.add_snapshot("daily-e", "2029-01-05T00:00:00Z");
  fake.add_snapshot("other", "2000-01-01T00:00:00Z");
  RetentionPolicy policy;
  policy.name_prefix = "daily-";
  policy.keep_last = 2;

  auto dry = apply_snapshot_retention(fake, policy, a.id, /*dry_run*/ true);
  EXPECT_TRUE(dry.dry_run);
  EXPECT_EQ(names(dry.deleted), (std::set<std::string>{"daily-c"}));
  EXPECT_EQ(fake.snapshots.size(), 6u);

  policy.protected_names = {"daily-d"};
  auto report = apply_snapshot_retention(fake, policy, a.id);
  EXPECT_TRUE(report.deleted.empty());
  policy.protected_names.clear();
  report = apply_snapshot_retention(fake, policy, a.id);
  EXPECT_EQ(names(report.deleted), (std::set<std::string>{"daily-c"}));
  EXPECT_EQ(report.kept.size(), report.reasons.size());
  std::set<std::string> left;
  for (const auto &s : fake.snapshots) left.insert(s.name);
  EXPECT_EQ(left, (std::set<std::string>{"daily-a", "daily-b", "daily-d", "daily-e", "other"}));
  (void)b;
  (void)d;
  (void)e;
  (void)c;
  auto json = report.to_json();
  EXPECT_NE(json.find("{\"name\":\"daily-a\",\"reason\":\"just taken\"}"), std::string::npos)
      << json;
}

TEST(ProviderPolicy, RetentionByAgeKeepsTheNewest) {
  FakeProvider fake;
  fake.add_snapshot("pre-migration-1", "2001-01-01T00:00:00Z");
  fake.add_snapshot("pre-migration-2", "2002-01-01T00:00:00Z");
  RetentionPolicy policy;
  policy.name_prefix = "pre-migration-";
  policy.max_age = std::chrono::hours(24 * 7);
  policy.keep_last = 1;
  auto report = apply_snapshot_retention(fake, policy);
  EXPECT_EQ(report.deleted, (std::vector<std::string>{"pre-migration-1"}));
  EXPECT_EQ(report.kept, (std::vector<std::string>{"pre-migration-2"}));
}

TEST(ProviderPolicy, PruneNeverTouchesDefaultOrProtected) {
  FakeProvider fake;
  fake.branches[0].expires_at = "2001-01-01T00:00:00Z";  // the default, expired
  fake.branches[0].name = "preview-main";
  auto &kept_protected = fake.add_branch("preview-protected", "2001-01-01T00:00:00Z");
  kept_protected.is_protected = true;
  kept_protected.expires_at = "2001-01-01T00:00:00Z";
  fake.add_branch("feature-x", "2001-01-01T00:00:00Z").expires_at = "2001-01-02T00:00:00Z";
  fake.add_branch("main (old)", "2001-01-01T00:00:00Z");
  fake.add_branch("preview-1", "2001-01-01T00:00:00Z");
  fake.add_branch("preview-2", "2002-01-01T00:00:00Z");
  fake.add_branch("preview-3", "2003-01-01T00:00:00Z");
  fake.add_branch("unrelated", "2001-01-01T00:00:00Z");
  BranchPruneOptions options;
  options.policy.name_prefix = "preview-";
  options.policy.keep_last = 1;

  options.dry_run = true;
  auto dry = prune_branches(fake, options);
  EXPECT_EQ(fake.branches.size(), 8u);
  options.dry_run = false;
  auto report = prune_branches(fake, options);
  EXPECT_EQ(names(report.deleted), names(dry.deleted));
  EXPECT_EQ(names(report.deleted),
            (std::set<std::string>{"feature-x", "main (old)", "preview-1", "preview-2"}));
  std::set<std::string> left;
  for (const auto &b : fake.branches) left.insert(b.name);
  EXPECT_EQ(left,
            (std::set<std::string>{"preview-main", "preview-protected", "preview-3", "unrelated"}));
  auto json = report.to_json();
  EXPECT_NE(json.find("\"reason\":\"default branch\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"reason\":\"protected\""), std::string::npos) << json;
}

TEST(ProviderPolicy, QuotaErrorRecognised) {
  EXPECT_TRUE(provider::is_snapshot_quota_error(
      Error(ErrorCode::Http, "snapshots limit exceeded; limit:\"1\"").with_http_status(422)));
  EXPECT_FALSE(provider::is_snapshot_quota_error(
      Error(ErrorCode::Http, "branch not ready yet").with_http_status(422)));
  EXPECT_FALSE(provider::is_snapshot_quota_error(Error(ErrorCode::Http, "limit")));
}

TEST(ProviderPolicy, OpenRejectsUnknownKinds) {
  ProviderOptions options;
  options.kind = "s3";
  try {
    Provider::open(options);
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Invalid);
    EXPECT_NE(e.message().find("\"local\""), std::string::npos);
  }
}

}  // namespace
