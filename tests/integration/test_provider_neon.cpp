// The Neon provider against the local Neon API v2 test server: real data
// behind branches and snapshots (written and read back through the
// connection URLs the provider returns), point-in-time branches and
// restores, refusals, faults the server injects, timeouts, cancellation,
// and the API key (a canary) never showing in a message or a log line.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dbsafe/call.hpp"
#include "dbsafe/error.hpp"
#include "dbsafe/provider.hpp"
#include "http/client.hpp"
#include "http/json.hpp"
#include "pg/connection.hpp"
#include "support/neon_test_server.hpp"

namespace dbsafe {
namespace {

using namespace std::chrono_literals;
using testing::NeonTestServer;
using Clock = std::chrono::steady_clock;

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

std::string unique(const std::string &prefix) {
  static int counter = 0;
  return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

// Whole-second UTC time, as the API takes it (`ahead` seconds from now).
std::string utc_now(int ahead = 0) {
  std::time_t t = std::time(nullptr) + ahead;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

class NeonProviderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    skip_reason_ = NeonTestServer::unavailable_reason();
    if (skip_reason_.empty()) server_ = &NeonTestServer::shared();
  }

  // Every log line of every test: checked for the key at the end.
  static void TearDownTestSuite() {
    if (server_ == nullptr) return;
    std::lock_guard<std::mutex> lock(log_mutex_);
    for (const std::string &line : log_)
      EXPECT_FALSE(contains(line, server_->api_key())) << "the API key leaked: " << line;
  }

  void SetUp() override {
    if (!skip_reason_.empty()) GTEST_SKIP() << "the Neon test server cannot run: " << skip_reason_;
    server_->admin("DELETE", "/faults");
  }

  void TearDown() override {
    if (server_ != nullptr) server_->admin("DELETE", "/faults");
  }

  ProviderOptions options() const {
    ProviderOptions o;
    o.kind = "neon";
    o.api_host = server_->api_host();
    o.api_key = server_->api_key();
    o.project_id = server_->project_id();
    o.ca_file = server_->ca_file();
    o.poll_interval = 50ms;
    o.operation_timeout = 60s;
    return o;
  }

  std::unique_ptr<Provider> open() const { return Provider::open(options()); }

  // Call options whose log lines are kept for the key check.
  static CallOptions logged() {
    CallOptions call;
    call.log = [](LogLevel, std::string_view component, std::string_view message) {
      std::lock_guard<std::mutex> lock(log_mutex_);
      log_.push_back(std::string(component) + ": " + std::string(message));
    };
    return call;
  }

  // An error the provider threw, checked for the key.
  static void expect_clean(const Error &e) {
    EXPECT_FALSE(contains(e.message(), server_->api_key())) << e.message();
    EXPECT_FALSE(contains(e.detail_json(), server_->api_key())) << e.detail_json();
  }

  static std::string query_one(const std::string &url, const std::string &sql) {
    CallContext ctx;
    auto conn = pg::Connection::open(url, ctx);
    auto result = conn.simple(sql);
    return result.rows() > 0 ? result.text(0, 0) : std::string();
  }

  static void exec(const std::string &url, const std::string &sql) {
    CallContext ctx;
    auto conn = pg::Connection::open(url, ctx);
    conn.simple(sql);
  }

  static void add_fault(const std::string &rule_json) {
    server_->admin("POST", "/faults", rule_json);
  }

  static inline std::string skip_reason_;
  static inline NeonTestServer *server_ = nullptr;
  static inline std::mutex log_mutex_;
  static inline std::vector<std::string> log_;
};

TEST(NeonProviderOpen, NamesMissingSettingsAndKinds) {
  const char *saved_key = std::getenv("NEON_API_KEY");
  const char *saved_project = std::getenv("NEON_PROJECT_ID");
  std::string key_copy = saved_key ? saved_key : "",
              project_copy = saved_project ? saved_project : "";
  ::unsetenv("NEON_API_KEY");
  ::unsetenv("NEON_PROJECT_ID");
  ProviderOptions o;
  try {
    Provider::open(o);
    ADD_FAILURE() << "opened without a key";
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Invalid);
    EXPECT_TRUE(contains(e.message(), "NEON_API_KEY")) << e.message();
  }
  o.api_key = "napi_secret_value_123";
  try {
    Provider::open(o);
    ADD_FAILURE() << "opened without a project";
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Invalid);
    EXPECT_TRUE(contains(e.message(), "NEON_PROJECT_ID")) << e.message();
    EXPECT_FALSE(contains(e.message(), "napi_secret_value_123"));
  }
  // From the environment.
  ::setenv("NEON_API_KEY", "napi_from_env", 1);
  ::setenv("NEON_PROJECT_ID", "some-project-1", 1);
  auto p = Provider::open(ProviderOptions{});
  EXPECT_EQ(p->kind(), "neon");
  EXPECT_EQ(p->requests_made(), 0u);

