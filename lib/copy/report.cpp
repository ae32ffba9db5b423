// The copy report as JSON (docs/schema/copy-report.v1.json), terminal text
// and Markdown. The three say the same things; JSON says them completely.
#include <cstdio>
#include <string>

#include "dbsafe/copy.hpp"
#include "util/json_writer.hpp"

namespace dbsafe {
inline namespace v1 {

namespace {

std::string rate_text(double r) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", r);
  return buf;
}

std::string plural(std::uint64_t n, const char *one, const char *many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

bool table_ok(const CopyTableReport &t) {
  if (t.status == "failed" || t.status == "blocked" || t.status == "rolled-back") return false;
  return !t.verified || (t.target_rows == t.source_rows && t.differences_total == 0);
}

std::string verdict(const CopyReport &r) {
  if (r.dry_run)
    return r.failures_total ? "Dry run: " + plural(r.failures_total, "value", "values") +
                                  " would not convert; nothing was changed."
                            : "Dry run: every value converts; nothing was changed.";
  if (!r.ok && r.failures_total)
    return "Copy incomplete: " + plural(r.failures_total, "value", "values") +
           " do not convert (their tables were rolled back).";
  if (!r.ok) return "Copy done, but verification found differences.";
  return r.verify ? "Copy done and verified: every table matches the source."
                  : "Copy done (not verified).";
}

// Markdown table cells: pipes and newlines would break the row.
std::string cell(const std::string &s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string CopyReport::to_json() const {
  util::JsonWriter w;
  w.begin_object()
      .field("schema_version", 1)
      .field("kind", "dbsafe-copy")
      .field("source", source)
      .field("source_identity", source_identity)
      .field("target", target)
      .field("schema", schema)
      .field("copy_id", copy_id)
      .field("dry_run", dry_run)
      .field("single_transaction", single_transaction)
      .field("verify", verify)
      .field("ok", ok)
      .field("rows_copied", rows_copied)
      .field("duration_ms", static_cast<std::int64_t>(duration_ms))
      .key("tables")
      .begin_array();
  for (const auto &t : tables) {
    w.begin_object()
        .field("source", t.source)
        .field("target", t.target)
        .field("status", t.status)
        .field("source_rows", t.source_rows)
        .field("copied_rows", t.copied_rows)
        .field("duration_ms", static_cast<std::int64_t>(t.duration_ms))
        .field("rows_per_second", static_cast<std::uint64_t>(t.rows_per_second))
        .key("conversions")
        .begin_array();
    for (const auto &c : t.conversions) w.value(c);
    w.end_array().key("sequences_reset").begin_array();
    for (const auto &s : t.sequences_reset) w.value(s);
    w.end_array().field("note", t.note).key("verification");
    if (t.verified) {
      w.begin_object()
          .field("target_rows", t.target_rows)
          .field("source_digest", t.source_digest)
          .field("target_digest", t.target_digest)
          .field("equal", t.target_rows == t.source_rows && t.differences_total == 0)
          .field("differences_total", t.differences_total)
          .key("differences")
          .begin_array();
      for (const auto &d : t.differences)
        w.begin_object().field("key", d.key).field("kind", d.kind).end_object();
      w.end_array().end_object();
    } else {
      w.null();
    }
    w.end_object();
  }
  w.end_array().key("skipped").begin_array();
  for (const auto &s : skipped) w.value(s);
  w.end_array().key("cycles").begin_array();
  for (const auto &c : cycles) w.value(c);
  w.end_array().field("failures_total", failures_total).key("failures").begin_array();
  for (const auto &f : failures)
    w.begin_object()
        .field("table", f.table)
        .field("rowid", static_cast<std::int64_t>(f.rowid))
        .field("key", f.key)
        .field("column", f.column)
        .field("value", f.value)
        .field("reason", f.reason)
        .end_object();
  w.end_array().end_object();
  return w.take();
}

std::string CopyReport::to_text() const {
  std::string out = (dry_run ? "Plan: copy " : "Copy ") + source + " into " + target + " (schema " +
                    schema + ")\n";
  for (const auto &c : cycles) out += "  cycle: " + c + "\n";
  for (const auto &s : skipped) out += "  skipped " + s + "\n";
  for (const auto &t : tables) {
    out += "\n" + std::string(table_ok(t) ? "  ok     " : "  FAILED ") + t.source;
    if (t.target != t.source) out += " -> " + t.target;
    out += ": " + t.status + ", " + plural(t.source_rows, "row", "rows");
    if (t.status == "copied")
      out += " in " + std::to_string(t.duration_ms) + " ms (" + rate_text(t.rows_per_second) +
             " rows/s)";
    out += "\n";
    if (dry_run)
      for (const auto &c : t.conversions) out += "           " + c + "\n";
    for (const auto &s : t.sequences_reset) out += "           sequence " + s + "\n";
    if (!t.note.empty()) out += "           " + t.note + "\n";
    if (t.verified) {
      bool equal = t.target_rows == t.source_rows && t.differences_total == 0;
      out += "           verified: " + std::to_string(t.target_rows) + " rows in the target, " +
             (equal ? "digests match" : "DIFFERENT") + " (sha256 " + t.target_digest.substr(0, 16) +
             ")\n";
      for (const auto &d : t.differences)
        out += "           " + d.kind + " row: key " + d.key + "\n";
      if (t.differences_total > t.differences.size())
        out += "           … " + std::to_string(t.differences_total - t.differences.size()) +
               " more\n";
    }
  }
  if (!failures.empty()) {
    out += "\nValues that do not convert:\n";
    for (const auto &f : failures)
      out += "  " + f.table + " rowid " + std::to_string(f.rowid) + " (key " + f.key + ") column " +
             f.column + " = " + f.value + ": " + f.reason + "\n";
    if (failures_total > failures.size())
      out += "  … " + std::to_string(failures_total - failures.size()) + " more\n";
  }
  out += "\n" + verdict(*this) + " " + plural(rows_copied, "row", "rows") + " copied in " +
         std::to_string(duration_ms) + " ms.\n";
  return out;
}

std::string CopyReport::to_markdown() const {
  std::string out = std::string("## dbsafe copy") + (dry_run ? " (dry run)" : "") + "\n\n" +
                    verdict(*this) + "\n\nFrom `" + source + "` into `" + target + "` (schema `" +
                    schema + "`).\n\n";
  out += "| source | target | status | rows | copied | rows/s | verified |\n";
  out += "|---|---|---|---:|---:|---:|---|\n";
  for (const auto &t : tables) {
    std::string v = !t.verified ? "—"
                    : (t.target_rows == t.source_rows && t.differences_total == 0)
                        ? "equal"
                        : std::to_string(t.differences_total) + " differences";
    out += "| " + cell(t.source) + " | " + cell(t.target) + " | " + t.status + " | " +
           std::to_string(t.source_rows) + " | " + std::to_string(t.copied_rows) + " | " +
           rate_text(t.rows_per_second) + " | " + v + " |\n";
  }
  for (const auto &c : cycles) out += "\nCycle: " + cell(c) + "\n";
  bool any_diff = false;
  for (const auto &t : tables)
    for (const auto &d : t.differences) {
      if (!any_diff) out += "\n### Differences\n\n| table | key | kind |\n|---|---|---|\n";
      any_diff = true;
      out += "| " + cell(t.target) + " | `" + cell(d.key) + "` | " + d.kind + " |\n";
    }
  if (!failures.empty()) {
    out +=
        "\n### Values that do not convert\n\n| table | rowid | column | value | why |\n"
        "|---|---:|---|---|---|\n";
    for (const auto &f : failures)
      out += "| " + cell(f.table) + " | " + std::to_string(f.rowid) + " | " + cell(f.column) +
             " | `" + cell(f.value) + "` | " + cell(f.reason) + " |\n";
    if (failures_total > failures.size())
      out += "\n… and " + std::to_string(failures_total - failures.size()) + " more.\n";
  }
  return out;
}

}  // namespace v1
}  // namespace dbsafe
