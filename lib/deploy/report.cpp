// The deploy report: JSON (docs/schema/deploy-report.v1.json), terminal
// text and Markdown (a GitHub step summary).
#include <algorithm>
#include <cstdio>

#include "dbsafe/deploy.hpp"
#include "provider/json.hpp"
#include "report/render.hpp"
#include "util/json_writer.hpp"

namespace dbsafe {
inline namespace v1 {

namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

bool step_ran(const DeployReport &r, const char *name) {
  for (const auto &s : r.steps)
    if (s.name == name && s.status != "skipped") return true;
  return false;
}

std::string md_cell(const std::string &text) {
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

const char *outcome_words(const DeployReport &r) {
  if (r.outcome == "deployed") return "deployed";
  if (r.outcome == "up-to-date") return "up to date";
  if (r.outcome == "dry-run") return "dry run";
  if (r.outcome == "skipped") return "skipped";
  if (r.outcome == "stopped") return "stopped: needs approval";
  if (r.outcome == "blocked") return "blocked by policy";
  if (r.outcome == "restored")
    return r.operation == "restore" ? "restored" : "FAILED, restored from the snapshot";
  if (r.outcome == "cancelled") return "cancelled";
  return "FAILED";
}

}  // namespace

std::string DeployReport::to_json() const {
  util::JsonWriter w;
  w.begin_object().field("schema_version", 1).field("id", id).field("operation", operation);
  w.field("target", target);
  w.field("dry_run", dry_run).field("outcome", outcome).field("exit_code", exit_code);
  w.field("message", message);
  w.field("started_at", started_at).field("finished_at", finished_at);
  w.field("git_sha", git_sha).field("actor", actor).field("database", database);
  w.field("server_version_num", server_version_num);
  w.key("vercel_env");
  if (vercel_env.empty())
    w.null();
  else
    w.value(vercel_env);
  w.key("branch");
  if (branch) {
    w.begin_object().field("id", branch->id).field("name", branch->name);
    w.key("expires_at");
    if (branch->expires_at)
      w.value(*branch->expires_at);
    else
      w.null();
    w.field("created", branch_created).end_object();
  } else {
    w.null();
  }
  w.key("steps").begin_array();
  for (const auto &s : steps) {
    w.begin_object().field("name", s.name).field("status", s.status);
    w.key("duration_ms").raw(number(s.duration_ms));
    w.field("detail", s.detail).end_object();
  }
  w.end_array();
  w.key("pending").begin_array();
  for (const auto &p : pending) w.value(p);
  w.end_array();
  w.key("applied").begin_array();
  for (const auto &a : applied) w.value(a);
  w.end_array();
  w.key("gate").begin_object();
  w.field("decision", gate).field("highest_level", level_name(highest_level));
  w.field("approvals_required", approvals_required);
  w.key("approved_by").begin_array();
  for (const auto &a : approved_by) w.value(a);
  w.end_array();
  w.key("approve_hint");
  if (approve_hint.empty())
    w.null();
  else
    w.value(approve_hint);
  w.end_object();
  w.key("check");
  if (step_ran(*this, "check"))
    w.raw(check.to_json());
  else
    w.null();
  w.key("snapshot");
  if (snapshot)
    provider::write_snapshot(w, *snapshot);
  else
    w.null();
  w.key("restore_command");
  if (restore_command.empty())
    w.null();
  else
    w.value(restore_command);
  w.field("restored", restored);
  w.key("restore");
  if (operation == "restore") {
    w.begin_object().field("from", restored_from).key("safety_snapshot");
    if (safety_snapshot)
      provider::write_snapshot(w, *safety_snapshot);
    else
      w.null();
    w.field("audit_rows_written_back", static_cast<std::uint64_t>(audit_rows_written_back));
    w.end_object();
  } else {
    w.null();
  }
  w.key("verify").begin_object();
  w.field("ran", step_ran(*this, "verify"));
  w.field("drift_changes", static_cast<std::uint64_t>(drift_changes));
  w.key("problems").begin_array();
  for (const auto &p : verify_problems) w.value(p);
  w.end_array().end_object();
  w.key("warnings").begin_array();
  for (const auto &x : warnings) w.value(x);
  w.end_array();
  w.key("audit").begin_object();
  w.key("file");
  if (audit_file.empty())
    w.null();
  else
    w.value(audit_file);
  w.field("row_written", audit_row_written).field("line_written", audit_line_written);
  w.end_object();
  w.field("notified", notified);
  return w.end_object().take();
}

std::string DeployReport::to_text() const {
  std::string out = "dbsafe " + operation + " " + target + (dry_run ? " (dry run)" : "") + ": " +
                    outcome_words(*this) + "\n";
  int width = 9;
  for (const auto &s : steps) width = std::max(width, static_cast<int>(s.name.size()));
  for (const auto &s : steps) {
    char head[96];
    std::snprintf(head, sizeof head, "  %-8s %-*s %7.0f ms  ", s.status.c_str(), width,
                  s.name.c_str(), s.duration_ms);
    out += head + s.detail + "\n";
  }
  std::size_t shown = 0;
  for (const auto &f : check.findings) {
    if (f.level < Level::Warning) continue;
    if (shown++ == 0) out += "Findings:\n";
    out += "  " + f.file + ":" + std::to_string(f.line) + ":" + std::to_string(f.column) + ": " +
           level_name(f.level) + "[" + f.rule + "] " + f.message + "\n";
    // The live facts behind the level: what a person approving it weighs.
    if (f.impact)
      if (auto impact = report::describe_impact(*f.impact); !impact.empty())
        out += "      impact: " + impact + "\n";
    if (!f.fix.empty() && f.level >= Level::Error) out += "      safer: " + f.fix + "\n";
  }
  for (const auto &p : verify_problems) out += "  verify: " + p + "\n";
  if (safety_snapshot)
    out += "The data it replaced is kept as " + safety_snapshot->name + " (" + safety_snapshot->id +
           ")\n";
  for (const auto &w : warnings) out += "warning: " + w + "\n";
  if (!message.empty()) out += message + "\n";
  if (!approve_hint.empty()) out += "To approve: " + approve_hint + "\n";
  if (!restore_command.empty() && !restored) out += "To restore: " + restore_command + "\n";
  return out;
}

std::string DeployReport::to_markdown() const {
  std::string out = "### dbsafe " + operation + " `" + target + "`" +
                    (dry_run ? " (dry run)" : "") + ": " + outcome_words(*this) + "\n\n";
  if (!message.empty()) out += md_cell(message) + "\n\n";
  out += "| | |\n|---|---|\n";
  out += "| commit | `" + (git_sha.empty() ? std::string("unknown") : git_sha) + "` |\n";
  out += "| actor | " + md_cell(actor) + " |\n";
  out += "| started | " + started_at + " |\n";
  out += "| database | `" + md_cell(database) + "` |\n";
  if (snapshot) out += "| snapshot | `" + snapshot->name + "` (" + snapshot->id + ") |\n";
  if (branch)
    out += "| branch | `" + branch->name + "` (" + branch->id +
           (branch_created ? ", created" : "") + ") |\n";
  if (!restored_from.empty()) out += "| restored from | " + md_cell(restored_from) + " |\n";
  if (safety_snapshot)
    out += "| the data it replaced | `" + safety_snapshot->name + "` (" + safety_snapshot->id +
           ") |\n";
  out += "\n| step | status | ms | detail |\n|---|---|---:|---|\n";
  for (const auto &s : steps)
    out += "| " + s.name + " | " + s.status + " | " +
           std::to_string(static_cast<long>(s.duration_ms)) + " | " + md_cell(s.detail) + " |\n";
  if (!applied.empty()) {
    out += "\nApplied:\n\n";
    for (const auto &a : applied) out += "- `" + a + "`\n";
  }
  bool any = false;
  for (const auto &f : check.findings) {
    if (f.level < Level::Warning) continue;
    if (!any) out += "\nFindings:\n\n";
    any = true;
    out += "- **" + std::string(level_name(f.level)) + "** `" + f.rule + "` " + md_cell(f.file) +
           ":" + std::to_string(f.line) + ": " + md_cell(f.message);
    if (f.impact)
      if (auto impact = report::describe_impact(*f.impact); !impact.empty())
        out += " (impact: " + md_cell(impact) + ")";
    out += "\n";
  }
  for (const auto &w : warnings) out += "\n> warning: " + md_cell(w) + "\n";
  if (!approve_hint.empty()) out += "\nTo approve:\n\n```\n" + approve_hint + "\n```\n";
  if (!restore_command.empty() && !restored)
    out += "\nTo restore:\n\n```\n" + restore_command + "\n```\n";
  return out;
}

}  // namespace v1
}  // namespace dbsafe