  ProviderOptions other;
  other.kind = "s3";
  try {
    Provider::open(other);
    ADD_FAILURE();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Invalid);
    EXPECT_TRUE(contains(e.message(), "neon") && contains(e.message(), "local")) << e.message();
  }
  if (saved_key)
    ::setenv("NEON_API_KEY", key_copy.c_str(), 1);
  else
    ::unsetenv("NEON_API_KEY");
  if (saved_project)
    ::setenv("NEON_PROJECT_ID", project_copy.c_str(), 1);
  else
    ::unsetenv("NEON_PROJECT_ID");
}

TEST_F(NeonProviderTest, ListsAndFindsBranchesAndCachesTheDefault) {
  auto p = open();
  CallOptions call = logged();
  BranchInfo main = p->default_branch(call);
  EXPECT_TRUE(main.is_default);
  EXPECT_EQ(main.name, "main");
  EXPECT_EQ(main.state, "ready");
  auto branches = p->list_branches(call);
  bool listed = false;
  for (const auto &b : branches) listed = listed || b.id == main.id;
  EXPECT_TRUE(listed);
  auto by_name = p->find_branch("main", call);
  ASSERT_TRUE(by_name);
  EXPECT_EQ(by_name->id, main.id);
  auto by_id = p->find_branch(main.id, call);
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->name, "main");
  // "mai" is a substring of "main": only exact matches count.
  EXPECT_FALSE(p->find_branch("mai", call));
  EXPECT_FALSE(p->find_branch("br-no-such-branch-00000000", call));
  std::uint64_t before = p->requests_made();
  EXPECT_GT(before, 0u);
  // One request per look-up: no page after a short one.
  p->find_branch("main", call);
  EXPECT_EQ(p->requests_made(), before + 1);
}

TEST_F(NeonProviderTest, SnapshotRestoreBringsTheDataBackThroughTheSameUrl) {
  auto p = open();
  CallOptions call = logged();
  std::string url = p->connection_url("", false, call);
  EXPECT_EQ(url, p->connection_url("main", false, call));
  std::string table = "snap_t_" + std::to_string(::getpid());
  exec(url, "CREATE TABLE " + table + " (v text); INSERT INTO " + table + " VALUES ('before')");

  std::string name = unique("pre-deploy");
  CreateSnapshotOptions so;
  so.name = name;
  SnapshotInfo snap = p->create_snapshot(so, call);
  EXPECT_EQ(snap.name, name);
  EXPECT_FALSE(snap.id.empty());
  EXPECT_EQ(snap.source_branch_id, p->default_branch(call).id);
  auto found = p->find_snapshot(name, call);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, snap.id);
  ASSERT_TRUE(p->find_snapshot(snap.id, call));
  bool listed = false;
  for (const auto &s : p->list_snapshots(call)) listed = listed || s.id == snap.id;
  EXPECT_TRUE(listed);

  exec(url, "UPDATE " + table + " SET v = 'after'");
  EXPECT_EQ(query_one(url, "SELECT v FROM " + table), "after");

  std::string old_main_id = p->default_branch(call).id;
  RestoreResult r = p->restore_snapshot(name, {}, call);
  EXPECT_EQ(r.branch.name, "main");
  EXPECT_TRUE(r.branch.is_default);
  EXPECT_NE(r.branch.id, old_main_id);
  EXPECT_TRUE(contains(r.replaced_by, "main (old")) << r.replaced_by;
  EXPECT_EQ(p->default_branch(call).id, r.branch.id);
  // Same URL, the snapshot's data.
  EXPECT_EQ(p->connection_url("main", false, call), url);
  EXPECT_EQ(query_one(url, "SELECT v FROM " + table), "before");
  auto old = p->find_branch(r.replaced_by, call);
  ASSERT_TRUE(old);
  EXPECT_EQ(old->id, old_main_id);

  // Clean up: the snapshot (attached to the old branch), then that branch.
  p->delete_snapshot(name, call);
  EXPECT_FALSE(p->find_snapshot(snap.id, call));
  p->delete_snapshot(snap.id, call);  // already gone: fine
  p->delete_branch(r.replaced_by, call);
  EXPECT_FALSE(p->find_branch(old_main_id, call));
  exec(url, "DROP TABLE " + table);
}

