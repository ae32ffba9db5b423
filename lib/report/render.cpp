#include "report/render.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <map>
#include <vector>

#include "util/json_writer.hpp"
#include "util/utf8.hpp"

namespace dbsafe::report {
namespace {

// Terminal snippets stay short; the whole statement is in the JSON and SARIF.
constexpr std::size_t kMaxSnippetLines = 8;
constexpr std::size_t kMaxSnippetColumns = 160;
// Markdown and JUnit show longer statements, but not a 5,000-line seed file.
constexpr std::size_t kMaxFullStatementLines = 40;
// GitHub rejects comments over 65,536 characters: keep the table and the
// details under that, with room for the closing note.
constexpr std::size_t kMarkdownTableBudget = 40000;
constexpr std::size_t kMarkdownBudget = 60000;

constexpr std::string_view kWaiverSyntax = "-- dbsafe:ignore <rule> reason: <why it is safe>";
constexpr std::string_view kSarifSchema = "https://json.schemastore.org/sarif-2.1.0.json";

const char *sarif_level(Level level) {
  switch (level) {
    case Level::Off:
      return "none";
    case Level::Info:
      return "note";
    case Level::Warning:
      return "warning";
    case Level::Error:
      return "error";
  }
  return "error";
}

const char *github_command(Level level) {
  switch (level) {
    case Level::Error:
      return "error";
    case Level::Warning:
      return "warning";
    case Level::Off:
    case Level::Info:
      return "notice";
  }
  return "notice";
}

const char *runner_word(Runner runner) {
  return runner == Runner::Prisma ? "prisma" : "safe";
}

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

// One decimal below 100 ("1.5", "12.3"), none above, never a trailing ".0".
std::string short_number(double value) {
  char buf[32];
  if (value < 99.95) {
    std::snprintf(buf, sizeof buf, "%.1f", value);
    std::string text = buf;
    if (text.size() > 2 && text.compare(text.size() - 2, 2, ".0") == 0)
      text.resize(text.size() - 2);
    return text;
  }
  std::snprintf(buf, sizeof buf, "%.0f", value);
  return buf;
}

std::string format_count(double n) {
  if (n < 999.5) return std::to_string(static_cast<long long>(std::llround(n)));
  static constexpr const char *kSuffixes[] = {"k", "M", "B", "T"};
  std::size_t unit = 0;
  n /= 1000;
  while (n >= 999.5 && unit + 1 < std::size(kSuffixes)) {
    n /= 1000;
    ++unit;
  }
  return short_number(n) + kSuffixes[unit];
}

// Binary units with PostgreSQL's names, as pg_size_pretty prints them.
std::string format_bytes(double bytes) {
  if (bytes < 1023.5) return plural(static_cast<std::size_t>(std::llround(bytes)), "byte", "bytes");
  static constexpr const char *kUnits[] = {"kB", "MB", "GB", "TB", "PB"};
  std::size_t unit = 0;
  bytes /= 1024;
  while (bytes >= 1023.5 && unit + 1 < std::size(kUnits)) {
    bytes /= 1024;
    ++unit;
  }
  return short_number(bytes) + " " + kUnits[unit];
}

std::string format_seconds(double seconds) {
  char buf[32];
  if (seconds < 0.05) return "<0.1s";
  if (seconds < 9.95) {
    std::snprintf(buf, sizeof buf, "%.1fs", seconds);
  } else if (seconds < 119.5) {
    std::snprintf(buf, sizeof buf, "%.0fs", seconds);
  } else if (seconds < 7200) {
    std::snprintf(buf, sizeof buf, "%.0f min", seconds / 60);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f h", seconds / 3600);
  }
  return buf;
}

// The statement's lines without their line endings (CRLF checkouts included)
// and without trailing blank lines.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  while (!lines.empty() && lines.back().find_first_not_of(" \t\r\f\v") == std::string_view::npos) {
    lines.pop_back();
  }
  return lines;
}

// ASCII classes without the C library's locale.
bool is_ascii_letter(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
bool is_ascii_alnum(unsigned char c) {
  return is_ascii_letter(c) || (c >= '0' && c <= '9');
}

bool is_continuation_byte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

std::size_t code_points(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return !is_continuation_byte(c); }));
}

