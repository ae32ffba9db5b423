// SQL text to parse trees with PostgreSQL's own parser (libpg_query), with
// the exact byte range, line and column of every statement.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dbsafe::analyze {

using Node = simdjson::dom::element;

struct Statement {
  std::size_t begin = 0;  // byte offset of the first token (comments skipped)
  std::size_t end = 0;    // byte offset one past the last non-blank byte
  std::uint32_t line = 0, column = 0, end_line = 0, end_column = 0;
  std::string_view type;  // parse node type, e.g. "AlterTableStmt"
  Node body;              // the node's fields
};

struct SyntaxError {
  std::size_t offset = 0;  // byte offset the parser points at
  std::uint32_t line = 0, column = 0;
  std::size_t stmt_begin = 0, stmt_end = 0;  // the statement it belongs to
  std::string message;
};

class LineIndex;

// The parse of one SQL text. Owns the JSON documents its nodes point into.
class ParsedSql {
 public:
  std::vector<Statement> statements;
  std::vector<SyntaxError> errors;

  // Parses `sql` (which must outlive the result). On a syntax error the text
  // is split with the scanner and every statement parsed on its own, so the
  // statements around the broken one are still analysed.
  static std::unique_ptr<ParsedSql> parse(std::string_view sql);

 private:
  // Adds the statements of libpg_query's `json` for the piece of `sql` of
  // `piece_len` bytes at `base`.
  void add_statements(std::string_view sql, const LineIndex &lines, std::string_view json,
                      std::size_t base, std::size_t piece_len);
  // A large text parsed as consecutive runs of statements on two threads;
  // nullptr when any run does not parse cleanly (then the whole text is
  // parsed at once, as for any file).
  static std::unique_ptr<ParsedSql> parse_in_chunks(std::string_view sql, const LineIndex &lines);
  std::vector<std::unique_ptr<simdjson::dom::document>> documents_;
};

// Line and 1-based column of `offset` (the column counts bytes).
struct LineColumn {
  std::uint32_t line, column;
};
LineColumn line_column(std::string_view text, std::size_t offset);

// Line starts of one text, for many positions in it.
class LineIndex {
 public:
  explicit LineIndex(std::string_view text);
  LineColumn at(std::size_t offset) const;

 private:
  std::vector<std::size_t> line_starts_;
};

// Offset of the first token at or after `offset`: skips blanks and comments.
std::size_t skip_blanks_and_comments(std::string_view text, std::size_t offset);

}  // namespace dbsafe::analyze