TEST_F(NeonProviderTest, PreviewRestoreAndPreservedName) {
  auto p = open();
  CallOptions call = logged();
  std::string url = p->connection_url("", false, call);
  std::string table = "prev_t_" + std::to_string(::getpid());
  exec(url, "CREATE TABLE " + table + " (v text); INSERT INTO " + table + " VALUES ('one')");
  CreateSnapshotOptions so;
  so.name = unique("preview");
  SnapshotInfo snap = p->create_snapshot(so, call);
  exec(url, "UPDATE " + table + " SET v = 'two'");

  RestoreOptions preview;
  preview.finalize = false;
  RestoreResult r = p->restore_snapshot(snap.id, preview, call);
  EXPECT_NE(r.branch.name, "main");
  EXPECT_TRUE(r.replaced_by.empty());
  EXPECT_FALSE(r.branch.is_default);
  EXPECT_EQ(query_one(url, "SELECT v FROM " + table), "two");  // main untouched
  p->delete_branch(r.branch.id, call);

  RestoreOptions keep;
  keep.preserve_under_name = unique("main-before-rollback");
  RestoreResult k = p->restore_snapshot(so.name, keep, call);
  EXPECT_EQ(k.branch.name, "main");
  EXPECT_EQ(k.replaced_by, keep.preserve_under_name);
  EXPECT_EQ(query_one(url, "SELECT v FROM " + table), "one");
  auto kept = p->find_branch(keep.preserve_under_name, call);
  ASSERT_TRUE(kept);
  p->delete_snapshot(snap.id, call);
  p->delete_branch(kept->id, call);
  exec(url, "DROP TABLE " + table);
}

TEST_F(NeonProviderTest, BranchAtAPastTimestampSeesTheOldData) {
  auto p = open();
  CallOptions call = logged();
  std::string url = p->connection_url("", false, call);
  std::string table = "pitr_t_" + std::to_string(::getpid());
  exec(url, "CREATE TABLE " + table + " (v text); INSERT INTO " + table + " VALUES ('old')");
  std::this_thread::sleep_for(1200ms);
  std::string at = utc_now();
  std::this_thread::sleep_for(1200ms);
  exec(url, "UPDATE " + table + " SET v = 'new'");

  CreateBranchOptions bo;
  bo.name = unique("pitr");
  bo.parent = "main";
  bo.at_timestamp = at;
  BranchInfo b = p->create_branch(bo, call);
  EXPECT_EQ(b.name, bo.name);
  EXPECT_EQ(b.state, "ready");
  EXPECT_EQ(b.parent_id, p->default_branch(call).id);
  std::string burl = p->connection_url(b.name, false, call);
  EXPECT_NE(burl, url);
  EXPECT_EQ(query_one(burl, "SELECT v FROM " + table), "old");
  EXPECT_EQ(p->connection_url(b.id, false, call), burl);
  EXPECT_TRUE(contains(p->connection_url(b.id, true, call), "-pooler"));
  p->delete_branch(b.name, call);
  EXPECT_FALSE(p->find_branch(b.id, call));
  exec(url, "DROP TABLE " + table);
}