// At most `limit` code points of `text`, with "…" when something was cut.
std::string clip(std::string_view text, std::size_t limit) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (is_continuation_byte(text[i])) continue;
    if (seen == limit) return std::string(text.substr(0, i)) + "…";
    ++seen;
  }
  return std::string(text);
}

// Migration files are untrusted: a control character (ESC, or a C1 control
// such as CSI) could drive the terminal or the CI log viewer, so each is shown
// as '?'. Tabs stay; line breaks stay when the format escapes them itself.
std::string without_controls(std::string_view text, bool keep_line_breaks) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      bool allowed = c >= 0x20 || c == '\t' || (keep_line_breaks && (c == '\n' || c == '\r'));
      out.push_back(allowed && c != 0x7F ? static_cast<char>(c) : '?');
      ++i;
      continue;
    }
    std::size_t len = util::utf8_sequence_length(text, i);
    bool c1_control = len == 2 && c == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0;
    if (len == 0 || c1_control) {
      out.push_back('?');
      i += len == 0 ? 1 : len;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

std::string terminal_safe(std::string_view text) {
  return without_controls(text, false);
}

// "Dropping a column loses its data." out of a longer explanation.
std::string first_sentence(std::string_view text) {
  text = text.substr(0, text.find_first_of("\r\n"));
  std::size_t end = text.find(". ");
  return std::string(text.substr(0, end == std::string_view::npos ? end : end + 1));
}

std::string location_of(const Finding &finding) {
  std::string text = finding.file;
  if (finding.line > 0) {
    text += ":" + std::to_string(finding.line);
    if (finding.column > 0) text += ":" + std::to_string(finding.column);
  }
  return text;
}

std::size_t findings_at_or_above_fail_level(const CheckSummary &summary) {
  switch (summary.fail_on) {
    case Level::Info:
      return summary.errors + summary.warnings + summary.infos;
    case Level::Warning:
      return summary.errors + summary.warnings;
    case Level::Error:
      return summary.errors;
    case Level::Off:
      return 0;
  }
  return 0;
}

// "2 errors, 1 warning, 0 info in 3 files (12 statements)"
std::string counts_sentence(const CheckSummary &summary) {
  return plural(summary.errors, "error", "errors") + ", " +
         plural(summary.warnings, "warning", "warnings") + ", " + std::to_string(summary.infos) +
         " info in " + plural(summary.files, "file", "files") + " (" +
         plural(summary.statements, "statement", "statements") + ")";
}

std::string context_sentence(const CheckSummary &summary) {
  return "checked for PostgreSQL " + std::to_string(summary.pg_version) + " with the " +
         runner_word(summary.runner) + " runner";
}

std::string no_findings_sentence(const CheckSummary &summary) {
  return "No risky statements in " + plural(summary.files, "file", "files") + " (" +
         plural(summary.statements, "statement", "statements") + ").";
}

// Why the run fails: "The check fails at level warning: 3 findings are at
// warning or above."
std::string failure_reason(const CheckSummary &summary) {
  std::size_t failing = findings_at_or_above_fail_level(summary);
  std::string level = level_name(summary.fail_on);
  std::string text = "The check fails at level " + level + ": " +
                     plural(failing, "finding is", "findings are") + " at " + level;
  if (summary.fail_on != Level::Error) text += " or above";
  return text + ".";
}

// The way out once a person has reviewed a statement and accepts it
// (docs/rules.md, waivers); `waiver` is kWaiverSyntax quoted for the format.
std::string waiver_hint(std::string_view waiver) {
  return "To accept a reviewed statement, put " + std::string(waiver) + " on the line above it.";
}

std::string failure_sentence(const CheckSummary &summary) {
  return failure_reason(summary) + " " + waiver_hint("\"" + std::string(kWaiverSyntax) + "\"");
}

// The first token of a statement line: a quoted identifier, a word, or one
// character; its width in code points sizes the caret underline.
std::string_view first_token(std::string_view line) {
  if (line.empty()) return line;
  if (line[0] == '"') {
    std::size_t close = line.find('"', 1);
    return line.substr(0, close == std::string_view::npos ? line.size() : close + 1);
  }
  auto is_word_byte = [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return u >= 0x80 || is_ascii_alnum(u) || c == '_' || c == '$';
  };
  if (!is_word_byte(line[0])) {
    std::size_t len = util::utf8_sequence_length(line, 0);
    return line.substr(0, len == 0 ? 1 : len);
  }
  std::size_t end = 0;
  while (end < line.size() && is_word_byte(line[end])) ++end;
  return line.substr(0, end);
}

// "^~~~~" under the first token of `line`; leading tabs are repeated so the
// caret lines up wherever the terminal's tab stops are.
std::string caret_under_first_token(std::string_view line) {
  std::size_t indent = line.find_first_not_of(" \t");
  if (indent == std::string_view::npos) indent = line.size();
  std::string caret;
  for (std::size_t i = 0; i < indent; ++i) caret.push_back(line[i] == '\t' ? '\t' : ' ');
  std::size_t width = std::max<std::size_t>(1, code_points(first_token(line.substr(indent))));
  width = std::min(width, kMaxSnippetColumns);
  caret.push_back('^');
  caret.append(width - 1, '~');
  return caret;
}

class Painter {
 public:
  explicit Painter(bool enabled) : enabled_(enabled) {}
  std::string operator()(std::string_view text, const char *sgr) const {
    if (!enabled_) return std::string(text);
    return std::string("\x1b[") + sgr + "m" + std::string(text) + "\x1b[0m";
  }
  static const char *level_sgr(Level level) {
    switch (level) {
      case Level::Error:
        return "1;31";
      case Level::Warning:
        return "1;33";
      case Level::Off:
      case Level::Info:
        return "1;34";
    }
    return "1";
  }

 private:
  bool enabled_;
};

// "  why: first line" with later lines indented under the first.
void append_labelled(std::string &out, std::string_view label, std::string_view text) {
  auto lines = split_lines(text);
  if (lines.empty()) return;
  std::string indent(2 + label.size() + 2, ' ');
  out += "  ";
  out += label;
  out += ": ";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += "\n" + indent;
    out += terminal_safe(lines[i]);
  }
  out += "\n";
}

