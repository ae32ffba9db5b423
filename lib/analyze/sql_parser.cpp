#include "analyze/sql_parser.hpp"

#include <pg_query.h>

#include <algorithm>
#include <cctype>

#include "dbsafe/error.hpp"

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

std::unique_ptr<ParsedSql> ParsedSql::parse(std::string_view sql) {
  auto parsed = std::make_unique<ParsedSql>();
  // One index of line starts per text: positions in O(log n), not O(n) each.
  const LineIndex lines(sql);
  // One parser per thread: its internal buffers are reused across files.
  thread_local simdjson::dom::parser json_parser;

  // Adds the statements of one parse of `piece`, which starts at `base` in `sql`.
  auto add_statements = [&](std::string_view json, std::size_t base, std::size_t piece_len) {
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
        parsed->statements.push_back(st);
      }
    }
    parsed->documents_.push_back(std::move(doc));
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
  PgQuerySplitResult split = pg_query_split_with_scanner(text.c_str());
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
    pg_query_free_split_result(split);
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
  pg_query_free_split_result(split);
  return parsed;
}

}  // namespace dbsafe::analyze