TEST_F(NeonProviderTest, RestoreBranchInPlaceToATimestamp) {
  auto p = open();
  CallOptions call = logged();
  CreateBranchOptions bo;
  bo.name = unique("restore-me");
  BranchInfo b = p->create_branch(bo, call);
  std::string url = p->connection_url(b.id, false, call);
  exec(url, "CREATE TABLE t (v text); INSERT INTO t VALUES ('good')");
  std::this_thread::sleep_for(1200ms);
  std::string at = utc_now();
  std::this_thread::sleep_for(1200ms);
  exec(url, "UPDATE t SET v = 'bad'");

  RestoreResult r = p->restore_branch(b.name, at, "", call);
  EXPECT_EQ(r.branch.id, b.id);  // in place: same id, same URL
  EXPECT_TRUE(contains(r.replaced_by, bo.name + " (old ")) << r.replaced_by;
  EXPECT_EQ(p->connection_url(b.name, false, call), url);
  EXPECT_EQ(query_one(url, "SELECT v FROM t"), "good");
  auto kept = p->find_branch(r.replaced_by, call);
  ASSERT_TRUE(kept);
  // The pre-restore data is kept (without a compute) as the branch's parent.
  EXPECT_EQ(r.branch.parent_id, kept->id);
  EXPECT_FALSE(kept->is_default);

  try {
    p->restore_branch(b.name, "", "", call);
    ADD_FAILURE();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Invalid);
  }
  // The preserved branch is the parent now: the child goes first.
  p->delete_branch(b.id, call);
  p->delete_branch(kept->id, call);
}

TEST_F(NeonProviderTest, DeleteRefusesDefaultAndProtectedAndCreateAdoptsSameName) {
  auto p = open();
  CallOptions call = logged();
  try {
    p->delete_branch("main", call);
    ADD_FAILURE() << "deleted the default branch";
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::State);
    EXPECT_TRUE(contains(e.message(), "default")) << e.message();
  }
  p->delete_branch("no-such-branch-xyz", call);  // nothing to do

  CreateBranchOptions bo;
  bo.name = unique("keep-me");
  bo.with_endpoint = false;
  bo.expires_at = utc_now(3600);
  BranchInfo b = p->create_branch(bo, call);
  ASSERT_TRUE(b.expires_at);
  EXPECT_EQ(b.expires_at->substr(0, 16), bo.expires_at->substr(0, 16));
  // Again: 409, adopted.
  BranchInfo again = p->create_branch(bo, call);
  EXPECT_EQ(again.id, b.id);
  // The same name under another parent is not what was asked for.
  CreateBranchOptions child;
  child.name = unique("child");
  child.parent = b.name;
  child.with_endpoint = false;
  BranchInfo c = p->create_branch(child, call);
  EXPECT_EQ(c.parent_id, b.id);
  CreateBranchOptions clash = child;
  clash.parent = "main";
  try {
    p->create_branch(clash, call);
    ADD_FAILURE() << "adopted a branch with another parent";
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::State);
    expect_clean(e);
  }
  p->delete_branch(c.id, call);

  // Protect it through the API, then try.
  http::ClientOptions co;
  co.ca_file = server_->ca_file();
  http::Client client(co);
  http::Request patch;
  patch.method = http::Method::Patch;
  patch.url = server_->api_host() + "/projects/" + server_->project_id() + "/branches/" + b.id;
  patch.bearer_token = server_->api_key();
  patch.headers.push_back({"Content-Type", "application/json"});
  patch.body = R"({"branch":{"protected":true}})";
  CallContext ctx;
  ASSERT_EQ(client.request(patch, ctx).status, 200);
  try {
    p->delete_branch(b.name, call);
    ADD_FAILURE() << "deleted a protected branch";
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::State);
    EXPECT_TRUE(contains(e.message(), "protected")) << e.message();
  }
  patch.body = R"({"branch":{"protected":false}})";
  ASSERT_EQ(client.request(patch, ctx).status, 200);
  p->delete_branch(b.name, call);
}