void append_snippet(std::string &out, const Finding &finding, const Painter &paint) {
  if (finding.line == 0) return;
  auto lines = split_lines(finding.statement);
  if (lines.empty()) return;
  std::size_t shown = std::min(lines.size(), kMaxSnippetLines);
  std::size_t width = std::to_string(finding.line + shown - 1).size();
  std::string empty_gutter = "  " + std::string(width, ' ') + " | ";
  for (std::size_t i = 0; i < shown; ++i) {
    std::string number = std::to_string(finding.line + i);
    out += "  " + std::string(width - number.size(), ' ') + number + " |";
    if (!lines[i].empty()) out += " " + terminal_safe(clip(lines[i], kMaxSnippetColumns));
    out += "\n";
    if (i == 0) {
      out += empty_gutter +
             paint(caret_under_first_token(lines[0]), Painter::level_sgr(finding.level)) + "\n";
    }
  }
  if (lines.size() > shown) {
    out += empty_gutter + "… " + plural(lines.size() - shown, "more line", "more lines") + "\n";
  }
}

// Lines of the statement for the longer formats, cut after
// kMaxFullStatementLines with a SQL comment saying how much was left out.
std::string statement_excerpt(std::string_view statement) {
  auto lines = split_lines(statement);
  std::size_t shown = std::min(lines.size(), kMaxFullStatementLines);
  std::string text;
  for (std::size_t i = 0; i < shown; ++i) {
    text.append(lines[i]);
    text.push_back('\n');
  }
  if (lines.size() > shown) {
    text += "-- … " + plural(lines.size() - shown, "more line", "more lines") + "\n";
  }
  return text;
}

// --- Markdown -------------------------------------------------------------

