#include "analyze/sql_parser.hpp"

#include <pg_query.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <exception>

#include "dbsafe/error.hpp"
#include "util/two_threads.hpp"

namespace dbsafe::analyze {

LineColumn line_column(std::string_view text, std::size_t offset) {
  std::uint32_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return {line, static_cast<std::uint32_t>(offset - line_start + 1)};
}

LineIndex::LineIndex(std::string_view text) {
  line_starts_.push_back(0);
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') line_starts_.push_back(i + 1);
}

LineColumn LineIndex::at(std::size_t offset) const {
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  auto line = static_cast<std::size_t>(it - line_starts_.begin());  // 1-based
  return {static_cast<std::uint32_t>(line),
          static_cast<std::uint32_t>(offset - line_starts_[line - 1] + 1)};
}

std::size_t skip_blanks_and_comments(std::string_view text, std::size_t i) {
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      ++i;
    } else if (c == '-' && i + 1 < text.size() && text[i + 1] == '-') {
      auto nl = text.find('\n', i);
      i = nl == std::string_view::npos ? text.size() : nl + 1;
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      // PostgreSQL block comments nest.
      int depth = 1;
      i += 2;
      while (i < text.size() && depth > 0) {
        if (text[i] == '/' && i + 1 < text.size() && text[i + 1] == '*') {
          ++depth;
          i += 2;
        } else if (text[i] == '*' && i + 1 < text.size() && text[i + 1] == '/') {
          --depth;
          i += 2;
        } else {
          ++i;
        }
      }
    } else {
      break;
    }
  }
  return i;
}

namespace {

// libpg_query reports the error position in characters (1-based); turn it
// into a byte offset of `text`.
std::size_t char_position_to_offset(std::string_view text, int cursorpos) {
  if (cursorpos <= 1) return 0;
  int chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (++chars == cursorpos) return i;
    }
  }
  return text.size();
}

std::size_t trim_end(std::string_view text, std::size_t begin, std::size_t end) {
  while (end > begin) {
    char c = text[end - 1];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ';') {
      --end;
    } else {
      break;
    }
  }
  return end;
}

// One libpg_query parse. Owns libpg_query's result, whose JSON text is read
// in place (the simdjson parser copies it into its reused padded buffer), so
// the multi-megabyte text of a large file is not copied twice first.
struct RawResult {
  PgQueryParseResult r{};
  explicit RawResult(const char *sql) : r(pg_query_parse(sql)) {}
  ~RawResult() { pg_query_free_parse_result(r); }
  RawResult(const RawResult &) = delete;
  RawResult &operator=(const RawResult &) = delete;

  bool ok() const { return r.error == nullptr; }
  std::string error() const {
    return r.error->message ? r.error->message : std::string("syntax error");
  }
  int cursorpos() const { return r.error->cursorpos; }
  std::string_view json() const {
    return r.parse_tree ? std::string_view(r.parse_tree) : std::string_view();
  }
};

}  // namespace

// One parser per thread: its internal buffers are reused across files.
static thread_local simdjson::dom::parser json_parser;

void ParsedSql::add_statements(std::string_view sql, const LineIndex &lines, std::string_view json,
                               std::size_t base, std::size_t piece_len) {
  auto doc = std::make_unique<simdjson::dom::document>();
  auto err = json_parser.parse_into_document(*doc, json.data(), json.size(), true).error();
  if (err)
    throw Error(ErrorCode::Internal, std::string("could not read libpg_query's parse tree: ") +
                                         simdjson::error_message(err));
  simdjson::dom::element root = doc->root();
  simdjson::dom::array stmts;
  if (root["stmts"].get_array().get(stmts) == simdjson::SUCCESS) {
    for (simdjson::dom::element raw : stmts) {
      int64_t location = 0, length = 0;
      // Absent fields are zero: libpg_query omits default values.
      if (raw["stmt_location"].get_int64().get(location) != simdjson::SUCCESS) location = 0;
      if (raw["stmt_len"].get_int64().get(length) != simdjson::SUCCESS) length = 0;
      std::size_t begin = base + static_cast<std::size_t>(location);
      std::size_t end =
          length == 0 ? base + piece_len : base + static_cast<std::size_t>(location + length);
      Statement st;
      st.begin = skip_blanks_and_comments(sql, begin);
      st.end = trim_end(sql, st.begin, std::min(end, sql.size()));
      auto lc = lines.at(st.begin);
      st.line = lc.line;
      st.column = lc.column;
      auto ec = lines.at(st.end == st.begin ? st.begin : st.end - 1);
      st.end_line = ec.line;
      st.end_column = ec.column;
      simdjson::dom::object node;
      if (raw["stmt"].get_object().get(node) != simdjson::SUCCESS) continue;
      for (auto field : node) {
        st.type = field.key;
        st.body = field.value;
        break;
      }
      statements.push_back(st);
    }
  }
  documents_.push_back(std::move(doc));
}

