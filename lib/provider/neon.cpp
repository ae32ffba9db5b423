// The Neon provider: Neon API v2 (branches, snapshots, point-in-time restore)
// through the HTTPS client, waiting on the operations every mutation starts.
//
// Request economy matters (a benchmark compares request counts with
// neonctl): one keep-alive client for the provider's lifetime, the default
// branch's id cached, branch look-ups narrowed with `search`, a page shorter
// than the limit taken as the last one, operations the mutation reports as
// done never polled, and several pending operations polled with one list.
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <map>
#include <thread>

#include "dbsafe/provider.hpp"
#include "http/client.hpp"
#include "http/json.hpp"
#include "provider/factory.hpp"
#include "util/json_writer.hpp"

namespace dbsafe::provider {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
namespace dom = simdjson::dom;

constexpr const char *kComponent = "neon";
constexpr const char *kDefaultHost = "https://console.neon.tech/api/v2";
// The largest page the branch list allows; a shorter page is the last one.
constexpr std::size_t kBranchPage = 10000;
// Sleeps are cut into slices this long so a cancel is seen promptly.
constexpr milliseconds kSlice{20};

std::string env_or(const std::string &value, const char *name) {
  if (!value.empty()) return value;
  const char *env = std::getenv(name);
  return env != nullptr ? std::string(env) : std::string();
}

// RFC 3986 unreserved characters stay; everything else is %XX, for query
// values and path segments alike.
std::string encode(std::string_view text) {
  static const char *hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

const char *type_name(dom::element el) {
  switch (el.type()) {
    case dom::element_type::ARRAY:
      return "an array";
    case dom::element_type::OBJECT:
      return "an object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE:
      return "a number";
    case dom::element_type::STRING:
      return "a string";
    case dom::element_type::BOOL:
      return "a boolean";
    case dom::element_type::NULL_VALUE:
      return "null";
  }
  return "something else";
}

// An answer that is valid JSON but not what Neon sends: a wrong host, a
// proxy's page or an API change. Acting on a guess (an empty id, a default
// "false") could delete or restore the wrong branch, so it is an error.
Error bad_answer(const std::string &what) {
  return Error(ErrorCode::Http, "the Neon API answer " + what +
                                    "; check that the API host (NEON_API_HOST) is Neon's API");
}

void require_object(dom::element el, const char *what) {
  if (!el.is_object())
    throw bad_answer(std::string("has ") + type_name(el) + " where " + what + " object should be");
}

// A string member: "" when absent or null, an error for any other type.
std::string str(dom::element el, std::string_view key) {
  if (!el.is_object())
    throw bad_answer(std::string("has ") + type_name(el) + " where an object with \"" +
                     std::string(key) + "\" should be");
  dom::element v;
  if (el[key].get(v) != simdjson::SUCCESS || v.is_null()) return {};
  std::string_view text;
  if (v.get(text) != simdjson::SUCCESS)
    throw bad_answer("has a \"" + std::string(key) + "\" field that is " + type_name(v) +
                     ", not a string");
  return std::string(text);
}

std::optional<std::string> opt_str(dom::element el, std::string_view key) {
  dom::element v;
  if (!el.is_object() || el[key].get(v) != simdjson::SUCCESS || v.is_null()) return std::nullopt;
  return str(el, key);
}

// A member the answer must have; a missing one is the server's fault.
dom::element member(dom::element el, const char *key) {
  dom::element v;
  if (!el.is_object() || el[key].get(v) != simdjson::SUCCESS)
    throw bad_answer(std::string("has no \"") + key + "\" field");
  return v;
}

// An array member the answer must have.
dom::array array_member(dom::element el, const char *key) {
  dom::element v = member(el, key);
  dom::array list;
  if (v.get(list) != simdjson::SUCCESS)
    throw bad_answer(std::string("has a \"") + key + "\" field that is " + type_name(v) +
                     ", not an array");
  return list;
}

// A boolean member: false when absent or null, an error for any other type
// ("true" as a string included: guessing could make the wrong branch the
// default one).
bool flag(dom::element el, std::string_view key) {
  dom::element v;
  if (el[key].get(v) != simdjson::SUCCESS || v.is_null()) return false;
  bool value = false;
  if (v.get(value) != simdjson::SUCCESS)
    throw bad_answer("has a \"" + std::string(key) + "\" field that is " + type_name(v) +
                     ", not a boolean");
  return value;
}

// An operation's status; without one, waiting would last until the
// operation timeout for nothing.
std::string op_status(dom::element op) {
  std::string status = str(op, "status");
  if (status.empty()) throw bad_answer("has an operation without a \"status\"");
  return status;
}

BranchInfo branch_from(dom::element b) {
  require_object(b, "a branch");
  BranchInfo info;
  info.id = str(b, "id");
  if (info.id.empty()) throw bad_answer("has a branch without an \"id\"");
  info.name = str(b, "name");
  info.parent_id = str(b, "parent_id");
  info.state = str(b, "current_state");
  // `primary` is the deprecated alias of `default`.
  info.is_default = flag(b, "default") || flag(b, "primary");
  info.is_protected = flag(b, "protected");
  info.created_at = str(b, "created_at");
  info.expires_at = opt_str(b, "expires_at");
  return info;
}

SnapshotInfo snapshot_from(dom::element s) {
  require_object(s, "a snapshot");
  SnapshotInfo info;
  info.id = str(s, "id");
  if (info.id.empty()) throw bad_answer("has a snapshot without an \"id\"");
  info.name = str(s, "name");
  info.source_branch_id = str(s, "source_branch_id");
  info.created_at = str(s, "created_at");
  info.expires_at = opt_str(s, "expires_at");
  return info;
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// Neon ids match ^[a-z0-9-]{1,60}$ with a kind prefix; names rarely look
// like that, and when one does the look-up falls back to names.
bool looks_like_id(std::string_view text, std::string_view prefix) {
  if (!starts_with(text, prefix) || text.size() > 60) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::string utc_now_text() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

enum class OpClass { Pending, Done, Failed };

OpClass classify(std::string_view status) {
  if (status == "finished" || status == "skipped") return OpClass::Done;
  if (status == "failed" || status == "error" || status == "cancelled") return OpClass::Failed;
  // scheduling, running, cancelling, and any status added later.
  return OpClass::Pending;
}

struct Settings {
  std::string api_key, project_id, base, ca_file, database, role;
  milliseconds operation_timeout, poll_interval;
};

// One answer with the request that produced it (errors and JSON parsing
// name the request).
struct Reply {
  http::Request request;
  http::Response response;
  http::JsonDocument json() const { return http::parse_json(request, response); }
};

class NeonProvider final : public Provider {
 public:
  explicit NeonProvider(Settings s) : s_(std::move(s)), client_(client_options(s_)) {}

  std::string kind() const override { return "neon"; }
  std::uint64_t requests_made() const override { return requests_; }

  std::vector<BranchInfo> list_branches(const CallOptions &call) override {
    CallContext ctx(call);
    return fetch_branches({}, ctx);
  }

  std::optional<BranchInfo> find_branch(const std::string &name_or_id,
                                        const CallOptions &call) override {
    CallContext ctx(call);
    return lookup_branch(name_or_id, ctx);
  }

  BranchInfo default_branch(const CallOptions &call) override {
    CallContext ctx(call);
    if (default_id_) {
      // Still the default? A finalized restore elsewhere may have moved it.
      if (auto b = get_branch(*default_id_, ctx); b && b->is_default) return *b;
      default_id_.reset();
    }
    for (BranchInfo &b : fetch_branches({}, ctx))
      if (b.is_default) return std::move(b);
    throw Error(ErrorCode::NotFound, "project " + s_.project_id + " has no default branch");
  }

  BranchInfo create_branch(const CreateBranchOptions &o, const CallOptions &call) override {
    CallContext ctx(call);
    if (!o.at_timestamp.empty() && !o.at_lsn.empty())
      throw Error(ErrorCode::Invalid, "create_branch: give at_timestamp or at_lsn, not both");
    // Without a parent the server branches from the default branch itself,
    // so it costs no look-up.
    std::string parent_id;
    if (!o.parent.empty()) parent_id = resolve_branch(o.parent, ctx).id;

    util::JsonWriter w;
    w.begin_object().key("branch").begin_object();
    if (!o.name.empty()) w.field("name", o.name);
    if (!parent_id.empty()) w.field("parent_id", parent_id);
    if (!o.at_timestamp.empty()) w.field("parent_timestamp", o.at_timestamp);
    if (!o.at_lsn.empty()) w.field("parent_lsn", o.at_lsn);
    if (o.expires_at) w.field("expires_at", *o.expires_at);
    w.end_object();
    if (o.with_endpoint) {
      w.key("endpoints").begin_array().begin_object().field("type", "read_write").end_object();
      w.end_array();
    }
    w.end_object();

    std::string what = "branch " + (o.name.empty() ? std::string("(unnamed)") : quoted(o.name));
    ctx.log(LogLevel::Info, kComponent, "creating " + what);
    Reply reply;
    try {
      reply = send(http::Method::Post, project_path() + "/branches", w.take(), ctx, {409});
    } catch (const Error &e) {
      // A POST whose answer was lost may still have created the branch:
      // with a name, look before reporting the failure.
      bool lost =
          e.http_status() == 0 && (e.code() == ErrorCode::Connect ||
                                   e.code() == ErrorCode::Timeout || e.code() == ErrorCode::Http);
      if (!lost || o.name.empty()) throw;
      ctx.log(LogLevel::Warning, kComponent,
              "the answer to creating " + what + " was lost; checking whether it exists");
      auto existing = lookup_branch(o.name, ctx);
      if (!existing || existing->name != o.name) throw;
      return adopt(*existing, parent_id, ctx);
    }
    if (reply.response.status == 409) {
      auto existing = o.name.empty() ? std::nullopt : lookup_branch(o.name, ctx);
      if (!existing || existing->name != o.name) throw api_error(reply);
      return adopt(*existing, parent_id, ctx);
    }
    auto doc = reply.json();
    BranchInfo info = branch_from(member(doc.root(), "branch"));
    wait_operations(doc.root(), "creating " + what, ctx);
    // The create operations finished: the branch is ready (README §2).
    info.state = "ready";
    ctx.log(LogLevel::Info, kComponent,
            "branch " + quoted(info.name) + " (" + info.id + ") is ready");
    return info;
  }

  void delete_branch(const std::string &name_or_id, const CallOptions &call) override {
    CallContext ctx(call);
    auto b = lookup_branch(name_or_id, ctx);
    if (!b) {
      ctx.log(LogLevel::Info, kComponent,
              "branch " + quoted(name_or_id) + " does not exist; nothing to delete");
      return;
    }
    if (b->is_default)
      throw Error(ErrorCode::State, "refusing to delete branch " + quoted(b->name) + " (" + b->id +
                                        "): it is the project's default branch");
    if (b->is_protected)
      throw Error(ErrorCode::State, "refusing to delete branch " + quoted(b->name) + " (" + b->id +
                                        "): it is protected");
    ctx.log(LogLevel::Info, kComponent, "deleting branch " + quoted(b->name) + " (" + b->id + ")");
    Reply reply =
        send(http::Method::Delete, project_path() + "/branches/" + encode(b->id), {}, ctx, {404});
    // 204 and 404: already gone, which is what was asked for.
    if (reply.response.status == 204 || reply.response.status == 404) return;
    auto doc = reply.json();
    wait_operations(doc.root(), "deleting branch " + quoted(b->name), ctx);
  }

  RestoreResult restore_branch(const std::string &name_or_id, const std::string &at_timestamp,
                               const std::string &preserve_under_name,
                               const CallOptions &call) override {
    CallContext ctx(call);
    if (at_timestamp.empty())
      throw Error(ErrorCode::Invalid, "restore_branch: a timestamp to restore to is required");
    BranchInfo target = resolve_branch(name_or_id, ctx);
    // Neon requires a name for the pre-restore state when a branch is
    // restored from itself.
    std::string keep = preserve_under_name.empty() ? target.name + " (old " + utc_now_text() + ")"
                                                   : preserve_under_name;
    util::JsonWriter w;
    w.begin_object()
        .field("source_branch_id", target.id)
        .field("source_timestamp", at_timestamp)
        .field("preserve_under_name", keep)
        .end_object();
    ctx.log(LogLevel::Info, kComponent,
            "restoring branch " + quoted(target.name) + " to " + at_timestamp);
    Reply reply =
        send(http::Method::Post, project_path() + "/branches/" + encode(target.id) + "/restore",
             w.take(), ctx);
    auto doc = reply.json();
    RestoreResult result;
    result.branch = branch_from(member(doc.root(), "branch"));
    wait_operations(doc.root(), "restoring branch " + quoted(target.name), ctx);
    result.branch.state = "ready";
    result.replaced_by = keep;
    result.notes.push_back("branch " + quoted(target.name) + " keeps its id and connection URL; " +
                           "the data it held before is on branch " + quoted(keep));
    return result;
  }

  std::string connection_url(const std::string &name_or_id, bool pooled,
                             const CallOptions &call) override {
    CallContext ctx(call);
    std::string query = "?database_name=" + encode(s_.database) + "&role_name=" + encode(s_.role) +
                        "&pooled=" + (pooled ? "true" : "false");
    std::string path = project_path() + "/connection_uri";
    Reply reply;
    if (name_or_id.empty()) {
      reply = send(http::Method::Get, path + query, {}, ctx);
    } else {
      // An id goes straight in; a 404 means it was a name after all.
      bool id_like = looks_like_id(name_or_id, "br-");
      if (id_like)
        reply = send(http::Method::Get, path + query + "&branch_id=" + encode(name_or_id), {}, ctx,
                     {404});
      if (!id_like || reply.response.status == 404) {
        std::string id = resolve_branch_by_list(name_or_id, ctx).id;
        reply = send(http::Method::Get, path + query + "&branch_id=" + encode(id), {}, ctx);
      }
    }
    auto doc = reply.json();
    std::string uri = str(doc.root(), "uri");
    if (uri.empty())
      throw Error(ErrorCode::Http, "GET " + path + ": the answer has no connection URI");
    return uri;
  }

  std::vector<SnapshotInfo> list_snapshots(const CallOptions &call) override {
    CallContext ctx(call);
    return fetch_snapshots(ctx);
  }

  std::optional<SnapshotInfo> find_snapshot(const std::string &name_or_id,
                                            const CallOptions &call) override {
    CallContext ctx(call);
    return lookup_snapshot(name_or_id, ctx);
  }

  SnapshotInfo create_snapshot(const CreateSnapshotOptions &o, const CallOptions &call) override {
    CallContext ctx(call);
    if (!o.at_timestamp.empty() && !o.at_lsn.empty())
      throw Error(ErrorCode::Invalid, "create_snapshot: give at_timestamp or at_lsn, not both");
    std::string branch_id;
    if (o.branch.empty())
      branch_id = default_branch_id(ctx);
    else if (looks_like_id(o.branch, "br-"))
      branch_id = o.branch;
    else
      branch_id = resolve_branch_by_list(o.branch, ctx).id;
    // The spec takes these as query parameters, not a body.
    std::string query;
    auto add = [&](const char *key, const std::string &value) {
      if (value.empty()) return;
      query += (query.empty() ? "?" : "&") + std::string(key) + "=" + encode(value);
    };
    add("name", o.name);
    add("expires_at", o.expires_at.value_or(""));
    add("timestamp", o.at_timestamp);
    add("lsn", o.at_lsn);
    std::string what = "snapshot " + (o.name.empty() ? std::string("(unnamed)") : quoted(o.name));
    ctx.log(LogLevel::Info, kComponent, "creating " + what + " of branch " + branch_id);
    Reply reply =
        send(http::Method::Post,
             project_path() + "/branches/" + encode(branch_id) + "/snapshot" + query, {}, ctx);
    auto doc = reply.json();
    SnapshotInfo info = snapshot_from(member(doc.root(), "snapshot"));
    wait_operations(doc.root(), "creating " + what, ctx);
    ctx.log(LogLevel::Info, kComponent,
            "snapshot " + quoted(info.name) + " (" + info.id + ") is ready");
    return info;
  }

  void delete_snapshot(const std::string &name_or_id, const CallOptions &call) override {
    CallContext ctx(call);
    std::string id;
    if (looks_like_id(name_or_id, "snap-")) {
      id = name_or_id;
    } else if (auto found = lookup_snapshot(name_or_id, ctx)) {
      id = found->id;
    } else {
      ctx.log(LogLevel::Info, kComponent,
              "snapshot " + quoted(name_or_id) + " does not exist; nothing to delete");
      return;
    }
    ctx.log(LogLevel::Info, kComponent, "deleting snapshot " + id);
    Reply reply =
        send(http::Method::Delete, project_path() + "/snapshots/" + encode(id), {}, ctx, {404});
    if (reply.response.status == 404) {
      // Gone already, unless the "id" was a name that looks like one.
      if (id == name_or_id) {
        if (auto found = lookup_snapshot(name_or_id, ctx); found && found->id != id)
          return delete_snapshot(found->id, call);
      }
      ctx.log(LogLevel::Info, kComponent, "snapshot " + id + " is already gone");
      return;
    }
    if (reply.response.status == 204) return;
    auto doc = reply.json();
    wait_operations(doc.root(), "deleting snapshot " + id, ctx);
  }

  RestoreResult restore_snapshot(const std::string &name_or_id, const RestoreOptions &o,
                                 const CallOptions &call) override {
    CallContext ctx(call);
    std::string snap_id;
    if (looks_like_id(name_or_id, "snap-")) {
      snap_id = name_or_id;
    } else {
      auto found = lookup_snapshot(name_or_id, ctx);
      if (!found) throw Error(ErrorCode::NotFound, "no snapshot named " + quoted(name_or_id));
      snap_id = found->id;
    }
    // Without a target the server restores into the snapshot's source
    // branch, which needs no look-up here.
    std::string target_id;
    if (!o.target_branch.empty())
      target_id = looks_like_id(o.target_branch, "br-")
                      ? o.target_branch
                      : resolve_branch_by_list(o.target_branch, ctx).id;
    // A chosen name for the replaced branch goes through finalize_restore,
    // whose `name` means exactly that; the restore call's `name` names the
    // new branch.
    bool finalize_now = o.finalize && o.preserve_under_name.empty();
    util::JsonWriter w;
    w.begin_object();
    if (!target_id.empty()) w.field("target_branch_id", target_id);
    w.field("finalize_restore", finalize_now);
    w.end_object();
    ctx.log(LogLevel::Info, kComponent,
            "restoring snapshot " + snap_id +
                (o.target_branch.empty() ? std::string(" into its source branch")
                                         : " into branch " + quoted(o.target_branch)) +
                (o.finalize ? "" : " as a new branch"));
    Reply reply =
        send(http::Method::Post, project_path() + "/snapshots/" + encode(snap_id) + "/restore",
             w.take(), ctx);
    auto doc = reply.json();
    dom::element branch_el = member(doc.root(), "branch");
    RestoreResult result;
    result.branch = branch_from(branch_el);
    std::string replaced_id = str(branch_el, "restored_as");
    if (replaced_id.empty()) replaced_id = target_id;
    wait_operations(doc.root(), "restoring snapshot " + snap_id, ctx);
    result.branch.state = "ready";

    if (!o.finalize) {
      result.notes.push_back("the snapshot's data is on the new branch " +
                             quoted(result.branch.name) + " (" + result.branch.id +
                             "); finalize the restore to make it replace the target");
      return result;
    }
    if (!finalize_now) {
      util::JsonWriter f;
      f.begin_object().field("name", o.preserve_under_name).end_object();
      Reply fin =
          send(http::Method::Post,
               project_path() + "/branches/" + encode(result.branch.id) + "/finalize_restore",
               f.take(), ctx);
      auto fdoc = fin.json();
      wait_operations(fdoc.root(), "finalizing the restore of snapshot " + snap_id, ctx);
      // The branch took the target's name and flags: read it back.
      if (auto b = get_branch(result.branch.id, ctx)) result.branch = *b;
      result.replaced_by = o.preserve_under_name;
    } else if (!replaced_id.empty()) {
      // The server picks "<name> (old)" or "<name> (old 2)": ask it.
      if (auto old = get_branch(replaced_id, ctx)) result.replaced_by = old->name;
    }
    if (result.replaced_by.empty()) result.replaced_by = result.branch.name + " (old)";
    // The branch id behind the name changed: keep the default's id right.
    if (result.branch.is_default)
      default_id_ = result.branch.id;
    else if (default_id_ && *default_id_ == replaced_id)
      default_id_.reset();
    result.notes.push_back("branch " + quoted(result.branch.name) +
                           " now holds the snapshot's data (new id " + result.branch.id +
                           ", same connection URL); the previous data is on " +
                           quoted(result.replaced_by));
    return result;
  }

 private:
  static http::ClientOptions client_options(const Settings &s) {
    http::ClientOptions c;
    c.ca_file = s.ca_file;
    c.user_agent = "dbsafe";
    return c;
  }

  static std::string quoted(const std::string &name) { return "\"" + name + "\""; }

  std::string project_path() const { return "/projects/" + encode(s_.project_id); }

  // Waits `d`, checking the cancel token and deadline in slices.
  static void pause(milliseconds d, const CallContext &ctx) {
    auto wake = Clock::now() + d;
    for (;;) {
      ctx.checkpoint();
      auto now = Clock::now();
      if (now >= wake) return;
      std::this_thread::sleep_for(std::min<Clock::duration>(wake - now, kSlice));
    }
  }

  // Sends one API request. 2xx and the statuses in `tolerated` are returned;
  // 423 (the project is locked by running operations) is retried until the
  // operation timeout, on top of the client's own retries, POST included,
  // as Neon says 423 means nothing was applied; anything else throws.
  Reply send(http::Method method, const std::string &path, std::string body, const CallContext &ctx,
             std::initializer_list<int> tolerated = {}) {
    Reply r;
    r.request.method = method;
    r.request.url = s_.base + path;
    r.request.bearer_token = s_.api_key;
    r.request.headers.push_back({"Accept", "application/json"});
    if (!body.empty()) r.request.headers.push_back({"Content-Type", "application/json"});
    r.request.body = std::move(body);
    const auto deadline = Clock::now() + s_.operation_timeout;
    for (;;) {
      try {
        r.response = client_.request(r.request, ctx);
      } catch (const Error &) {
        ++requests_;  // at least the one that failed
        throw;
      }
      requests_ += static_cast<std::uint64_t>(std::max(1, r.response.attempts));
      int status = r.response.status;
      if (status == 423 && Clock::now() + s_.poll_interval < deadline) {
        ctx.log(LogLevel::Info, kComponent,
                std::string(http::method_name(method)) + " " + path +
                    ": the project has running operations (423); trying again");
        pause(s_.poll_interval, ctx);
        continue;
      }
      if (r.response.ok() ||
          std::find(tolerated.begin(), tolerated.end(), status) != tolerated.end())
        return r;
      throw api_error(r);
    }
  }

  // The client's error for the status, plus Neon's request id so support
  // can find the request.
  static Error api_error(const Reply &r) {
    Error base = http::status_error(r.request, r.response);
    std::string id;
    simdjson::dom::parser parser;
    dom::element root;
    std::string_view sent_id;
    // Lenient: this already reports an error, whatever else the body holds.
    if (!r.response.body.empty() && parser.parse(r.response.body).get(root) == simdjson::SUCCESS &&
        root["request_id"].get(sent_id) == simdjson::SUCCESS)
      id = std::string(sent_id);
    if (id.empty()) {
      if (auto h = r.response.header("X-Neon-Ret-Request-Id"))
        id = std::string(*h);
      else if (auto h2 = r.response.header("X-Request-Id"))
        id = std::string(*h2);
    }
    std::string message = base.message();
    if (!id.empty()) message += " (Neon request id " + id + ")";
    Error e(base.code(), message);
    e.with_http_status(base.http_status()).with_detail_json(base.detail_json());
    return e;
  }

  std::optional<BranchInfo> get_branch(const std::string &id, const CallContext &ctx) {
    Reply r =
        send(http::Method::Get, project_path() + "/branches/" + encode(id), {}, ctx, {400, 404});
    if (!r.response.ok()) return std::nullopt;
    auto doc = r.json();
    BranchInfo b = branch_from(member(doc.root(), "branch"));
    if (b.is_default) default_id_ = b.id;
    return b;
  }

  // Every branch whose name or id contains `search` (all when empty),
  // following the pagination cursor.
  std::vector<BranchInfo> fetch_branches(const std::string &search, const CallContext &ctx) {
    std::vector<BranchInfo> out;
    std::string cursor;
    for (;;) {
      std::string query = "?limit=" + std::to_string(kBranchPage);
      if (!search.empty()) query += "&search=" + encode(search);
      if (!cursor.empty()) query += "&cursor=" + encode(cursor);
      Reply r = send(http::Method::Get, project_path() + "/branches" + query, {}, ctx);
      auto doc = r.json();
      std::size_t n = 0;
      for (dom::element b : array_member(doc.root(), "branches")) {
        out.push_back(branch_from(b));
        if (out.back().is_default) default_id_ = out.back().id;
        ++n;
      }
      if (n == 0 || n < kBranchPage) break;
      dom::element pagination;
      if (doc.root()["pagination"].get(pagination) != simdjson::SUCCESS) break;
      std::string next = str(pagination, "next");
      if (next.empty() || next == cursor) break;
      cursor = next;
    }
    return out;
  }

  // Exact match on id, then on name, among the server's search results.
  std::optional<BranchInfo> match_by_list(const std::string &name_or_id, const CallContext &ctx) {
    auto all = fetch_branches(name_or_id, ctx);
    for (BranchInfo &b : all)
      if (b.id == name_or_id) return std::move(b);
    for (BranchInfo &b : all)
      if (b.name == name_or_id) return std::move(b);
    return std::nullopt;
  }

  std::optional<BranchInfo> lookup_branch(const std::string &name_or_id, const CallContext &ctx) {
    if (name_or_id.empty()) return std::nullopt;
    if (looks_like_id(name_or_id, "br-"))
      if (auto b = get_branch(name_or_id, ctx)) return b;
    return match_by_list(name_or_id, ctx);
  }

  BranchInfo resolve_branch(const std::string &name_or_id, const CallContext &ctx) {
    auto b = lookup_branch(name_or_id, ctx);
    if (!b) throw Error(ErrorCode::NotFound, "no branch named " + quoted(name_or_id));
    return *b;
  }

  BranchInfo resolve_branch_by_list(const std::string &name_or_id, const CallContext &ctx) {
    auto b = match_by_list(name_or_id, ctx);
    if (!b) throw Error(ErrorCode::NotFound, "no branch named " + quoted(name_or_id));
    return *b;
  }

  std::string default_branch_id(const CallContext &ctx) {
    if (default_id_) return *default_id_;
    for (const BranchInfo &b : fetch_branches({}, ctx))
      if (b.is_default) return b.id;
    throw Error(ErrorCode::NotFound, "project " + s_.project_id + " has no default branch");
  }

  // A branch that already exists under the name asked for: used when it
  // comes from the same parent, after waiting until it is ready.
  BranchInfo adopt(BranchInfo existing, const std::string &parent_id, const CallContext &ctx) {
    std::string expected_parent = parent_id.empty() ? default_id_.value_or("") : parent_id;
    if (!expected_parent.empty() && existing.parent_id != expected_parent)
      throw Error(ErrorCode::State, "a branch named " + quoted(existing.name) + " (" + existing.id +
                                        ") already exists with parent " + existing.parent_id +
                                        ", not " + expected_parent + "; not using it");
    ctx.log(LogLevel::Info, kComponent,
            "branch " + quoted(existing.name) + " already exists (" + existing.id + "); using it");
    const auto deadline = Clock::now() + s_.operation_timeout;
    while (existing.state != "ready") {
      if (Clock::now() >= deadline)
        throw Error(ErrorCode::Timeout, "branch " + quoted(existing.name) +
                                            " was not ready within " +
                                            std::to_string(s_.operation_timeout.count()) + " ms");
      pause(s_.poll_interval, ctx);
      auto b = get_branch(existing.id, ctx);
      if (!b) throw Error(ErrorCode::NotFound, "branch " + existing.id + " disappeared");
      existing = *b;
    }
    return existing;
  }

  std::vector<SnapshotInfo> fetch_snapshots(const CallContext &ctx) {
    Reply r = send(http::Method::Get, project_path() + "/snapshots", {}, ctx);
    auto doc = r.json();
    std::vector<SnapshotInfo> out;
    for (dom::element s : array_member(doc.root(), "snapshots")) out.push_back(snapshot_from(s));
    return out;
  }

  // By id, else the newest of that name (a rotation briefly holds two).
  std::optional<SnapshotInfo> lookup_snapshot(const std::string &name_or_id,
                                              const CallContext &ctx) {
    auto all = fetch_snapshots(ctx);
    std::optional<SnapshotInfo> best;
    for (SnapshotInfo &s : all) {
      if (s.id == name_or_id) return std::move(s);
      if (s.name == name_or_id && (!best || s.created_at > best->created_at)) best = s;
    }
    return best;
  }

  [[noreturn]] static void operation_failed(dom::element op, const std::string &what) {
    std::string error = str(op, "error");
    util::JsonWriter detail;
    detail.begin_object()
        .field("operation_id", str(op, "id"))
        .field("action", str(op, "action"))
        .field("status", str(op, "status"))
        .end_object();
    // Exit code 5: a provider operation failed part-way.
    Error e(ErrorCode::Database, "Neon operation " + str(op, "action") + " (" + str(op, "id") +
                                     ") of " + what + " ended " + str(op, "status") +
                                     (error.empty() ? std::string() : ": " + error));
    e.with_detail_json(detail.take());
    throw e;
  }

  // Waits for the operations a mutation's answer lists. Those it already
  // reports done are not polled; a failed one fails at once.
  void wait_operations(dom::element root, const std::string &what, const CallContext &ctx) {
    std::vector<std::string> pending;
    dom::array ops;
    if (root["operations"].get(ops) == simdjson::SUCCESS) {
      for (dom::element op : ops) {
        OpClass c = classify(op_status(op));
        if (c == OpClass::Failed) operation_failed(op, what);
        if (c == OpClass::Pending) pending.push_back(str(op, "id"));
      }
    }
    if (pending.empty()) return;
    ctx.log(LogLevel::Info, kComponent,
            "waiting for " + std::to_string(pending.size()) + " operation(s) of " + what);
    const auto deadline = Clock::now() + s_.operation_timeout;
    for (;;) {
      if (Clock::now() >= deadline)
        throw Error(ErrorCode::Timeout, what + ": " + std::to_string(pending.size()) +
                                            " operation(s) still running after " +
                                            std::to_string(s_.operation_timeout.count()) +
                                            " ms (first: " + pending.front() + ")");
      pause(s_.poll_interval, ctx);
      std::vector<std::string> still;
      if (pending.size() == 1) {
        if (!operation_pending(pending.front(), what, ctx)) return;
        continue;
      }
      // Several: one list of the newest operations answers for all of them;
      // any not on it is asked for alone.
      std::size_t limit =
          std::min<std::size_t>(1000, std::max<std::size_t>(20, pending.size() * 4));
      Reply r = send(http::Method::Get,
                     project_path() + "/operations?limit=" + std::to_string(limit), {}, ctx);
      auto doc = r.json();
      std::map<std::string, dom::element> seen;
      dom::array list;
      if (doc.root()["operations"].get(list) == simdjson::SUCCESS)
        for (dom::element op : list) seen.emplace(str(op, "id"), op);
      for (const std::string &id : pending) {
        auto it = seen.find(id);
        if (it == seen.end()) {
          if (operation_pending(id, what, ctx)) still.push_back(id);
          continue;
        }
        OpClass c = classify(op_status(it->second));
        if (c == OpClass::Failed) operation_failed(it->second, what);
        if (c == OpClass::Pending) still.push_back(id);
      }
      pending.swap(still);
      if (pending.empty()) return;
    }
  }

  // Whether operation `id` is still running; throws if it failed.
  bool operation_pending(const std::string &id, const std::string &what, const CallContext &ctx) {
    Reply r = send(http::Method::Get, project_path() + "/operations/" + encode(id), {}, ctx);
    auto doc = r.json();
    dom::element op = member(doc.root(), "operation");
    OpClass c = classify(op_status(op));
    if (c == OpClass::Failed) operation_failed(op, what);
    return c == OpClass::Pending;
  }

  Settings s_;
  http::Client client_;
  std::optional<std::string> default_id_;
  std::uint64_t requests_ = 0;
};

}  // namespace

std::unique_ptr<Provider> make_neon_provider(const ProviderOptions &options) {
  Settings s;
  s.api_key = env_or(options.api_key, "NEON_API_KEY");
  if (s.api_key.empty())
    throw Error(ErrorCode::Invalid,
                "the Neon provider needs an API key: set NEON_API_KEY or pass api_key");
  s.project_id = env_or(options.project_id, "NEON_PROJECT_ID");
  if (s.project_id.empty())
    throw Error(ErrorCode::Invalid,
                "the Neon provider needs a project: set NEON_PROJECT_ID or pass project_id");
  s.base = env_or(options.api_host, "NEON_API_HOST");
  if (s.base.empty()) s.base = kDefaultHost;
  while (!s.base.empty() && s.base.back() == '/') s.base.pop_back();
  s.ca_file = options.ca_file;
  s.database = options.database.empty() ? "neondb" : options.database;
  s.role = options.role.empty() ? "neondb_owner" : options.role;
  s.operation_timeout = options.operation_timeout;
  s.poll_interval = std::max(options.poll_interval, milliseconds(1));
  return std::make_unique<NeonProvider>(std::move(s));
}

}  // namespace dbsafe::provider
