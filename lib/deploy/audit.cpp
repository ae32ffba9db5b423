// The deploy's audit trail (a row in dbsafe.audit and a line in a local
// JSON-lines file, so a restore that rewinds the database never erases the
// record) and its Slack-compatible notification.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <simdjson.h>

#include <fstream>

#include "deploy/deploy_internal.hpp"
#include "http/client.hpp"
#include "http/url.hpp"
#include "pg/connection.hpp"
#include "util/failpoint.hpp"
#include "util/json_writer.hpp"

namespace dbsafe {
inline namespace v1 {
namespace deploy_detail {

namespace {

namespace fs = std::filesystem;
std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

std::string findings_json(const DeployReport &r) {
  util::JsonWriter w;
  w.begin_object();
  w.field("errors", static_cast<std::uint64_t>(r.check.summary.errors));
  w.field("warnings", static_cast<std::uint64_t>(r.check.summary.warnings));
  w.field("infos", static_cast<std::uint64_t>(r.check.summary.infos));
  w.field("highest", level_name(r.highest_level));
  w.key("by_rule").begin_object();
  for (const auto &[rule, n] : r.check.summary.by_rule)
    w.field(rule, static_cast<std::uint64_t>(n));
  w.end_object();
  return w.end_object().take();
}

std::string durations_json(const DeployReport &r) {
  util::JsonWriter w;
  w.begin_object();
  for (const auto &s : r.steps) {
    w.key(s.name);
    w.raw(number(s.duration_ms));
  }
  return w.end_object().take();
}

std::string applied_json(const DeployReport &r) {
  util::JsonWriter w;
  w.begin_array();
  for (const auto &a : r.applied) w.value(a);
  return w.end_array().take();
}

// Creates dbsafe.audit when missing and adds the columns later versions
// introduced, so an old table (or one a restore brought back) takes rows.
void ensure_audit_table(pg::Connection &conn) {
  auto have = conn.exec(
      "SELECT to_regclass('dbsafe.audit') IS NOT NULL, EXISTS (SELECT FROM pg_attribute WHERE "
      "attrelid = to_regclass('dbsafe.audit') AND attname = 'operation' AND NOT attisdropped)");
  if (have.text(0, 0) == "t" && have.text(0, 1) == "t") return;
  // Serialised, so two first deploys do not race on CREATE SCHEMA; CREATE
  // SCHEMA needs the CREATE privilege on the database, so only when missing.
  conn.simple(
      "BEGIN; SELECT pg_advisory_xact_lock(hashtext('dbsafe.audit'));"
      "CREATE SCHEMA IF NOT EXISTS dbsafe;"
      "CREATE TABLE IF NOT EXISTS dbsafe.audit ("
      " id text PRIMARY KEY,"
      " started_at timestamptz NOT NULL,"
      " finished_at timestamptz NOT NULL,"
      " target text NOT NULL,"
      " git_sha text,"
      " actor text,"
      " migrations_applied jsonb NOT NULL,"
      " findings jsonb NOT NULL,"
      " snapshot_id text,"
      " outcome text NOT NULL,"
      " step_durations jsonb NOT NULL,"
      " report jsonb NOT NULL);"
      "ALTER TABLE dbsafe.audit ADD COLUMN IF NOT EXISTS operation text NOT NULL DEFAULT "
      "'deploy';"
      "COMMIT;");
}

const char *const kInsertAudit =
    "INSERT INTO dbsafe.audit (id, operation, started_at, finished_at, target, git_sha, actor, "
    "migrations_applied, findings, snapshot_id, outcome, step_durations, report) VALUES "
    "($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10, $11, $12::jsonb, $13::jsonb) "
    "ON CONFLICT (id) DO NOTHING";

void write_row(const DeployReport &r, const std::string &apply_url, const std::string &report) {
  CallContext ctx;  // never cancelled: the record is written whatever stopped the deploy
  auto conn = pg::Connection::open(pg::parse_target(apply_url).conninfo, ctx);
  util::failpoint("deploy.audit_row");
  ensure_audit_table(conn);
  conn.exec(kInsertAudit, {r.id, r.operation, r.started_at, r.finished_at, r.target,
                           r.git_sha.empty() ? std::nullopt : std::optional<std::string>(r.git_sha),
                           r.actor, applied_json(r), findings_json(r),
                           r.snapshot ? std::optional<std::string>(r.snapshot->id) : std::nullopt,
                           r.outcome, durations_json(r), report});
}

void append_line(const std::string &file, const std::string &line) {
  fs::path p(file);
  std::error_code ec;
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) throw Error(ErrorCode::Io, file + ": cannot open: " + std::strerror(errno));
  // One write of the whole line: appends of concurrent deploys never interleave.
  ssize_t n = ::write(fd, line.data(), line.size());
  int saved = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(line.size()))
    throw Error(ErrorCode::Io, file + ": cannot append: " + std::strerror(n < 0 ? saved : EIO));
}

}  // namespace

void audit(DeployReport &r, const DeployTarget &t, const std::string &apply_url) {
  auto start = Clock::now();
  DeployStep s{"audit", "ok", 0, ""};
  std::string report = r.to_json();
  std::string row_error;
  if (apply_url.empty()) {
    row_error = "no connection to the database was made";
  } else {
    try {
      write_row(r, apply_url, report);
      r.audit_row_written = true;
    } catch (const Error &e) {
      row_error = e.message();
    } catch (const std::exception &e) {
      row_error = std::string("internal error: ") + e.what();
    }
  }
  if (!t.audit_file.empty()) {
    util::JsonWriter w;
    w.begin_object().field("schema_version", 1).field("id", r.id).field("operation", r.operation);
    w.field("started_at", r.started_at).field("finished_at", r.finished_at);
    w.field("target", r.target).field("git_sha", r.git_sha).field("actor", r.actor);
    w.key("migrations_applied").raw(applied_json(r));
    w.key("findings").raw(findings_json(r));
    w.key("snapshot_id");
    if (r.snapshot)
      w.value(r.snapshot->id);
    else
      w.null();
    w.field("outcome", r.outcome).field("exit_code", r.exit_code);
    w.key("step_durations").raw(durations_json(r));
    w.field("row_written", r.audit_row_written);
    w.key("row_error");
    if (row_error.empty())
      w.null();
    else
      w.value(row_error);
    w.key("report").raw(report);
    std::string line = w.end_object().take() + "\n";
    try {
      append_line(t.audit_file, line);
      r.audit_line_written = true;
    } catch (const Error &e) {
      r.warnings.push_back("the audit line could not be written: " + e.message());
    }
  }
  if (!row_error.empty())
    r.warnings.push_back("the audit row could not be written to dbsafe.audit: " + row_error +
                         (r.audit_line_written ? "; the audit file has the record" : ""));
  if (!r.audit_row_written && !r.audit_line_written) s.status = "failed";
  s.detail = std::string(r.audit_row_written ? "row written to dbsafe.audit"
                                             : "no row in dbsafe.audit (" + row_error + ")") +
             (t.audit_file.empty()   ? std::string("; no audit file configured")
              : r.audit_line_written ? "; line appended to " + t.audit_file
                                     : "; the line could not be appended to " + t.audit_file);
  s.duration_ms = ms_since(start);
  r.steps.push_back(s);
}

std::size_t write_back_audit_rows(const DeployTarget &t, const std::string &apply_url,
                                  std::vector<std::string> &warnings) {
  if (t.audit_file.empty()) return 0;
  std::ifstream in(t.audit_file);
  if (!in) return 0;  // no file yet: nothing was recorded to write back
  CallContext ctx;
  auto conn = pg::Connection::open(pg::parse_target(apply_url).conninfo, ctx);
  ensure_audit_table(conn);
  simdjson::dom::parser parser;
  std::size_t written = 0, unreadable = 0, line_no = 0;
  std::string line;
  const std::string insert_returning = std::string(kInsertAudit) + " RETURNING 1";
  auto raw = [](simdjson::dom::element e) { return simdjson::minify(e); };
  auto opt_text = [](simdjson::dom::element e) -> std::optional<std::string> {
    std::string_view v;
    if (e.get_string().get(v)) return std::nullopt;
    return std::string(v);
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    simdjson::dom::element doc;
    if (parser.parse(line).get(doc)) {
      ++unreadable;
      continue;
    }
    std::string_view target, id, started, finished, outcome;
    if (doc["target"].get_string().get(target) || target != t.name ||
        doc["id"].get_string().get(id) || doc["started_at"].get_string().get(started) ||
        doc["finished_at"].get_string().get(finished) || doc["outcome"].get_string().get(outcome)) {
      if (target == t.name) ++unreadable;
      continue;
    }
    std::string_view operation;
    if (doc["operation"].get_string().get(operation)) operation = "deploy";  // lines before 0.2
    simdjson::dom::element applied, findings, durations, report;
    if (doc["migrations_applied"].get(applied) || doc["findings"].get(findings) ||
        doc["step_durations"].get(durations) || doc["report"].get(report)) {
      ++unreadable;
      continue;
    }
    auto res =
        conn.exec(insert_returning, {std::string(id), std::string(operation), std::string(started),
                                     std::string(finished), std::string(target),
                                     opt_text(doc["git_sha"]), opt_text(doc["actor"]), raw(applied),
                                     raw(findings), opt_text(doc["snapshot_id"]),
                                     std::string(outcome), raw(durations), raw(report)});
    written += static_cast<std::size_t>(res.rows());
  }
  if (unreadable)
    warnings.push_back(std::to_string(unreadable) + " line" + (unreadable == 1 ? "" : "s") +
                       " of " + t.audit_file + " for target " + t.name +
                       " could not be read and were not written back to dbsafe.audit");
  return written;
}

void notify(DeployReport &r, const DeployTarget &t) {
  std::string url;
  if (const char *v = std::getenv("DBSAFE_SLACK_WEBHOOK_URL"); v && *v)
    url = v;
  else
    url = t.notify_webhook;
  if (url.empty()) {
    r.steps.push_back({"notify", "skipped", 0, "no webhook configured"});
    return;
  }
  auto start = Clock::now();
  DeployStep s{"notify", "ok", 0, ""};
  // The path of an incoming webhook is its secret: only scheme and host are
  // ever shown.
  std::string shown = "the webhook";
  std::string secret_path;
  try {
    auto u = http::parse_url(url);
    shown = u.scheme + "://" + u.authority() + "/…";
    secret_path = u.target;
  } catch (const Error &) {
  }
  auto scrub = [&](std::string text) {
    if (secret_path.size() > 1)
      for (auto pos = text.find(secret_path); pos != std::string::npos;
           pos = text.find(secret_path, pos))
        text.replace(pos, secret_path.size(), "/…");
    return text;
  };
  std::string text = "dbsafe " + r.operation + " " + r.target + ": " + r.outcome + ". " + r.message;
  if (!r.applied.empty()) {
    text += "\nApplied:";
    for (const auto &a : r.applied) text += " " + a;
  }
  if (r.check.summary.errors + r.check.summary.warnings > 0)
    text += "\nFindings: " + std::to_string(r.check.summary.errors) + " errors, " +
            std::to_string(r.check.summary.warnings) + " warnings";
  if (r.snapshot) text += "\nSnapshot: " + r.snapshot->name + " (" + r.snapshot->id + ")";
  if (!r.restored_from.empty()) text += "\nRestored from: " + r.restored_from;
  if (r.safety_snapshot)
    text +=
        "\nThe data it replaced: " + r.safety_snapshot->name + " (" + r.safety_snapshot->id + ")";
  if (!r.restore_command.empty()) text += "\nRestore: " + r.restore_command;
  text += "\nCommit " + (r.git_sha.empty() ? std::string("unknown") : r.git_sha) + " by " + r.actor;
  util::JsonWriter body;
  body.begin_object().field("text", text).end_object();
  try {
    util::failpoint("deploy.notify");
    http::ClientOptions co;
    co.connect_timeout = std::chrono::milliseconds(5000);
    co.read_timeout = std::chrono::milliseconds(10000);
    co.total_timeout = std::chrono::milliseconds(20000);
    co.max_retries = 2;
    http::Client client(co);
    http::Request req;
    req.method = http::Method::Post;
    req.url = url;
    req.headers.push_back({"Content-Type", "application/json"});
    req.body = body.str();
    auto resp = client.request(req, CallContext{});
    if (!resp.ok()) {
      s.status = "failed";
      s.detail = "the webhook " + shown + " answered HTTP " + std::to_string(resp.status);
    } else {
      r.notified = true;
      s.detail = "posted to " + shown;
    }
  } catch (const Error &e) {
    s.status = "failed";
    s.detail = "could not post to " + shown + ": " + scrub(e.message());
  } catch (const std::exception &e) {
    s.status = "failed";
    s.detail = std::string("could not post to ") + shown + ": internal error: " + e.what();
  }
  if (s.status == "failed") r.warnings.push_back("notification failed: " + s.detail);
  s.duration_ms = ms_since(start);
  r.steps.push_back(s);
}

}  // namespace deploy_detail
}  // namespace v1
}  // namespace dbsafe