std::unique_ptr<ParsedSql> ParsedSql::parse_in_chunks(std::string_view sql,
                                                      const LineIndex &lines) {
  std::string text(sql);
  PgQuerySplitResult split = pg_query_split_with_scanner(text.c_str());
  struct SplitFree {
    PgQuerySplitResult &r;
    ~SplitFree() { pg_query_free_split_result(r); }
  } split_free{split};
  if (split.error || split.n_stmts < 2) return nullptr;
  // Runs begin where a statement of the scanner's split begins (the first
  // at 0, the last running to the end of the text), so each run is a text
  // of whole statements; a statement's position comes out the same as in
  // one parse of the whole text, and positions inside nodes are not used.
  constexpr int kRuns = 8;
  std::vector<std::size_t> starts{0};
  for (int r = 1; r < kRuns; ++r) {
    auto loc = static_cast<std::size_t>(
        split.stmts[static_cast<std::size_t>(r) * static_cast<std::size_t>(split.n_stmts) / kRuns]
            ->stmt_location);
    if (loc > starts.back() && loc < sql.size()) starts.push_back(loc);
  }
  starts.push_back(sql.size());
  const std::size_t runs = starts.size() - 1;
  std::vector<std::unique_ptr<ParsedSql>> parts(runs);
  std::vector<std::exception_ptr> failures(runs);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> unclean{false};
  auto work = [&] {
    for (std::size_t i; !unclean && (i = next.fetch_add(1)) < runs;) {
      try {
        std::string piece(sql.substr(starts[i], starts[i + 1] - starts[i]));
        RawResult one(piece.c_str());
        if (!one.ok()) {
          unclean = true;
          return;
        }
        parts[i] = std::make_unique<ParsedSql>();
        parts[i]->add_statements(sql, lines, one.json(), starts[i], piece.size());
      } catch (...) {
        failures[i] = std::current_exception();
        unclean = true;
      }
    }
  };
  util::run_on_two_threads(true, work);
  for (auto &f : failures)
    if (f) std::rethrow_exception(f);
  if (unclean) return nullptr;
  auto parsed = std::make_unique<ParsedSql>();
  for (auto &p : parts) {
    parsed->statements.insert(parsed->statements.end(), p->statements.begin(), p->statements.end());
    for (auto &d : p->documents_) parsed->documents_.push_back(std::move(d));
  }
  return parsed;
}

std::unique_ptr<ParsedSql> ParsedSql::parse(std::string_view sql) {
  // One index of line starts per text: positions in O(log n), not O(n) each.
  const LineIndex lines(sql);
  // A text this large would otherwise be parsed on one core while the
  // analyzer, which needs all of it, waits.
  constexpr std::size_t kChunkedBytes = 512 * 1024;
  if (sql.size() >= kChunkedBytes)
    if (auto parsed = parse_in_chunks(sql, lines)) return parsed;

  auto parsed = std::make_unique<ParsedSql>();
  auto add_statements = [&](std::string_view json, std::size_t base, std::size_t piece_len) {
    parsed->add_statements(sql, lines, json, base, piece_len);
  };

  std::string text(sql);
  {
    RawResult whole(text.c_str());
    if (whole.ok()) {
      add_statements(whole.json(), 0, sql.size());
      return parsed;
    }
  }

  // Split with the scanner (it tolerates syntax errors) and parse each piece.
  // The guard frees the split also when handling a piece throws (the
  // fuzzer found it leaking there on invalid UTF-8 and nul bytes).
  PgQuerySplitResult split = pg_query_split_with_scanner(text.c_str());
  struct SplitFree {
    PgQuerySplitResult &r;
    ~SplitFree() { pg_query_free_split_result(r); }
  } split_free{split};
  if (split.error) {
    // Even the scanner failed (e.g. an unterminated quote): one error for the file.
    SyntaxError e;
    e.offset = char_position_to_offset(sql, split.error->cursorpos);
    auto lc = lines.at(e.offset);
    e.line = lc.line;
    e.column = lc.column;
    e.stmt_begin = skip_blanks_and_comments(sql, 0);
    e.stmt_end = sql.size();
    e.message = split.error->message ? split.error->message : "syntax error";
    parsed->errors.push_back(e);
    return parsed;
  }
  // The scanner's split leaves out text it cannot place (e.g. a statement
  // starting with a misspelt keyword): every non-blank gap becomes a piece
  // too, so its error is reported instead of silently skipped.
  std::vector<std::pair<std::size_t, std::size_t>> pieces;
  std::size_t covered = 0;
  auto add_gap = [&](std::size_t from, std::size_t to) {
    std::size_t first = skip_blanks_and_comments(sql, from);
    while (first < to &&
           (sql[first] == ';' || std::isspace(static_cast<unsigned char>(sql[first]))))
      first = skip_blanks_and_comments(sql, first + 1);
    if (first < to) pieces.emplace_back(from, to - from);
  };
  for (int i = 0; i < split.n_stmts; ++i) {
    auto loc = static_cast<std::size_t>(split.stmts[i]->stmt_location);
    auto len = static_cast<std::size_t>(split.stmts[i]->stmt_len);
    if (loc >= sql.size()) continue;
    if (len == 0 || loc + len > sql.size()) len = sql.size() - loc;
    if (loc > covered) add_gap(covered, loc);
    pieces.emplace_back(loc, len);
    covered = loc + len;
  }
  if (covered < sql.size()) add_gap(covered, sql.size());
  for (auto [loc, len] : pieces) {
    std::string piece(sql.substr(loc, len));
    RawResult one(piece.c_str());
    if (one.ok()) {
      add_statements(one.json(), loc, len);
      continue;
    }
    SyntaxError e;
    e.offset = loc + char_position_to_offset(piece, one.cursorpos());
    auto lc = lines.at(e.offset);
    e.line = lc.line;
    e.column = lc.column;
    e.stmt_begin = skip_blanks_and_comments(sql, loc);
    e.stmt_end = trim_end(sql, e.stmt_begin, loc + len);
    e.message = one.error();
    parsed->errors.push_back(e);
  }
  return parsed;
}

}  // namespace dbsafe::analyze