TEST_F(NeonProviderTest, WaitsOutARealLockAndCountsEveryRequest) {
  auto p = open();
  CallOptions call = logged();
  // A branch created behind the provider's back: its operations hold the
  // project's lock, so the provider's own create first gets 423.
  http::ClientOptions co;
  co.ca_file = server_->ca_file();
  http::Client client(co);
  http::Request post;
  post.method = http::Method::Post;
  post.url = server_->api_host() + "/projects/" + server_->project_id() + "/branches";
  post.bearer_token = server_->api_key();
  post.headers.push_back({"Content-Type", "application/json"});
  std::string behind = unique("behind");
  post.body = R"({"branch":{"name":")" + behind + R"("}})";
  server_->admin("DELETE", "/requests");
  CallContext ctx;
  ASSERT_EQ(client.request(post, ctx).status, 201);

  std::uint64_t before = p->requests_made();
  CreateBranchOptions bo;
  bo.name = unique("after-lock");
  bo.with_endpoint = false;
  BranchInfo b = p->create_branch(bo, call);
  EXPECT_EQ(b.state, "ready");
  p->delete_branch(b.id, call);
  std::uint64_t made = p->requests_made() - before;

  auto log = http::JsonDocument::parse(server_->admin("GET", "/requests"), "the request log");
  std::uint64_t seen = 0, locked = 0;
  std::string trace;
  for (simdjson::dom::element entry : log.root()["requests"].get_array()) {
    std::string_view method = entry["method"].get_string().value_unsafe();
    std::string_view path = entry["path"].get_string().value_unsafe();
    int64_t status = 0;
    if (entry["status"].get(status) != simdjson::SUCCESS) status = 0;  // "dropped"
    trace += std::string(method) + " " + std::string(path) + " " + std::to_string(status) + "\n";
    ++seen;
    if (status == 423) ++locked;
  }
  if (std::getenv("DBSAFE_TEST_VERBOSE") != nullptr) std::cout << trace;
  // Everything but the one raw POST above came from the provider.
  EXPECT_EQ(made, seen - 1) << trace;
  EXPECT_GE(locked, 1u) << trace;
  p->delete_branch(behind, call);
}

TEST_F(NeonProviderTest, AFullSnapshotQuotaIsAClearError) {
  server_->admin("POST", "/config", R"({"snapshot_quota": 1})");
  struct Restore {
    ~Restore() { server_->admin("POST", "/config", R"({"snapshot_quota": 10})"); }
  } restore_quota;
  auto p = open();
  CallOptions call = logged();
  CreateSnapshotOptions first;
  first.name = unique("quota-one");
  first.expires_at = utc_now(3600);
  SnapshotInfo a = p->create_snapshot(first, call);
  ASSERT_TRUE(a.expires_at);
  EXPECT_EQ(a.expires_at->substr(0, 16), first.expires_at->substr(0, 16));
  CreateSnapshotOptions second;
  second.name = unique("quota-two");
  second.branch = "main";
  try {
    p->create_snapshot(second, call);
    ADD_FAILURE() << "a second snapshot past the quota";
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Http);
    EXPECT_EQ(e.http_status(), 422);
    EXPECT_TRUE(contains(e.message(), "limit")) << e.message();
    expect_clean(e);
  }
  p->delete_snapshot(a.name, call);
  EXPECT_FALSE(p->find_snapshot(a.id, call));
}