// Text in a paragraph or a table cell: Markdown's inline syntax, '|' (GitHub
// splits table rows on it) and HTML are escaped, so text from a migration
// can neither add markup nor break the table. Newlines become <br>.
std::string markdown_text(std::string_view raw) {
  std::string text = without_controls(raw, true);
  std::string out;
  out.reserve(text.size() + 8);
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    switch (c) {
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '~':
      case '|':
      case '#':
      case '!':
        out.push_back('\\');
        out.push_back(c);
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '\r':
        break;
      case '\n':
        if (i + 1 < text.size()) out += "<br>";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// A code span for a table cell: a fence longer than any backtick run inside,
// '|' escaped (GitHub applies that escape before it reads code spans).
std::string markdown_code(std::string_view text) {
  std::string body;
  std::size_t run = 0, longest_run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest_run = std::max(longest_run, run);
    if (c == '|') {
      body += "\\|";
    } else if (c == '\n' || c == '\r') {
      body.push_back(' ');
    } else {
      body.push_back(c);
    }
  }
  std::string fence(longest_run + 1, '`');
  bool pad = !body.empty() && (body.front() == '`' || body.back() == '`');
  return fence + (pad ? " " : "") + body + (pad ? " " : "") + fence;
}

std::string html_escape(std::string_view raw) {
  std::string out;
  out.reserve(raw.size() + 8);
  for (char c : without_controls(raw, true)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '\r':
        break;
      case '\n':
        out.push_back(' ');
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// A fenced block that no backtick run inside the statement can close.
std::string sql_block(std::string_view statement) {
  std::string body = statement_excerpt(statement);
  std::size_t run = 0, longest_run = 0;
  for (char c : body) {
    run = c == '`' ? run + 1 : 0;
    longest_run = std::max(longest_run, run);
  }
  std::string fence(std::max<std::size_t>(3, longest_run + 1), '`');
  return fence + "sql\n" + body + fence + "\n";
}

std::string markdown_details(const Finding &finding) {
  std::string out = "<details>\n<summary>";
  out += level_name(finding.level);
  out += " <code>" + html_escape(finding.rule) + "</code> at <code>" +
         html_escape(location_of(finding)) + "</code>: " + html_escape(finding.message);
  out += "</summary>\n\n";
  if (!split_lines(finding.statement).empty()) out += sql_block(finding.statement) + "\n";
  if (!finding.why.empty()) out += "**Why:** " + markdown_text(finding.why) + "\n\n";
  if (!finding.fix.empty()) out += "**Fix:** " + markdown_text(finding.fix) + "\n\n";
  if (finding.impact) {
    std::string impact = describe_impact(*finding.impact);
    if (!impact.empty()) out += "**Impact:** " + markdown_text(impact) + "\n\n";
  }
  out += "</details>\n\n";
  return out;
}

// --- GitHub workflow commands ---------------------------------------------

// The runner's escaping for a command's message (actions/toolkit escapeData).
std::string github_data(std::string_view text) {
  std::string out;
  for (char c : without_controls(text, true)) {
    switch (c) {
      case '%':
        out += "%25";
        break;
      case '\r':
        out += "%0D";
        break;
      case '\n':
        out += "%0A";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// Property values also may not hold the ':' and ',' that delimit them
// (actions/toolkit escapeProperty); github_data's output has neither.
std::string github_property(std::string_view text) {
  std::string out;
  for (char c : github_data(text)) {
    if (c == ':') {
      out += "%3A";
    } else if (c == ',') {
      out += "%2C";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Annotations name files relative to the repository root, with '/'.
std::string repository_path(std::string_view path) {
  std::string out(path);
  std::replace(out.begin(), out.end(), '\\', '/');
  while (out.size() > 2 && out.compare(0, 2, "./") == 0) out.erase(0, 2);
  return out;
}

// --- JUnit ----------------------------------------------------------------

// XML 1.0 text: markup characters escaped (quotes only in attributes, so
// statements stay readable), characters XML 1.0 cannot hold (most C0
// controls, U+FFFE, U+FFFF) dropped, invalid UTF-8 as U+FFFD. In attributes,
// tab and line breaks are written as references because parsers normalise
// them to spaces otherwise.
std::string xml_escape(std::string_view text, bool attribute) {
  std::string out;
  out.reserve(text.size() + 16);
  for (std::size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      std::size_t len = util::utf8_sequence_length(text, i);
      if (len == 0) {
        out += "\xEF\xBF\xBD";
        ++i;
        continue;
      }
      std::string_view seq = text.substr(i, len);
      bool noncharacter = seq == "\xEF\xBF\xBE" || seq == "\xEF\xBF\xBF";
      if (!noncharacter) out.append(seq);
      i += len;
      continue;
    }
    ++i;
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += attribute ? "&quot;" : "\"";
        break;
      case '\'':
        out += attribute ? "&apos;" : "'";
        break;
      case '\r':
        out += "&#13;";
        break;
      case '\n':
        out += attribute ? "&#10;" : "\n";
        break;
      case '\t':
        out += attribute ? "&#9;" : "\t";
        break;
      default:
        if (c >= 0x20) out.push_back(static_cast<char>(c));  // other C0 controls are not XML
    }
  }
  return out;
}

std::string junit_details(const Finding &finding) {
  std::string text = location_of(finding) + "\n" + finding.message + "\n";
  if (!split_lines(finding.statement).empty()) {
    text += "\n" + statement_excerpt(finding.statement);
  }
  std::string notes;
  if (!finding.why.empty()) notes += "why: " + finding.why + "\n";
  if (!finding.fix.empty()) notes += "fix: " + finding.fix + "\n";
  if (finding.impact) {
    std::string impact = describe_impact(*finding.impact);
    if (!impact.empty()) notes += "impact: " + impact + "\n";
  }
  if (!notes.empty()) text += "\n" + notes;
  return text;
}

}  // namespace

std::string describe_impact(const Impact &impact) {
  std::vector<std::string> facts;
  if (impact.empty == true) {
    facts.emplace_back("table is empty");
  } else {
    if (impact.row_estimate >= 0) facts.push_back("rows ≈ " + format_count(impact.row_estimate));
    if (impact.total_bytes >= 0) {
      facts.push_back(format_bytes(static_cast<double>(impact.total_bytes)));
    }
    if (impact.index_count >= 0) {
      facts.push_back(plural(static_cast<std::size_t>(impact.index_count), "index", "indexes"));
    }
    if (impact.idx_scan >= 0) facts.push_back("idx_scan = " + std::to_string(impact.idx_scan));
    if (impact.estimated_lock_seconds >= 0) {
      std::string lock = "estimated lock ≈ " + format_seconds(impact.estimated_lock_seconds);
      if (impact.assumed_bytes_per_second > 0) {
        lock += " at " + format_bytes(impact.assumed_bytes_per_second) + "/s";
      }
      facts.push_back(lock + " (estimate)");
    }
  }
  if (facts.empty()) return {};
  std::string text = impact.table.empty() ? "" : impact.table + ": ";
  for (std::size_t i = 0; i < facts.size(); ++i) {
    if (i > 0) text += ", ";
    text += facts[i];
  }
  return text;
}

std::string path_to_uri(std::string_view path) {
  std::string normalized = repository_path(path);
  std::string prefix;
  if (!normalized.empty() && normalized.front() == '/') {
    prefix = "file://";
  } else if (normalized.size() >= 2 && is_ascii_letter(static_cast<unsigned char>(normalized[0])) &&
             normalized[1] == ':') {
    // A Windows drive path: file:///C:/dir/file.sql (the drive's ':' is literal).
    prefix = "file:///" + normalized.substr(0, 2);
    normalized.erase(0, 2);
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string uri = prefix;
  for (char c : normalized) {
    unsigned char u = static_cast<unsigned char>(c);
    if (is_ascii_alnum(u) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      uri.push_back(c);
    } else {
      uri.push_back('%');
      uri.push_back(kHex[u >> 4]);
      uri.push_back(kHex[u & 0xF]);
    }
  }
  return uri;
}

std::string render_text(const CheckReport &report, const RenderOptions &options) {
  Painter paint(options.color);
  std::string out;
  for (const Finding &finding : report.findings) {
    out += terminal_safe(location_of(finding)) + ": ";
    out += paint(level_name(finding.level), Painter::level_sgr(finding.level));
    out += "[" + paint(terminal_safe(finding.rule), "1") + "] ";
    auto message_lines = split_lines(finding.message);
    for (std::size_t i = 0; i < message_lines.size(); ++i) {
      if (i > 0) out += "\n  ";
      out += terminal_safe(message_lines[i]);
    }
    out += "\n";
    append_snippet(out, finding, paint);
    append_labelled(out, "why", finding.why);
    append_labelled(out, "fix", finding.fix);
    if (finding.impact) append_labelled(out, "impact", describe_impact(*finding.impact));
    out += "\n";
  }
  const CheckSummary &summary = report.summary;
  if (report.findings.empty()) {
    out += no_findings_sentence(summary) + "\n";
  } else {
    out += counts_sentence(summary) + "; " + context_sentence(summary) + "\n";
  }
  if (summary.failed) out += failure_sentence(summary) + "\n";
  return out;
}

std::string render_markdown(const CheckReport &report, const RenderOptions &) {
  const CheckSummary &summary = report.summary;
  std::string out = "### dbsafe check\n\n";
  out += summary.failed ? "**Failed**: " : "**Passed**: ";
  if (report.findings.empty()) {
    out += "no risky statements in " + plural(summary.files, "file", "files") + " (" +
           plural(summary.statements, "statement", "statements") + "); ";
  } else {
    out += counts_sentence(summary) + "; ";
  }
  out += context_sentence(summary) + ".\n\n";
  if (summary.failed) {
    out += markdown_text(failure_reason(summary)) + " " +
           waiver_hint(markdown_code(kWaiverSyntax)) + "\n\n";
  }
  if (report.findings.empty()) return out;

  out += "| Level | Rule | Location | Message |\n| --- | --- | --- | --- |\n";
  std::size_t rows = 0;
  for (const Finding &finding : report.findings) {
    if (out.size() > kMarkdownTableBudget) break;
    out += "| ";
    out += level_name(finding.level);
    out += " | " + markdown_code(finding.rule) + " | " + markdown_code(location_of(finding)) +
           " | " + markdown_text(finding.message) + " |\n";
    ++rows;
  }
  out += "\n";
  if (rows < report.findings.size()) {
    out += "The table stops after " + plural(rows, "finding", "findings") + " of " +
           std::to_string(report.findings.size()) +
           " to fit a GitHub comment; the text, JSON and SARIF formats list all of them.\n\n";
  }

  std::size_t detailed = 0;
  for (const Finding &finding : report.findings) {
    std::string details = markdown_details(finding);
    if (out.size() + details.size() > kMarkdownBudget) break;
    out += details;
    ++detailed;
  }
  if (detailed < report.findings.size()) {
    out += plural(report.findings.size() - detailed, "finding is", "findings are") +
           " not shown in detail to fit a GitHub comment; the text, JSON and SARIF formats "
           "show every one.\n";
  }
  return out;
}

std::string render_sarif(const CheckReport &report, const RenderOptions &options) {
  // One rule entry per rule id that has findings, in id order so the document
  // does not change when findings move; the rule's texts come from its first
  // finding.
  std::map<std::string, const Finding *> first_by_rule;
  for (const Finding &finding : report.findings) first_by_rule.emplace(finding.rule, &finding);
  std::map<std::string, std::size_t> rule_index;
  for (const auto &entry : first_by_rule) rule_index.emplace(entry.first, rule_index.size());

  util::JsonWriter json;
  json.begin_object();
  json.field("$schema", kSarifSchema);
  json.field("version", "2.1.0");
  json.key("runs").begin_array().begin_object();
  json.key("tool").begin_object().key("driver").begin_object();
  json.field("name", "dbsafe");
  if (!options.tool_version.empty()) json.field("version", options.tool_version);
  if (!options.information_uri.empty()) json.field("informationUri", options.information_uri);
  json.key("rules").begin_array();
  for (const auto &[rule, finding] : first_by_rule) {
    json.begin_object();
    json.field("id", rule);
    // The first sentence of "why" is the rule's one-line description.
    std::string short_text = first_sentence(finding->why);
    if (short_text.empty()) short_text = rule;
    json.key("shortDescription").begin_object().field("text", short_text).end_object();
    if (!finding->why.empty()) {
      json.key("fullDescription").begin_object().field("text", finding->why).end_object();
    }
    if (!finding->fix.empty()) {
      json.key("help").begin_object().field("text", finding->fix).end_object();
    }
    json.key("defaultConfiguration").begin_object();
    json.field("level", sarif_level(finding->level));
    json.end_object();
    if (!finding->severity.empty()) {
      // GitHub code scanning filters alerts by these tags.
      json.key("properties").begin_object().key("tags").begin_array();
      for (const auto &tag : finding->severity) json.value(tag);
      json.end_array().end_object();
    }
    json.end_object();
  }
  json.end_array();
  json.end_object().end_object();  // driver, tool

  json.key("results").begin_array();
  for (const Finding &finding : report.findings) {
    json.begin_object();
    json.field("ruleId", finding.rule);
    json.field("ruleIndex", static_cast<std::uint64_t>(rule_index.at(finding.rule)));
    json.field("level", sarif_level(finding.level));
    json.key("message").begin_object().field("text", finding.message).end_object();
    json.key("locations").begin_array().begin_object();
    json.key("physicalLocation").begin_object();
    json.key("artifactLocation").begin_object();
    json.field("uri", path_to_uri(finding.file));
    json.end_object();
    if (finding.line > 0) {  // SARIF lines and columns start at 1
      json.key("region").begin_object();
      json.field("startLine", finding.line);
      if (finding.column > 0) json.field("startColumn", finding.column);
      json.field("endLine", std::max(finding.line, finding.end_line));
      json.end_object();
    }
    json.end_object().end_object().end_array();  // physicalLocation, location, locations
    if (!finding.fingerprint.empty()) {
      json.key("partialFingerprints").begin_object();
      json.field("dbsafe/v1", finding.fingerprint);
      json.end_object();
    }
    json.end_object();
  }
  json.end_array();
  json.end_object().end_array();  // run, runs
  json.end_object();
  std::string out = json.take();
  out.push_back('\n');
  return out;
}

std::string render_github(const CheckReport &report, const RenderOptions &) {
  std::string out;
  for (const Finding &finding : report.findings) {
    std::vector<std::string> properties;
    if (!finding.file.empty()) {
      properties.push_back("file=" + github_property(repository_path(finding.file)));
    }
    if (finding.line > 0) {
      properties.push_back("line=" + std::to_string(finding.line));
      if (finding.column > 0) properties.push_back("col=" + std::to_string(finding.column));
      properties.push_back("endLine=" + std::to_string(std::max(finding.line, finding.end_line)));
    }
    properties.push_back("title=" + github_property("dbsafe " + finding.rule));

    std::string message = finding.message;
    if (!finding.why.empty()) message += "\nwhy: " + finding.why;
    if (!finding.fix.empty()) message += "\nfix: " + finding.fix;
    if (finding.impact) {
      std::string impact = describe_impact(*finding.impact);
      if (!impact.empty()) message += "\nimpact: " + impact;
    }

    out += "::";
    out += github_command(finding.level);
    for (std::size_t i = 0; i < properties.size(); ++i) out += (i == 0 ? " " : ",") + properties[i];
    out += "::" + github_data(message) + "\n";
  }
  // The annotations are shown on the diff; the log keeps a plain summary.
  const CheckSummary &summary = report.summary;
  if (report.findings.empty()) {
    out += no_findings_sentence(summary) + "\n";
  } else {
    out += counts_sentence(summary) + "; " + context_sentence(summary) + "\n";
  }
  if (summary.failed) out += failure_sentence(summary) + "\n";
  return out;
}

std::string render_junit(const CheckReport &report, const RenderOptions &) {
  std::size_t failures = 0;
  for (const Finding &finding : report.findings) {
    if (finding.level >= Level::Warning) ++failures;
  }
  std::size_t tests = std::max<std::size_t>(1, report.findings.size());
  std::string counts = " tests=\"" + std::to_string(tests) + "\" failures=\"" +
                       std::to_string(failures) + "\" errors=\"0\" skipped=\"0\"";

  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"dbsafe\"" + counts + ">\n";
  out += "  <testsuite name=\"dbsafe check\"" + counts + ">\n";
  if (report.findings.empty()) {
    out += "    <testcase classname=\"dbsafe check\" name=\"no risky statements\"/>\n";
  }
  for (const Finding &finding : report.findings) {
    const std::string &classname = finding.migration.empty() ? finding.file : finding.migration;
    std::string name = finding.rule;
    if (finding.line > 0) name += " at line " + std::to_string(finding.line);
    out += "    <testcase classname=\"" + xml_escape(classname, true) + "\" name=\"" +
           xml_escape(name, true) + "\" file=\"" + xml_escape(finding.file, true) + "\">\n";
    std::string details = xml_escape(junit_details(finding), false);
    if (finding.level >= Level::Warning) {
      out += "      <failure type=\"" + xml_escape(finding.rule, true) + "\" message=\"" +
             xml_escape(finding.message, true) + "\">" + details + "</failure>\n";
    } else {
      out += "      <system-out>" + details + "</system-out>\n";
    }
    out += "    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace dbsafe::report