// Seed 000 on Neon's Free plan (one snapshot): the rotating backup is
// replaced through a bridge branch, and afterwards exactly one snapshot by
// that name exists, holding the data of the second rotation.
TEST_F(NeonProviderTest, RotationUnderAOneSnapshotQuotaKeepsABackupThroughout) {
  auto p = open();
  CallOptions call = logged();
  for (const auto &s : p->list_snapshots(call)) p->delete_snapshot(s.id, call);
  server_->admin("POST", "/config", R"({"snapshot_quota": 1})");
  struct Restore {
    ~Restore() { server_->admin("POST", "/config", R"({"snapshot_quota": 10})"); }
  } restore_quota;
  RotateOptions rotate;
  rotate.name = unique("pre-deploy-backup");
  RotateReport first = rotate_snapshot(*p, rotate, call);
  EXPECT_FALSE(first.replaced);
  EXPECT_FALSE(first.bridge_branch);
  RotateReport second = rotate_snapshot(*p, rotate, call);
  ASSERT_TRUE(second.replaced);
  EXPECT_EQ(second.replaced->id, first.snapshot.id);
  ASSERT_TRUE(second.bridge_branch) << second.to_json();
  // The bridge is gone, and one snapshot by the name is left: the new one.
  EXPECT_FALSE(p->find_branch(*second.bridge_branch, call));
  std::size_t named = 0;
  for (const auto &s : p->list_snapshots(call)) named += s.name == rotate.name;
  EXPECT_EQ(named, 1u);
  auto found = p->find_snapshot(rotate.name, call);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, second.snapshot.id);
  EXPECT_TRUE(contains(second.to_json(), "\"schema_version\":1")) << second.to_json();
  p->delete_snapshot(found->id, call);
}

TEST_F(NeonProviderTest, TheCallTimeoutStopsAWait) {
  server_->admin("POST", "/config", R"({"operation_delay_ms": 1000})");
  struct Restore {
    ~Restore() { server_->admin("POST", "/config", R"({"operation_delay_ms": 100})"); }
  } restore_delay;
  auto p = open();
  CallOptions timed = logged();
  timed.timeout = 300ms;
  CreateBranchOptions bo;
  bo.name = unique("call-timeout");
  bo.with_endpoint = false;
  auto started = Clock::now();
  try {
    p->create_branch(bo, timed);
    ADD_FAILURE();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Timeout) << e.message();
  }
  EXPECT_LT(Clock::now() - started, 1000ms);
  server_->admin("POST", "/config", R"({"operation_delay_ms": 100})");
  p->delete_branch(bo.name, logged());
}

TEST_F(NeonProviderTest, WrongKeyIsAnAuthErrorWithoutTheKey) {
  ProviderOptions o = options();
  o.api_key = "napi_wrong_canary_0f9e8d7c";
  auto p = Provider::open(o);
  CallOptions call = logged();
  std::vector<std::string> lines;
  call.log = [&](LogLevel, std::string_view, std::string_view m) { lines.emplace_back(m); };
  try {
    p->list_branches(call);
    ADD_FAILURE();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Auth);
    EXPECT_EQ(e.http_status(), 401);
    EXPECT_FALSE(contains(e.message(), o.api_key)) << e.message();
    EXPECT_TRUE(contains(e.message(), "request id")) << e.message();
  }
  for (const auto &l : lines) EXPECT_FALSE(contains(l, o.api_key)) << l;
  EXPECT_GE(p->requests_made(), 1u);
}

TEST_F(NeonProviderTest, RetriesLockedRateLimitedAndBrokenAnswers) {
  auto p = open();
  CallOptions call = logged();
  // 423 twice on the create POST: retried, the branch made once.
  add_fault(R"({"fault":"status=423","times":2,"method":"POST","path":"/projects/*/branches"})");
  CreateBranchOptions bo;
  bo.name = unique("locked");
  bo.with_endpoint = false;
  BranchInfo b = p->create_branch(bo, call);
  EXPECT_EQ(b.name, bo.name);
  // 429 (Retry-After: 1), 503, a dropped connection and a truncated body on GETs.
  add_fault(R"({"fault":"status=429","times":1,"method":"GET","path":"/projects/*/branches"})");
  EXPECT_TRUE(p->find_branch(bo.name, call));
  add_fault(R"({"fault":"status=503","times":1,"method":"GET","path":"/projects/*/branches"})");
  EXPECT_TRUE(p->find_branch(bo.name, call));
  add_fault(R"({"fault":"drop","times":1,"method":"GET","path":"/projects/*/branches"})");
  EXPECT_TRUE(p->find_branch(bo.name, call));
  add_fault(R"({"fault":"truncate","times":1,"method":"GET","path":"/projects/*/branches"})");
  EXPECT_TRUE(p->find_branch(bo.name, call));
  p->delete_branch(b.id, call);

  // A create whose answer is lost after the work was done: found and used.
  add_fault(R"({"fault":"drop-after","times":1,"method":"POST","path":"/projects/*/branches"})");
  CreateBranchOptions lost;
  lost.name = unique("lost-answer");
  lost.with_endpoint = false;
  BranchInfo l = p->create_branch(lost, call);
  EXPECT_EQ(l.name, lost.name);
  EXPECT_EQ(l.state, "ready");
  p->delete_branch(l.id, call);

  // A 500 on a POST is not retried (it may have been applied): a clear error.
  add_fault(
      R"({"fault":"status=500","times":1,"method":"POST","path":"/projects/*/branches/*/snapshot"})");
  try {
    CreateSnapshotOptions so;
    so.name = unique("never");
    p->create_snapshot(so, call);
    ADD_FAILURE();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Http);
    EXPECT_EQ(e.http_status(), 500);
    EXPECT_TRUE(contains(e.message(), "request id")) << e.message();
    expect_clean(e);
  }
}

TEST_F(NeonProviderTest, AFailedOperationIsReported) {
  auto p = open();
  CallOptions call = logged();
  add_fault(R"({"fault":"op-fail","times":1,"method":"POST","path":"/projects/*/branches"})");
  CreateBranchOptions bo;
  bo.name = unique("op-fail");
  bo.with_endpoint = false;
  try {
    p->create_branch(bo, call);
    ADD_FAILURE();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Database);
    EXPECT_TRUE(contains(e.message(), "failed")) << e.message();
    expect_clean(e);
  }
  server_->admin("DELETE", "/faults");
  p->delete_branch(bo.name, call);
}

TEST_F(NeonProviderTest, CancelAndTimeoutStopAWaitPromptly) {
  server_->admin("POST", "/config", R"({"operation_delay_ms": 1500})");
  struct Restore {
    ~Restore() { server_->admin("POST", "/config", R"({"operation_delay_ms": 100})"); }
  } restore_delay;
  auto p = open();
  CallOptions call = logged();
  auto token = std::make_shared<CancelToken>();
  call.cancel = token;
  CreateBranchOptions bo;
  bo.name = unique("cancelled");
  bo.with_endpoint = false;
  std::thread canceller([&] {
    std::this_thread::sleep_for(400ms);
    token->request();
  });
  auto started = Clock::now();
  try {
    p->create_branch(bo, call);
    ADD_FAILURE();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Cancelled) << e.message();
  }
  canceller.join();
  EXPECT_LT(Clock::now() - started, 1500ms);

  // The operation timeout. The cancelled create still runs on the server:
  // wait until its branch is ready so the next create is not locked out.
  for (int i = 0; i < 200; ++i) {
    auto b = p->find_branch(bo.name, logged());
    if (b && b->state == "ready") break;
    std::this_thread::sleep_for(50ms);
  }
  ProviderOptions o = options();
  o.operation_timeout = 300ms;
  auto short_wait = Provider::open(o);
  CreateBranchOptions slow;
  slow.name = unique("slow");
  slow.with_endpoint = false;
  started = Clock::now();
  try {
    short_wait->create_branch(slow, logged());
    ADD_FAILURE();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Timeout) << e.message();
    expect_clean(e);
  }
  EXPECT_LT(Clock::now() - started, 1500ms);
  // Clean up (the delete waits out the lock the slow create still holds).
  server_->admin("POST", "/config", R"({"operation_delay_ms": 100})");
  CallOptions plain = logged();
  p->delete_branch(bo.name, plain);
  p->delete_branch(slow.name, plain);
}

}  // namespace
}  // namespace dbsafe
