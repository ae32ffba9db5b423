#include "analyze/analyzer.hpp"

#include <pg_query.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "analyze/rules.hpp"
#include "analyze/tree.hpp"
#include "dbsafe/source.hpp"
#include "source/digest.hpp"

namespace dbsafe::analyze {

using tree::flag;
using tree::integer;
using tree::items;
using tree::str;
using tree::strings;
using tree::unwrap;

bool is_non_transactional(const Statement &s, int pg_version) {
  if (s.type == "IndexStmt") return flag(s.body, "concurrent");
  if (s.type == "DropStmt") return flag(s.body, "concurrent");
  if (s.type == "ReindexStmt") {
    for (Node p : items(s.body, "params"))
      if (str(unwrap(p).second, "defname") == "concurrently") return true;
    return false;
  }
  if (s.type == "VacuumStmt") return flag(s.body, "is_vacuumcmd");
  if (s.type == "CreatedbStmt" || s.type == "DropdbStmt" || s.type == "AlterSystemStmt" ||
      s.type == "CreateTableSpaceStmt" || s.type == "DropTableSpaceStmt")
    return true;
  if (s.type == "AlterEnumStmt") return pg_version < 12 && str(s.body, "oldVal").empty();
  if (s.type == "AlterTableStmt") {
    for (Node c : items(s.body, "cmds")) {
      Node cmd = unwrap(c).second;
      Node def;
      if (str(cmd, "subtype") == "AT_DetachPartition" && tree::get(cmd, "def", def) &&
          flag(unwrap(def).second, "concurrent"))
        return true;
    }
  }
  return false;
}

namespace {

// PostgreSQL's table lock modes, weakest first.
enum class Lock {
  None,
  AccessShare,
  RowShare,
  RowExclusive,
  ShareUpdateExclusive,
  Share,
  ShareRowExclusive,
  Exclusive,
  AccessExclusive
};

const char *lock_name(Lock l) {
  switch (l) {
    case Lock::None:
      return "";
    case Lock::AccessShare:
      return "ACCESS SHARE";
    case Lock::RowShare:
      return "ROW SHARE";
    case Lock::RowExclusive:
      return "ROW EXCLUSIVE";
    case Lock::ShareUpdateExclusive:
      return "SHARE UPDATE EXCLUSIVE";
    case Lock::Share:
      return "SHARE";
    case Lock::ShareRowExclusive:
      return "SHARE ROW EXCLUSIVE";
    case Lock::Exclusive:
      return "EXCLUSIVE";
    case Lock::AccessExclusive:
      return "ACCESS EXCLUSIVE";
  }
  return "";
}

struct Column {
  std::string type;  // base type name without schema ("int4", "varchar", an enum's name)
  std::vector<std::int64_t> typmods;
  bool array = false;
  bool not_null = false;
  bool generated = false;
};

struct Relation {
  char kind = 'r';  // r table, p partitioned table, v view, m matview, i index, S sequence
  int file = -1;    // index of the creating file in the run; -1: existed before the run
  int txn = -1;     // creating transaction
  std::map<std::string, Column> columns;
  std::string table;  // for an index: its table
  std::vector<std::string> index_columns;
  bool unique = false;
  bool constraint_backed = false;
  std::string parent;  // for a partition
  bool has_default_partition = false;
};

struct Constraint {
  char kind = '?';  // p u f c x
  std::string table;
  std::vector<std::string> columns;
  bool validated = true;
  std::string not_null_column;  // a CHECK (col IS NOT NULL)
  std::string ref_table;
  int file = -1;
};

struct Waiver {
  std::uint32_t line = 0;
  bool whole_file = false;
  std::vector<std::string> rules;
  bool has_reason = false;
  bool used = false;
};

// Built-in functions known not to be volatile (PostgreSQL 15 provolatile
// 'i' or 's'); any other function is treated as volatile (clarification 7).
const std::set<std::string, std::less<>> &non_volatile_functions() {
  static const std::set<std::string, std::less<>> names = {"now",
                                                           "statement_timestamp",
                                                           "transaction_timestamp",
                                                           "current_setting",
                                                           "lower",
                                                           "upper",
                                                           "length",
                                                           "concat",
                                                           "concat_ws",
                                                           "replace",
                                                           "substring",
                                                           "substr",
                                                           "trim",
                                                           "btrim",
                                                           "ltrim",
                                                           "rtrim",
                                                           "coalesce",
                                                           "nullif",
                                                           "greatest",
                                                           "least",
                                                           "to_char",
                                                           "to_timestamp",
                                                           "to_date",
                                                           "date_trunc",
                                                           "make_interval",
                                                           "make_date",
                                                           "make_timestamp",
                                                           "make_timestamptz",
                                                           "abs",
                                                           "round",
                                                           "floor",
                                                           "ceil",
                                                           "jsonb_build_object",
                                                           "jsonb_build_array",
                                                           "json_build_object",
                                                           "json_build_array",
                                                           "to_jsonb",
                                                           "to_json",
                                                           "array_length",
                                                           "md5",
                                                           "encode",
                                                           "decode",
                                                           "timezone",
                                                           "date_part",
                                                           "extract",
                                                           "left",
                                                           "right",
                                                           "split_part",
                                                           "regexp_replace",
                                                           "format",
                                                           "current_database",
                                                           "current_schema",
                                                           "current_user",
                                                           "session_user",
                                                           "pg_catalog.now",
                                                           "uuid_nil",
                                                           "array_to_string",
                                                           "string_to_array",
                                                           "char_length",
                                                           "octet_length",
                                                           "row_to_json",
                                                           "jsonb_typeof",
                                                           "int4",
                                                           "int8",
                                                           "text"};
  return names;
}

bool is_serial(std::string_view t) {
  return t == "serial" || t == "serial4" || t == "serial8" || t == "bigserial" ||
         t == "smallserial" || t == "serial2";
}

bool is_builtin_type(std::string_view t) {
  static const std::set<std::string, std::less<>> builtin = {
      "int2",      "int4",     "int8",      "float4",      "float8",    "numeric",  "bool",
      "text",      "varchar",  "bpchar",    "char",        "name",      "bytea",    "date",
      "time",      "timetz",   "timestamp", "timestamptz", "interval",  "uuid",     "json",
      "jsonb",     "inet",     "cidr",      "macaddr",     "macaddr8",  "money",    "bit",
      "varbit",    "xml",      "tsvector",  "tsquery",     "point",     "line",     "lseg",
      "box",       "path",     "polygon",   "circle",      "oid",       "regclass", "serial",
      "serial4",   "serial8",  "bigserial", "smallserial", "serial2",   "citext",   "int4range",
      "int8range", "numrange", "tsrange",   "tstzrange",   "daterange", "vector",   "ltree",
      "hstore",    "geometry", "geography"};
  return builtin.count(t) > 0;
}

}  // namespace

struct Analyzer::State {
  CheckOptions options;
  LevelPolicy policy;
  // The findings of the file being analysed; the caller takes them after
  // each file, and the storage goes back and forth, so it is reused.
  std::vector<Finding> findings;
  std::size_t statement_count = 0;
  int file_index = -1;
  int next_txn = 0;

  // What earlier statements and files created.
  // Looked up for nearly every statement; hashed, as names share long
  // prefixes ("public.") that made an ordered map's comparisons a tenth of
  // a large run. Never iterated for output, so its order does not matter.
  std::unordered_map<std::string, Relation> relations;
  std::map<std::string, Constraint> constraints;  // "table|name"
  // The constraints of one table: the keys "table|…" are one ordered range,
  // so a lookup costs the table's constraints, not the whole run's.
  template <typename Fn>
  void for_constraints_of(const std::string &table, Fn &&fn) const {
    const std::string prefix = table + "|";
    for (auto it = constraints.lower_bound(prefix);
         it != constraints.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
      if (fn(it->first, it->second)) return;  // true: stop
  }
  std::map<std::string, std::vector<std::string>> enums;
  std::map<std::string, bool> domains;  // name -> has CHECK constraints
  // table -> indexes created on it (names may be stale; checked on use)
  std::multimap<std::string, std::string> indexes_by_table;
  std::vector<std::string> search_path{"public"};
  bool session_lock_timeout = false;
  bool session_statement_timeout = false;

  // The file being analysed.
  const FileInput *input = nullptr;
  const Statement *stmt = nullptr;
  // The digest of the last statement a finding was made for (make), keyed
  // by its place: its findings share it without comparing their texts.
  struct StatementDigest {
    int file = -1;
    std::size_t begin = 0, end = 0;
    std::string hex;
  };
  mutable StatementDigest statement_digest;
  std::string fingerprint_key;  // emit()'s scratch
  struct Txn {
    int id = -1;
    bool explicit_block = false;
    std::size_t begin_offset = 0;
    std::uint32_t begin_line = 0, begin_column = 0;
    std::map<std::string, Lock> locks;
    bool lock_timeout = false;
    bool statement_timeout = false;
    bool strong_lock_taken = false;  // AE on a relation visible to others
    bool after_strong_reported = false;
    std::set<std::string> altered;
  };
  std::optional<Txn> txn;
  int stmt_txn = -1;  // the transaction of the current statement
  bool in_txn = false;
  bool lock_timeout_reported = false;
  bool statement_timeout_reported = false;
  std::vector<Waiver> waivers;
  std::set<std::string> dropped_in_file;
  std::set<std::string> analyzed_in_file;                        // tables ANALYZEd in this file
  std::vector<std::pair<std::string, Finding>> analyze_pending;  // type changes awaiting ANALYZE
  std::set<std::string> backfilled;                              // "table|column" set by an UPDATE
  std::set<std::string> not_null_set;  // "table|column" SET NOT NULL in this file
  struct PendingForeignKey {
    std::string table;
    std::vector<std::string> columns;
    Statement at;
  };
  std::vector<PendingForeignKey> fk_pending;  // FKs awaiting an index check
  struct Deferred {
    Finding finding;
    std::string suppress_if_view;    // rename-table: a view with the old name follows
    std::string suppress_if_column;  // rename-column: "table|old" re-added later
  };
  std::vector<Deferred> deferred;
  std::set<std::string> views_created;
  std::set<std::string> constraints_dropped;  // names dropped earlier in this file
  std::set<std::string> columns_added;

  Relation new_relation(char kind) const {
    Relation r;
    r.kind = kind;
    r.file = file_index;
    r.txn = stmt_txn;
    return r;
  }

  // ------------------------------------------------------------------ names
  // "schema.name", built in one allocation: every relation a statement
  // names goes through here.
  static std::string dotted(std::string_view schema, std::string_view name) {
    std::string q;
    q.reserve(schema.size() + 1 + name.size());
    q.append(schema).append(1, '.').append(name);
    return q;
  }
  std::string qualify(std::string_view schema, std::string_view name) const {
    if (!schema.empty()) return dotted(schema, name);
    if (search_path.empty()) return dotted("public", name);
    // The first schema of the path that has it, else the first schema.
    std::string first;
    for (const auto &s : search_path) {
      auto q = dotted(s, name);
      if (relations.count(q) || enums.count(q) || domains.count(q)) return q;
      if (first.empty()) first = std::move(q);
    }
    return first;
  }
  std::string range_var(Node rv) const {
    return qualify(str(rv, "schemaname"), str(rv, "relname"));
  }
  std::string qualified_list(const std::vector<std::string> &parts) const {
    if (parts.empty()) return {};
    if (parts.size() == 1) return qualify("", parts[0]);
    return parts[parts.size() - 2] + "." + parts.back();
  }
  // The type name of a TypeName node without the pg_catalog prefix.
  static Column column_type(Node type_name) {
    Column c;
    auto names = strings(type_name, "names");
    if (!names.empty()) {
      c.type = names.back();
      if (names.size() == 2 && names[0] != "pg_catalog") c.type = names[0] + "." + names[1];
    }
    for (Node m : items(type_name, "typmods")) {
      auto [t, body] = unwrap(m);
      Node ival;
      if (t == "A_Const" && tree::get(body, "ival", ival))
        c.typmods.push_back(integer(ival, "ival"));
    }
    c.array = !items(type_name, "arrayBounds").empty();
    return c;
  }
  std::string qualified_type(const std::string &t) const {
    if (t.find('.') != std::string::npos) return t;
    return qualify("", t);
  }

  // -------------------------------------------------------------- visibility
  const Relation *find(const std::string &name) const {
    auto it = relations.find(name);
    return it == relations.end() ? nullptr : &it->second;
  }
  bool is_pre(const std::string &name) const {
    auto *r = find(name);
    return r == nullptr || r->file != file_index;
  }
  bool is_new_txn(const std::string &name) const {
    auto *r = find(name);
    return r != nullptr && r->file == file_index && r->txn == stmt_txn && in_txn;
  }
  bool is_new_file(const std::string &name) const { return !is_pre(name) && !is_new_txn(name); }

  // ------------------------------------------------------------- reporting
  Finding make(std::string_view rule, std::vector<std::string> objects, Lock lock, bool rewrite,
               bool scan, std::string message) const {
    const RuleInfo *info = find_rule(rule);
    Finding f;
    f.rule = std::string(rule);
    // why and fix are the rule's, added where the findings are delivered
    // (Explanations in check_stream.hpp).
    if (info)
      for (auto s : info->severity) f.severity.emplace_back(s);
    f.file = input->file;
    f.migration = input->migration;
    if (stmt) {
      f.line = stmt->line;
      f.column = stmt->column;
      f.end_line = stmt->end_line;
      f.end_column = stmt->end_column;
      f.statement = std::string(input->sql.substr(stmt->begin, stmt->end - stmt->begin));
    }
    // Held in the fingerprint field until emit() makes the fingerprint.
    f.fingerprint = digest_of_statement(f.statement);
    f.objects = std::move(objects);
    f.lock = lock_name(lock);
    f.rewrite = rewrite;
    f.scan = scan || rewrite;
    f.message = std::move(message);
    return f;
  }

  // The SHA-256 (hex) of `text`, the current statement's text or empty.
  const std::string &digest_of_statement(const std::string &text) const {
    std::size_t begin = stmt ? stmt->begin : 0, end = stmt ? stmt->end : 0;
    auto &d = statement_digest;
    if (d.hex.empty() || d.file != file_index || d.begin != begin || d.end != end) {
      d.file = file_index;
      d.begin = begin;
      d.end = end;
      source::sha256_hex_into(text, 64, d.hex);
    }
    return d.hex;
  }

  // The default level (clarification 10), scaled by what is known of the table.
  Level default_level(const Finding &f, std::optional<Level> explicit_level, bool downgrade) const {
    Level level;
    std::string_view primary =
        f.severity.empty() ? std::string_view("other") : std::string_view(f.severity.front());
    if (explicit_level) {
      level = *explicit_level;
    } else if (primary == "data-loss") {
      level = Level::Error;
    } else if (primary == "other") {
      level = Level::Info;
    } else if (primary == "transaction-safety") {
      level = Level::Error;
    } else {
      level = Level::Warning;
    }
    if (f.impact) {
      const auto &i = *f.impact;
      bool empty = i.empty.value_or(false) || i.row_estimate == 0;
      bool large =
          i.row_estimate >= options.large_table_rows || i.total_bytes >= options.large_table_bytes;
      if (primary == "blocking-lock" || primary == "table-rewrite") {
        if (empty)
          level = Level::Info;
        else if (large)
          level = Level::Error;
      } else if ((primary == "data-loss" || f.rule == "add-required-column") && empty) {
        level = Level::Info;
      } else if (f.rule == "add-required-column" && (i.row_estimate > 0 || i.empty == false)) {
        level = Level::Error;
      }
    }
    if (downgrade && level > Level::Info) level = static_cast<Level>(static_cast<int>(level) - 1);
    return level;
  }

  std::optional<Impact> impact_for(const std::string &table, bool rewrite_or_scan) const {
    if (!options.stats || table.empty()) return std::nullopt;
    auto it = options.stats->tables.find(table);
    if (it == options.stats->tables.end()) return std::nullopt;
    Impact i;
    i.table = table;
    i.row_estimate = it->second.row_estimate;
    i.total_bytes = it->second.total_bytes;
    i.index_count = it->second.index_count;
    i.empty = it->second.empty;
    if (rewrite_or_scan && i.total_bytes >= 0) {
      i.assumed_bytes_per_second = options.rewrite_bytes_per_second;
      i.estimated_lock_seconds =
          static_cast<double>(i.total_bytes) / options.rewrite_bytes_per_second;
    }
    return i;
  }

  void emit(Finding f, const std::string &table = {}, std::optional<Level> level = std::nullopt,
            bool downgrade = false) {
    if (!input->report) return;
    if (!table.empty() && !f.impact) f.impact = impact_for(table, f.scan);
    f.level = default_level(f, level, downgrade);
    f.level = policy(f.rule, f.file, f.level);
    if (f.level == Level::Off) return;
    // A waiver on the statement's line or the line before, or for the file.
    for (auto &w : waivers) {
      if (!w.has_reason) continue;
      bool applies = w.whole_file || w.line == f.line || w.line + 1 == f.line;
      if (applies && std::find(w.rules.begin(), w.rules.end(), f.rule) != w.rules.end()) {
        w.used = true;
        return;
      }
    }
    // Stable across pushes, and distinct for several findings of one rule on
    // one statement (code scanning merges equal fingerprints). The statement
    // enters through its own digest (make), computed once however many
    // findings it has: hashing a long CREATE TABLE again for each of its
    // columns' findings was a sixth of a large file's analysis.
    auto &key = fingerprint_key;  // reused: no allocation once it is long enough
    key.clear();
    key.append(f.rule).append(1, '\x1f').append(f.file).append(1, '\x1f');
    key.append(f.fingerprint).append(1, '\x1f');
    for (const auto &o : f.objects) key.append(o).append(1, '\x1e');
    source::sha256_hex_into(key, 32, f.fingerprint);
    findings.push_back(std::move(f));
  }

  // --------------------------------------------------------------- locks
  bool has_lock_timeout() const {
    return options.runner == Runner::Safe || session_lock_timeout || (txn && txn->lock_timeout);
  }
  bool has_statement_timeout() const {
    return options.runner == Runner::Safe || session_statement_timeout ||
           (txn && txn->statement_timeout);
  }
  // Records that the statement takes `lock` on `rel`, with the timeout rules.
  void take_lock(const std::string &rel, Lock lock) {
    bool visible = !is_new_txn(rel);
    if (txn) {
      auto &held = txn->locks[rel];
      held = std::max(held, lock);
      if (lock == Lock::AccessExclusive && visible) txn->strong_lock_taken = true;
    }
    if (!visible || is_new_file(rel) || lock < Lock::Share) return;
    if (!has_lock_timeout() && !lock_timeout_reported) {
      lock_timeout_reported = true;
      emit(make("missing-lock-timeout", {rel}, lock, false, false,
                std::string("takes ") + lock_name(lock) + " on " + rel +
                    " with no lock_timeout set: while it waits, every query on " + rel +
                    " queues behind it"),
           rel, Level::Warning);
    }
    if (!has_statement_timeout() && !statement_timeout_reported) {
      statement_timeout_reported = true;
      emit(make("missing-statement-timeout", {rel}, lock, false, false,
                std::string("takes ") + lock_name(lock) + " on " + rel +
                    " with no statement_timeout set"),
           rel, Level::Warning);
    }
  }

  // ------------------------------------------------------------ waivers
  // A waiver comment: `-- dbsafe:ignore[-file] id[,id…] [reason: text]`
  // anywhere on the line. Read by hand rather than with std::regex, whose
  // construction alone cost a small project's check a tenth of its time.
  static bool waiver_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
  }
  static bool waiver_id_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == ',' || c == '-' || c == ' ';
  }
  static std::optional<Waiver> parse_waiver(std::string_view text) {
    auto starts = [&](std::size_t at, std::string_view word) {
      return text.substr(at, word.size()) == word;
    };
    auto trim_end = [](std::string_view v) {
      while (!v.empty() && waiver_space(v.back())) v.remove_suffix(1);
      return v;
    };
    for (auto at = text.find("--"); at != std::string_view::npos; at = text.find("--", at + 1)) {
      std::size_t i = at + 2;
      while (i < text.size() && waiver_space(text[i])) ++i;
      if (!starts(i, "dbsafe:ignore")) continue;
      i += 13;
      Waiver w;
      w.whole_file = starts(i, "-file");
      if (w.whole_file) i += 5;
      std::size_t ids_start = i;
      while (i < text.size() && waiver_space(text[i])) ++i;
      if (i == ids_start) continue;  // "dbsafe:ignoresomething": not a waiver
      ids_start = i;
      while (i < text.size() && waiver_id_char(text[i])) ++i;
      std::string_view ids = text.substr(ids_start, i - ids_start);
      std::string_view rest = text.substr(i);
      if (!rest.empty() && rest[0] == ':' && ids.size() >= 6 &&
          ids.substr(ids.size() - 6) == "reason") {
        // "reason:" ends the ids; an empty reason is a waiver without one.
        ids.remove_suffix(6);
        std::string_view reason = rest.substr(1);
        while (!reason.empty() && waiver_space(reason.front())) reason.remove_prefix(1);
        w.has_reason = !trim_end(reason).empty();
      } else if (!trim_end(rest).empty()) {
        continue;  // something else follows: not a waiver comment
      }
      std::string id;
      for (char c : trim_end(ids)) {
        if (c == ',' || c == ' ') {
          if (!id.empty()) w.rules.push_back(id);
          id.clear();
        } else {
          id.push_back(c);
        }
      }
      if (!id.empty()) w.rules.push_back(id);
      if (w.rules.empty()) continue;
      return w;
    }
    return std::nullopt;
  }

  void read_waivers() {
    waivers.clear();
    std::string_view sql = input->sql;
    std::size_t pos = 0;
    std::uint32_t line = 1;
    while (pos <= sql.size()) {
      auto nl = sql.find('\n', pos);
      auto end = nl == std::string_view::npos ? sql.size() : nl;
      std::string_view text = sql.substr(pos, end - pos);
      if (text.find("dbsafe:ignore") != std::string_view::npos) {
        if (auto w = parse_waiver(text)) {
          w->line = line;
          waivers.push_back(std::move(*w));
        }
      }
      if (nl == std::string_view::npos) break;
      pos = nl + 1;
      ++line;
    }
  }

  void waiver_findings() {
    const Statement *saved = stmt;
    stmt = nullptr;
    for (auto &w : waivers) {
      auto at_line = [&](Finding f) {
        f.line = f.end_line = w.line;
        f.column = f.end_column = 1;
        return f;
      };
      for (const auto &id : w.rules) {
        if (!find_rule(id))
          emit(at_line(make("unknown-rule-in-ignore", {}, Lock::None, false, false,
                            "the waiver names \"" + id + "\", which is not a dbsafe rule")),
               {}, Level::Warning);
      }
      if (!w.has_reason) {
        emit(at_line(make("waiver-without-reason", {}, Lock::None, false, false,
                          "the waiver has no reason, so it waives nothing; add `reason: …`")),
             {}, Level::Warning);
      } else if (!w.used) {
        std::string ids;
        for (const auto &id : w.rules) ids += (ids.empty() ? "" : ",") + id;
        emit(at_line(make("unused-waiver", {}, Lock::None, false, false,
                          "the waiver for " + ids + " matched no finding")));
      }
    }
    stmt = saved;
  }

  // ----------------------------------------------------- transaction model
  void open_txn(bool explicit_block) {
    Txn t;
    t.id = next_txn++;
    t.explicit_block = explicit_block;
    if (stmt) {
      t.begin_offset = stmt->begin;
      t.begin_line = stmt->line;
      t.begin_column = stmt->column;
    }
    txn = t;
  }
  void close_txn() { txn.reset(); }

  // ------------------------------------------------------------- the file
  void analyze_file(const FileInput &in) {
    input = &in;
    ++file_index;
    stmt = nullptr;
    txn.reset();
    lock_timeout_reported = statement_timeout_reported = false;
    dropped_in_file.clear();
    analyzed_in_file.clear();
    analyze_pending.clear();
    backfilled.clear();
    not_null_set.clear();
    fk_pending.clear();
    deferred.clear();
    views_created.clear();
    constraints_dropped.clear();
    columns_added.clear();
    read_waivers();
    if (!in.sorts_before.empty()) {
      Statement first;
      first.line = first.end_line = first.column = first.end_column = 1;
      stmt = &first;
      auto f = make("non-linear-migration", {in.migration}, Lock::None, false, false,
                    in.migration + " is new but sorts before " + in.sorts_before +
                        ", which is already merged: runners that apply in order may skip it");
      emit(std::move(f), {}, Level::Warning);
      stmt = nullptr;
    }

    const auto &stmts = in.parsed->statements;
    for (const auto &e : in.parsed->errors) {
      Statement fake;
      fake.begin = e.stmt_begin;
      fake.end = e.stmt_end;
      auto lc = line_column(in.sql, e.stmt_begin);
      fake.line = lc.line;
      fake.column = lc.column;
      auto ec = line_column(in.sql, e.stmt_end ? e.stmt_end - 1 : 0);
      fake.end_line = ec.line;
      fake.end_column = ec.column;
      stmt = &fake;
      auto f = make("syntax-error", {}, Lock::None, false, false,
                    e.message + " at line " + std::to_string(e.line) + ", column " +
                        std::to_string(e.column));
      f.line = e.line;  // the parser's own position
      f.column = e.column;
      emit(std::move(f), {}, Level::Error);
    }

    bool explicit_control = false;
    std::size_t non_transactional = 0;
    for (const auto &s : stmts) {
      if (s.type == "TransactionStmt") explicit_control = true;
      if (is_non_transactional(s, options.pg_version)) ++non_transactional;
    }
    bool multi = stmts.size() > 1;
    bool prisma = options.runner == Runner::Prisma;
    // Safe runner: the file runs in one transaction unless it controls its own.
    bool wrap = prisma ? multi : !explicit_control;
    bool need_open = wrap;

    for (const auto &s : stmts) {
      stmt = &s;
      ++statement_count;
      bool non_txn = is_non_transactional(s, options.pg_version);
      if (need_open && !txn && !(non_txn && !prisma)) {
        open_txn(false);
        need_open = false;
      }
      // In one simple query, the statements after an explicit COMMIT form
      // another implicit transaction (checked on PostgreSQL 15).
      if (prisma && multi && !txn && s.type != "TransactionStmt") open_txn(false);
      if (!prisma && non_txn && txn && !txn->explicit_block) {
        close_txn();  // the safe runner commits before a non-transactional statement
        need_open = wrap;
      }
      in_txn = txn.has_value();
      stmt_txn = txn ? txn->id : next_txn++;

      if (non_txn) {
        if (in_txn) {
          emit(make("non-transactional-in-transaction", {}, Lock::None, false, false,
                    std::string(s.type) + " cannot run inside a transaction block" +
                        (txn->explicit_block ? " (the file's BEGIN opened one)"
                         : prisma            ? " (Prisma sends the file as one query, "
                                               "an implicit transaction)"
                                             : "")),
               {}, Level::Error);
        }
        if (stmts.size() > non_transactional) {
          emit(make("mixed-transactional-statements", {}, Lock::None, false, false,
                    "this file mixes a statement that cannot run in a transaction with other "
                    "statements"),
               {}, prisma ? Level::Error : Level::Warning);
        }
      }
      // statement-after-access-exclusive: report once per transaction.
      if (txn && txn->strong_lock_taken && !txn->after_strong_reported &&
          s.type != "TransactionStmt" && s.type != "VariableSetStmt") {
        txn->after_strong_reported = true;
        std::string held;
        for (const auto &[rel, l] : txn->locks)
          if (l == Lock::AccessExclusive && !is_new_txn(rel)) held = rel;
        emit(make("statement-after-access-exclusive", {held}, Lock::AccessExclusive, false, false,
                  "runs while this transaction still holds ACCESS EXCLUSIVE on " + held),
             held);
      }
      hygiene_statement(s);
      long_identifiers(s);
      statement(s);
      if (s.type != "TransactionStmt" && s.type != "VariableSetStmt" && non_txn && !prisma && wrap)
        need_open = true;
    }
    stmt = nullptr;
    if (txn && txn->explicit_block) {
      Statement at;
      at.begin = txn->begin_offset;
      at.end = txn->begin_offset + 5;
      at.line = at.end_line = txn->begin_line;
      at.column = txn->begin_column;
      at.end_column = txn->begin_column + 4;
      stmt = &at;
      emit(make("uncommitted-transaction", {}, Lock::None, false, false,
                "BEGIN without a COMMIT or ROLLBACK before the end of the file"),
           {}, Level::Error);
      stmt = nullptr;
    }
    txn.reset();
    finish_file();
    waiver_findings();
  }

  void finish_file() {
    for (auto &d : deferred) {
      if (!d.suppress_if_view.empty() && views_created.count(d.suppress_if_view)) continue;
      if (!d.suppress_if_column.empty() && columns_added.count(d.suppress_if_column)) continue;
      auto table = d.finding.objects.empty() ? std::string() : d.finding.objects.front();
      emit(std::move(d.finding), table);
    }
    for (auto &[table, f] : analyze_pending)
      if (!analyzed_in_file.count(table)) emit(std::move(f));
    for (const auto &fk : fk_pending) {
      bool indexed = false;
      auto range = indexes_by_table.equal_range(fk.table);
      for (auto it = range.first; it != range.second && !indexed; ++it) {
        const Relation *r = find(it->second);
        if (!r || r->kind != 'i' || r->table != fk.table ||
            r->index_columns.size() < fk.columns.size())
          continue;
        indexed = std::equal(fk.columns.begin(), fk.columns.end(), r->index_columns.begin());
      }
      if (indexed) continue;
      const Statement *saved = stmt;
      stmt = &fk.at;
      emit(make("fk-missing-index", {fk.table}, Lock::None, false, false,
                "no index on " + fk.table + " (" + join_plain(fk.columns) +
                    ") supports this foreign key"));
      stmt = saved;
    }
  }

  // --------------------------------------------------------- statements
  void statement(const Statement &s) {
    const auto &t = s.type;
    Node b = s.body;
    if (t == "TransactionStmt") return transaction(b);
    if (t == "VariableSetStmt") return set_variable(b);
    if (t == "CreateStmt") return create_table(b);
    if (t == "AlterTableStmt") return alter_table(b);
    if (t == "DropStmt") return drop(b);
    if (t == "IndexStmt") return create_index(b);
    if (t == "RenameStmt") return rename(b);
    if (t == "TruncateStmt") return truncate(b);
    if (t == "CreateEnumStmt") return create_enum(b);
    if (t == "AlterEnumStmt") return alter_enum(b);
    if (t == "ViewStmt") {
      auto name = range_var(node(b, "view"));
      // CREATE OR REPLACE on an existing view waits for its readers.
      if (flag(b, "replace") && find(name)) take_lock(name, Lock::AccessExclusive);
      views_created.insert(name);
      relations[name] = new_relation('v');
      return;
    }
    if (t == "CreateTableAsStmt") {
      Node into = node(b, "into");
      auto name = range_var(node(into, "rel"));
      bool matview = str(b, "objtype") == "OBJECT_MATVIEW";
      relations[name] = new_relation(matview ? 'm' : 'r');
      return;
    }
    if (t == "CreateSeqStmt") {
      relations[range_var(node(b, "sequence"))] = new_relation('S');
      return;
    }
    if (t == "DropdbStmt") {
      emit(make("drop-database", {std::string(str(b, "dbname"))}, Lock::None, false, false,
                "drops the database " + std::string(str(b, "dbname"))));
      return;
    }
    if (t == "ReindexStmt") return reindex(b);
    if (t == "VacuumStmt") return vacuum(b);
    if (t == "ClusterStmt") {
      auto rel = range_var(node(b, "relation"));
      take_lock(rel, Lock::AccessExclusive);
      emit(make("vacuum-full-or-cluster", {rel}, Lock::AccessExclusive, true, true,
                "CLUSTER rewrites " + rel),
           rel);
      return;
    }
    if (t == "RefreshMatViewStmt") {
      auto rel = range_var(node(b, "relation"));
      bool concurrent = flag(b, "concurrent");
      take_lock(rel, concurrent ? Lock::Exclusive : Lock::AccessExclusive);
      if (!concurrent && is_pre(rel))
        emit(make("refresh-matview-blocking", {rel}, Lock::AccessExclusive, false, true,
                  "refreshes " + rel + " without CONCURRENTLY"),
             rel);
      return;
    }
    if (t == "CreateTrigStmt") {
      auto rel = range_var(node(b, "relation"));
      take_lock(rel, Lock::ShareRowExclusive);
      if (is_pre(rel) && !is_new_file(rel))
        emit(make("create-trigger-existing-table", {rel}, Lock::ShareRowExclusive, false, false,
                  "creates trigger " + std::string(str(b, "trigname")) + " on " + rel),
             rel);
      return;
    }
    if (t == "LockStmt") {
      std::vector<std::string> rels;
      for (Node r : items(b, "relations")) rels.push_back(range_var(unwrap(r).second));
      static const Lock modes[] = {Lock::None,
                                   Lock::AccessShare,
                                   Lock::RowShare,
                                   Lock::RowExclusive,
                                   Lock::ShareUpdateExclusive,
                                   Lock::Share,
                                   Lock::ShareRowExclusive,
                                   Lock::Exclusive,
                                   Lock::AccessExclusive};
      auto mode = integer(b, "mode", 8);
      Lock l = mode >= 1 && mode <= 8 ? modes[mode] : Lock::AccessExclusive;
      for (const auto &r : rels) take_lock(r, l);
      emit(make("explicit-lock-table", rels, l, false, false,
                std::string("locks ") + join(rels) + " in " + lock_name(l) + " mode"),
           rels.empty() ? std::string() : rels.front());
      return;
    }
    if (t == "UpdateStmt" || t == "DeleteStmt" || t == "InsertStmt") return dml(t, b);
    if (t == "DoStmt") return do_block(b);
    if (t == "CreateFunctionStmt") return create_function(b);
    if (t == "AlterExtensionStmt") {
      emit(make("extension-change", {std::string(str(b, "extname"))}, Lock::None, false, false,
                "updates the extension " + std::string(str(b, "extname"))));
      return;
    }
    if (t == "CreatePolicyStmt" || t == "AlterPolicyStmt") {
      auto rel = range_var(node(b, "table"));
      take_lock(rel, Lock::AccessExclusive);
      emit(make("authz-change", {rel}, Lock::AccessExclusive, false, false,
                std::string(t == "CreatePolicyStmt" ? "creates" : "alters") + " policy " +
                    std::string(str(b, "policy_name")) + " on " + rel),
           rel);
      return;
    }
    if (t == "GrantStmt") {
      emit(make("authz-change", {}, Lock::None, false, false,
                std::string(flag(b, "is_grant") ? "grants" : "revokes") + " privileges"));
      return;
    }
    if (t == "CreateDomainStmt") {
      auto name = qualified_list(strings(b, "domainname"));
      bool checks = !items(b, "constraints").empty();
      domains[name] = checks;
      if (checks)
        emit(make("domain-with-constraint", {name}, Lock::None, false, false,
                  "creates domain " + name + " with a constraint"));
      return;
    }
    if (t == "AlterDomainStmt") {
      auto name = qualified_list(strings(b, "typeName"));
      if (str(b, "subtype") == "C") {
        domains[name] = true;
        emit(make(
            "domain-with-constraint", {name}, Lock::Share, false, true,
            "adds a constraint to domain " + name + ": every column of that domain is checked"));
      }
      return;
    }
    if (t == "CompositeTypeStmt") {
      domains[range_var(node(b, "typevar"))] = false;
      return;
    }
    if (t == "AlterObjectSchemaStmt" || t == "AlterOwnerStmt" || t == "CommentStmt" ||
        t == "SelectStmt" || t == "CreateExtensionStmt" || t == "CreateSchemaStmt")
      return;
  }

  // Statement-level hygiene: re-runnability outside a transaction, and
  // schema-qualified names (both off by default).
  void hygiene_statement(const Statement &s) {
    Node b = s.body;
    auto relation = [&](const char *key) { return node(b, key); };
    if (s.type == "CreateStmt" || s.type == "AlterTableStmt") {
      Node rv = relation("relation");
      if (str(rv, "schemaname").empty() && str(rv, "relpersistence") != "t")
        emit(make("require-schema-qualified-names", {std::string(str(rv, "relname"))}, Lock::None,
                  false, false, std::string(str(rv, "relname")) + " is not schema-qualified"));
    }
    // A lone statement is atomic: if it fails, nothing was applied.
    if (in_txn || input->parsed->statements.size() < 2) return;
    std::string what;
    if (s.type == "CreateStmt" && !flag(b, "if_not_exists") &&
        !(str(relation("relation"), "relpersistence") == "t"))
      what = "CREATE TABLE without IF NOT EXISTS";
    if (s.type == "IndexStmt" && !flag(b, "if_not_exists"))
      what = "CREATE INDEX without IF NOT EXISTS";
    if (s.type == "DropStmt" && !flag(b, "missing_ok")) {
      auto t = str(b, "removeType");
      if (t == "OBJECT_TABLE" || t == "OBJECT_INDEX" || t == "OBJECT_TYPE")
        what = "DROP without IF EXISTS";
    }
    if (s.type == "AlterTableStmt")
      for (Node c : items(b, "cmds")) {
        Node cmd = unwrap(c).second;
        auto st = str(cmd, "subtype");
        if (st == "AT_AddColumn" && !flag(cmd, "missing_ok"))
          what = "ADD COLUMN without IF NOT EXISTS";
        if ((st == "AT_DropColumn" || st == "AT_DropConstraint") && !flag(cmd, "missing_ok"))
          what = "DROP without IF EXISTS";
        if (st == "AT_DropConstraint") constraints_dropped.insert(std::string(str(cmd, "name")));
        if (st == "AT_AddConstraint") {
          std::string name(str(unwrap(node(cmd, "def")).second, "conname"));
          if (name.empty() || !constraints_dropped.count(name))
            what = "ADD CONSTRAINT not preceded by a DROP CONSTRAINT IF EXISTS of the same name";
        }
      }
    if (!what.empty())
      emit(make("non-idempotent-statement", {}, Lock::None, false, false,
                what + " outside a transaction cannot be re-run after a partial failure"),
           {}, Level::Warning);
  }

  static Node node(Node b, const char *key) {
    Node n;
    return tree::get(b, key, n) ? n : b;  // a missing field reads as empty fields
  }
  static std::string join(const std::vector<std::string> &v) {
    std::string out;
    for (const auto &s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
  }

  void transaction(Node b) {
    auto kind = str(b, "kind");
    if (kind == "TRANS_STMT_BEGIN" || kind == "TRANS_STMT_START") {
      if (txn && txn->explicit_block) {
        emit(make("transaction-nesting", {}, Lock::None, false, false,
                  "BEGIN inside a transaction that is already open (PostgreSQL ignores it)"),
             {}, Level::Warning);
      } else if (txn) {
        txn->explicit_block = true;  // an implicit block turns explicit
        txn->begin_offset = stmt->begin;
        txn->begin_line = stmt->line;
        txn->begin_column = stmt->column;
      } else {
        open_txn(true);
      }
      return;
    }
    if (kind == "TRANS_STMT_COMMIT" || kind == "TRANS_STMT_ROLLBACK") {
      if (!txn || !txn->explicit_block)
        emit(make("transaction-nesting", {}, Lock::None, false, false,
                  std::string(kind == "TRANS_STMT_COMMIT" ? "COMMIT" : "ROLLBACK") +
                      " without an open transaction"),
             {}, Level::Warning);
      close_txn();
      return;
    }
  }

  void set_variable(Node b) {
    auto name = str(b, "name");
    auto kind = str(b, "kind");
    bool local = flag(b, "is_local");
    bool on = false;
    if (kind == "VAR_SET_VALUE") {
      for (Node a : items(b, "args")) {
        Node c = unwrap(a).second;
        Node v;
        if (tree::get(c, "ival", v)) on = integer(v, "ival") != 0;
        if (tree::get(c, "sval", v)) {
          auto s = str(v, "sval");
          on = !s.empty() && s != "0" && s != "0s" && s != "0ms";
        }
      }
    }
    if (name == "lock_timeout") {
      if (local && txn)
        txn->lock_timeout = on;
      else if (!local)
        session_lock_timeout = on;
    } else if (name == "statement_timeout") {
      if (local && txn)
        txn->statement_timeout = on;
      else if (!local)
        session_statement_timeout = on;
    } else if (name == "search_path" && kind == "VAR_SET_VALUE") {
      search_path.clear();
      for (Node a : items(b, "args")) {
        Node c = unwrap(a).second, v;
        if (tree::get(c, "sval", v)) search_path.emplace_back(str(v, "sval"));
      }
      if (search_path.empty()) search_path.push_back("public");
    }
  }

  // Column facts and hygiene rules for one ColumnDef of a CREATE or ADD COLUMN.
  Column column_def(Node def, const std::string &table) {
    Column c = column_type(node(def, "typeName"));
    for (Node k : items(def, "constraints")) {
      auto contype = str(unwrap(k).second, "contype");
      if (contype == "CONSTR_NOTNULL" || contype == "CONSTR_PRIMARY") c.not_null = true;
      if (contype == "CONSTR_GENERATED") c.generated = true;
    }
    hygiene_type(c, table + "." + std::string(str(def, "colname")));
    return c;
  }

  void hygiene_type(const Column &c, const std::string &where) {
    const auto &t = c.type;
    if (t == "json")
      emit(make("json-column", {where}, Lock::None, false, false, where + " is json, not jsonb"));
    if (t == "varchar" && !c.typmods.empty())
      emit(make("prefer-text-over-varchar-n", {where}, Lock::None, false, false,
                where + " is varchar(" + std::to_string(c.typmods[0]) + ")"));
    if (t == "bpchar" || t == "char")
      emit(make("ban-char-field", {where}, Lock::None, false, false, where + " is char(n)"));
    if (t == "int4" || t == "serial" || t == "serial4")
      emit(make("prefer-bigint-over-int", {where}, Lock::None, false, false,
                where + " is a 32-bit integer"));
    if (t == "int2" || t == "smallserial" || t == "serial2")
      emit(make("prefer-bigint-over-smallint", {where}, Lock::None, false, false,
                where + " is a 16-bit integer"));
    if (is_serial(t))
      emit(make("prefer-identity", {where}, Lock::None, false, false, where + " is " + t));
    if (t == "timestamp")
      emit(make("prefer-timestamptz", {where}, Lock::None, false, false,
                where + " is timestamp without time zone"));
  }

  // As std::isalpha in the "C" locale, without a library call per byte
  // (long_identifiers reads every byte of every statement).
  static bool ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

  // The parser has already truncated long names (as PostgreSQL does), so
  // they are found in the statement's text: identifiers outside strings and
  // comments, quoted or not.
  void long_identifiers(const Statement &s) {
    std::string_view text = input->sql.substr(s.begin, s.end - s.begin);
    std::size_t i = 0;
    auto report = [&](std::string_view name) {
      emit(make("identifier-too-long", {std::string(name.substr(0, 63))}, Lock::None, false, false,
                "\"" + std::string(name) + "\" is " + std::to_string(name.size()) +
                    " bytes; PostgreSQL keeps the first 63"));
    };
    while (i < text.size()) {
      char c = text[i];
      if (c == '\'') {
        auto end = text.find('\'', i + 1);
        while (end != std::string_view::npos && end + 1 < text.size() && text[end + 1] == '\'')
          end = text.find('\'', end + 2);
        i = end == std::string_view::npos ? text.size() : end + 1;
      } else if (c == '$') {
        // A dollar-quoted body: skip to its closing tag.
        auto tag_end = text.find('$', i + 1);
        if (tag_end == std::string_view::npos) break;
        auto tag = text.substr(i, tag_end - i + 1);
        auto close = text.find(tag, tag_end + 1);
        i = close == std::string_view::npos ? text.size() : close + tag.size();
      } else if (c == '"') {
        auto end = text.find('"', i + 1);
        if (end == std::string_view::npos) break;
        if (end - i - 1 > 63) report(text.substr(i + 1, end - i - 1));
        i = end + 1;
      } else if (c == '-' && i + 1 < text.size() && text[i + 1] == '-') {
        auto nl = text.find('\n', i);
        i = nl == std::string_view::npos ? text.size() : nl + 1;
      } else if (ascii_letter(c) || c == '_') {
        std::size_t j = i;
        while (j < text.size() && (ascii_letter(text[j]) || (text[j] >= '0' && text[j] <= '9') ||
                                   text[j] == '_' || text[j] == '$'))
          ++j;
        if (j - i > 63) report(text.substr(i, j - i));
        i = j;
      } else {
        ++i;
      }
    }
  }

  void record_constraint(const std::string &table, Node con, int file,
                         const std::vector<std::string> &column_scope = {}) {
    auto contype = str(con, "contype");
    Constraint k;
    k.table = table;
    k.file = file;
    k.validated = !flag(con, "skip_validation");
    k.columns = strings(con, "keys");
    if (k.columns.empty()) k.columns = strings(con, "fk_attrs");
    if (k.columns.empty()) k.columns = column_scope;
    if (contype == "CONSTR_PRIMARY")
      k.kind = 'p';
    else if (contype == "CONSTR_UNIQUE")
      k.kind = 'u';
    else if (contype == "CONSTR_FOREIGN")
      k.kind = 'f';
    else if (contype == "CONSTR_CHECK")
      k.kind = 'c';
    else if (contype == "CONSTR_EXCLUSION")
      k.kind = 'x';
    else
      return;
    if (k.kind == 'f') k.ref_table = range_var(node(con, "pktable"));
    if (k.kind == 'c') {
      Node expr;
      if (tree::get(con, "raw_expr", expr)) {
        auto [et, eb] = unwrap(expr);
        if (et == "NullTest" && str(eb, "nulltesttype") == "IS_NOT_NULL") {
          auto fields = strings(node(unwrap(node(eb, "arg")).second, "ColumnRef"), "fields");
          auto cr = unwrap(node(eb, "arg"));
          if (cr.first == "ColumnRef") fields = strings(cr.second, "fields");
          if (!fields.empty()) k.not_null_column = fields.back();
        }
        tree::walk(expr, [&](std::string_view type, Node body) {
          if (type == "ColumnRef") {
            auto f = strings(body, "fields");
            if (!f.empty()) k.columns.push_back(f.back());
          }
        });
      }
    }
    std::string name(str(con, "conname"));
    if (name.empty()) {
      // PostgreSQL's default names: table_col_pkey / _key / _fkey / _check.
      static const std::map<char, std::string> suffix{
          {'p', "_pkey"}, {'u', "_key"}, {'f', "_fkey"}, {'c', "_check"}, {'x', "_excl"}};
      auto rel = table.substr(table.find('.') + 1);
      name = k.kind == 'p'
                 ? rel + "_pkey"
                 : rel + "_" + (k.columns.empty() ? "" : k.columns[0]) + suffix.at(k.kind);
    }
    if (k.kind == 'p' || k.kind == 'u') {
      auto index = dotted(std::string_view(table).substr(0, table.find('.')), name);
      Relation idx = new_relation('i');
      idx.table = table;
      idx.index_columns = k.columns;
      idx.unique = true;
      idx.constraint_backed = true;
      relations[index] = std::move(idx);
      indexes_by_table.emplace(table, std::move(index));
    }
    std::string key;
    key.reserve(table.size() + 1 + name.size());
    key.append(table).append(1, '|').append(name);
    constraints[std::move(key)] = std::move(k);
  }

  void create_table(Node b) {
    auto name = range_var(node(b, "relation"));
    if (dropped_in_file.count(name))
      emit(make("recreate-table", {name}, Lock::AccessExclusive, false, false,
                name + " is dropped and created again in the same migration"),
           name);
    Node partspec;
    bool partitioned = tree::get(b, "partspec", partspec);
    Relation rel = new_relation(partitioned ? 'p' : 'r');
    Node bound;
    if (tree::get(b, "partbound", bound)) {
      auto parents = items(b, "inhRelations");
      if (!parents.empty()) {
        auto parent = range_var(unwrap(parents[0]).second);
        rel.parent = parent;
        take_lock(parent, Lock::AccessExclusive);
        if (flag(bound, "is_default")) relations[parent].has_default_partition = true;
        if (is_pre(parent) && !is_new_file(parent))
          emit(make("create-partition-of", {parent, name}, Lock::AccessExclusive, false, false,
                    "creates partition " + name + " of " + parent),
               parent);
      }
    }
    relations[name] = rel;
    std::set<std::string> seen;
    for (Node e : items(b, "tableElts")) {
      auto [et, eb] = unwrap(e);
      if (et == "ColumnDef") {
        std::string col(str(eb, "colname"));
        if (!seen.insert(col).second)
          emit(make("duplicate-column-assignment", {name + "." + col}, Lock::None, false, false,
                    "column " + col + " appears twice in CREATE TABLE " + name));
        relations[name].columns[col] = column_def(eb, name);
        for (Node k : items(eb, "constraints")) {
          Node kb = unwrap(k).second;
          record_constraint(name, kb, file_index, {col});
          if (str(kb, "contype") == "CONSTR_FOREIGN") fk_added(name, {col});
        }
      } else if (et == "Constraint") {
        record_constraint(name, eb, file_index);
        if (str(eb, "contype") == "CONSTR_FOREIGN") fk_added(name, strings(eb, "fk_attrs"));
      }
    }
  }

  void fk_added(const std::string &table, const std::vector<std::string> &cols) {
    if (cols.empty() || !input->report || !stmt) return;
    fk_pending.push_back({table, cols, *stmt});
  }

  static std::string join_plain(const std::vector<std::string> &v) {
    std::string out;
    for (const auto &s : v) out += (out.empty() ? "" : ",") + s;
    return out;
  }

  // The strongest lock an ALTER TABLE sub-command takes (LOCKS.md).
  static Lock alter_lock(std::string_view subtype, Node cmd) {
    if (subtype == "AT_AddConstraint") {
      auto con = unwrap(node(cmd, "def")).second;
      auto contype = str(con, "contype");
      if (contype == "CONSTR_FOREIGN" && flag(con, "skip_validation"))
        return Lock::ShareRowExclusive;
      if (contype == "CONSTR_FOREIGN") return Lock::ShareRowExclusive;
      return Lock::AccessExclusive;
    }
    if (subtype == "AT_ValidateConstraint" || subtype == "AT_SetStatistics" ||
        subtype == "AT_ClusterOn" || subtype == "AT_DropCluster" || subtype == "AT_SetRelOptions" ||
        subtype == "AT_ResetRelOptions" || subtype == "AT_AttachPartition")
      return Lock::ShareUpdateExclusive;
    if (subtype == "AT_EnableTrig" || subtype == "AT_DisableTrig" ||
        subtype == "AT_EnableTrigAll" || subtype == "AT_DisableTrigAll" ||
        subtype == "AT_EnableTrigUser" || subtype == "AT_DisableTrigUser" ||
        subtype == "AT_EnableAlwaysTrig" || subtype == "AT_EnableReplicaTrig")
      return Lock::ShareRowExclusive;
    return Lock::AccessExclusive;
  }

  void alter_table(Node b) {
    auto rel = range_var(node(b, "relation"));
    bool index_target = str(b, "objtype") == "OBJECT_INDEX";
    auto cmds = items(b, "cmds");
    Lock strongest = Lock::None;
    std::vector<std::string_view> subtypes;
    for (Node c : cmds) {
      Node cmd = unwrap(c).second;
      auto st = str(cmd, "subtype");
      subtypes.push_back(st);
      strongest = std::max(strongest, alter_lock(st, cmd));
    }
    // multiple-alter-same-table: a second ALTER of a visible table in one transaction.
    if (txn && !index_target && is_pre(rel) && !is_new_txn(rel)) {
      if (!txn->altered.insert(rel).second)
        emit(make("multiple-alter-same-table", {rel}, strongest, false, false,
                  "a second ALTER TABLE on " + rel + " in the same transaction"));
    }
    // validate-in-same-transaction needs the locks held before this statement.
    bool held_strong = false;
    if (txn) {
      auto it = txn->locks.find(rel);
      held_strong = it != txn->locks.end() && it->second >= Lock::ShareRowExclusive;
    }
    take_lock(rel, strongest);
    bool pre = is_pre(rel);
    bool newfile = is_new_file(rel);
    bool swap_pk =
        std::count(subtypes.begin(), subtypes.end(), "AT_DropConstraint") > 0 &&
        std::any_of(cmds.begin(), cmds.end(), [](Node c) {
          Node con = unwrap(node(unwrap(c).second, "def")).second;
          return str(con, "contype") == "CONSTR_PRIMARY" && !str(con, "indexname").empty();
        });
    for (Node c : cmds) {
      Node cmd = unwrap(c).second;
      alter_command(rel, cmd, str(cmd, "subtype"), pre, newfile, held_strong, swap_pk);
    }
  }

  void alter_command(const std::string &rel, Node cmd, std::string_view st, bool pre, bool newfile,
                     bool held_strong, bool swap_pk) {
    std::string col(str(cmd, "name"));
    auto &relation = relations[rel];
    auto col_it = relation.columns.find(col);
    Column *known = col_it == relation.columns.end() ? nullptr : &col_it->second;
    std::string where = rel + "." + col;
    Node def = unwrap(node(cmd, "def")).second;

    if (st == "AT_DropColumn") {
      if (pre)
        emit(make("drop-column", {where}, Lock::AccessExclusive, false, false,
                  "drops column " + col + " of " + rel),
             rel);
      relation.columns.erase(col);
      return;
    }
    if (st == "AT_AddColumn") {
      std::string name(str(def, "colname"));
      where = rel + "." + name;
      Column c = column_def(def, rel);
      columns_added.insert(rel + "|" + name);
      bool not_null = false, has_default = false, identity = false, generated = false;
      bool unique = false, primary = false, references = false;
      Node default_expr;
      for (Node k : items(def, "constraints")) {
        Node kb = unwrap(k).second;
        auto ct = str(kb, "contype");
        if (ct == "CONSTR_NOTNULL") not_null = true;
        if (ct == "CONSTR_DEFAULT") {
          has_default = true;
          tree::get(kb, "raw_expr", default_expr);
        }
        if (ct == "CONSTR_IDENTITY") identity = true;
        if (ct == "CONSTR_GENERATED") generated = true;
        if (ct == "CONSTR_UNIQUE") unique = true;
        if (ct == "CONSTR_PRIMARY") primary = true;
        if (ct == "CONSTR_FOREIGN") {
          references = true;
          auto ref = range_var(node(kb, "pktable"));
          take_lock(ref, Lock::ShareRowExclusive);
          if (pre || is_pre(ref))
            emit(make("add-foreign-key-blocking", {rel, ref}, Lock::AccessExclusive, false, true,
                      "adds column " + name + " referencing " + ref +
                          ": both tables are locked while it is checked"),
                 rel);
          fk_added(rel, {name});
        }
        record_constraint(rel, kb, file_index, {name});
      }
      (void)references;
      if (pre) {
        if (not_null && !has_default && !identity && !generated)
          emit(make("add-required-column", {where}, Lock::AccessExclusive, false, false,
                    "adds NOT NULL column " + name + " without a default to " + rel),
               rel);
        std::string volatile_reason;
        if (is_serial(c.type))
          volatile_reason = "its type " + c.type + " fills it from a sequence";
        else if (has_default && options.pg_version < 11)
          volatile_reason = "before PostgreSQL 11 any default rewrites the table";
        else if (has_default)
          volatile_reason = volatile_call(default_expr);
        if (!volatile_reason.empty())
          emit(make("add-column-volatile-default", {where}, Lock::AccessExclusive, true, true,
                    "adds column " + name + " to " + rel + " with a default that " +
                        volatile_reason),
               rel);
        if (generated)
          emit(make("add-column-stored-generated", {where}, Lock::AccessExclusive, true, true,
                    "adds stored generated column " + name + " to " + rel),
               rel);
        if (identity)
          emit(make("add-column-identity", {where}, Lock::AccessExclusive, true, true,
                    "adds identity column " + name + " to " + rel),
               rel);
        auto type = qualified_type(c.type);
        auto dom = domains.find(type);
        bool unknown_type = dom == domains.end() && !is_builtin_type(c.type) && !enums.count(type);
        if ((dom != domains.end() && dom->second) || unknown_type)
          emit(make("add-column-constrained-domain", {where}, Lock::AccessExclusive, false, true,
                    unknown_type ? "adds column " + name + " of type " + c.type +
                                       ", which is unknown here: if it is a domain with CHECK "
                                       "constraints, every row is checked"
                                 : "adds column " + name + " of domain " + c.type +
                                       ", whose CHECK runs on every row"),
               rel);
        if (unique)
          emit(make("add-unique-constraint", {where}, Lock::AccessExclusive, false, true,
                    "adds UNIQUE column " + name + " to " + rel),
               rel);
        if (primary)
          emit(make("add-primary-key", {where}, Lock::AccessExclusive, false, true,
                    "adds PRIMARY KEY column " + name + " to " + rel),
               rel);
      }
      relation.columns[name] = c;
      return;
    }
    if (st == "AT_AlterColumnType") {
      Column to = column_type(node(def, "typeName"));
      hygiene_type(to, where);
      Node using_expr;
      bool has_using = tree::get(def, "raw_default", using_expr);
      bool trivial_using = has_using && (is_identity_using(using_expr, col) ||
                                         is_zone_conversion(using_expr, col, known, to));
      Node coll;
      bool collate = tree::get(def, "collClause", coll);
      if (pre) type_change(rel, col, known, to, has_using && !trivial_using, collate);
      if (known) {
        bool nn = known->not_null;
        *known = to;
        known->not_null = nn;
      } else {
        relation.columns[col] = to;
      }
      return;
    }
    if (st == "AT_SetNotNull") {
      not_null_set.insert(rel + "|" + col);
      if (pre) {
        bool proven = false;
        for_constraints_of(rel, [&](const std::string &, const Constraint &k) {
          proven = k.table == rel && k.kind == 'c' && k.validated && k.not_null_column == col;
          return proven;
        });
        if (!(options.pg_version >= 12 && proven)) {
          emit(make("set-not-null-blocking", {where}, Lock::AccessExclusive, false, true,
                    "sets " + where + " NOT NULL, scanning the table under ACCESS EXCLUSIVE"),
               rel);
          if (!backfilled.count(rel + "|" + col))
            emit(make("set-not-null-may-fail", {where}, Lock::None, false, false,
                      "fails if any row of " + rel + " has " + col + " NULL"),
                 rel);
        }
      }
      if (known) known->not_null = true;
      return;
    }
    if (st == "AT_DropNotNull") {
      if (pre)
        emit(make("drop-not-null", {where}, Lock::AccessExclusive, false, false,
                  "drops NOT NULL from " + where),
             rel);
      if (known) known->not_null = false;
      return;
    }
    if (st == "AT_AddConstraint") return add_constraint(rel, def, pre, newfile, swap_pk);
    if (st == "AT_DropConstraint") return drop_constraint(rel, col, pre, swap_pk);
    if (st == "AT_ValidateConstraint") {
      if (held_strong && txn)
        emit(make("validate-in-same-transaction", {rel}, Lock::AccessExclusive, false, true,
                  "validates " + col + " while this transaction already holds a strong lock on " +
                      rel),
             rel);
      auto it = constraints.find(rel + "|" + col);
      if (it != constraints.end()) it->second.validated = true;
      return;
    }
    if (st == "AT_SetLogged" || st == "AT_SetUnLogged") {
      emit(make("set-logged-unlogged", {rel}, Lock::AccessExclusive, true, true,
                std::string("sets ") + rel + (st == "AT_SetLogged" ? " LOGGED" : " UNLOGGED")),
           rel);
      return;
    }
    if (st == "AT_SetAccessMethod") {
      emit(make("set-access-method", {rel}, Lock::AccessExclusive, true, true,
                "changes the access method of " + rel),
           rel);
      return;
    }
    if (st == "AT_SetTableSpace") {
      emit(make("set-tablespace", {rel}, Lock::AccessExclusive, true, true,
                "moves " + rel + " to tablespace " + col),
           rel);
      return;
    }
    if (st == "AT_DetachPartition") {
      bool concurrent = flag(def, "concurrent");
      auto part = range_var(node(def, "name"));
      if (!concurrent)
        emit(make("detach-partition-blocking", {rel, part}, Lock::AccessExclusive, false, false,
                  "detaches " + part + " from " + rel + " without CONCURRENTLY"),
             rel);
      return;
    }
    if (st == "AT_AttachPartition") {
      auto part = range_var(node(def, "name"));
      bool proven = false;
      for_constraints_of(part, [&](const std::string &, const Constraint &k) {
        proven = k.table == part && k.kind == 'c' && k.validated;
        return proven;
      });
      if (!proven || relation.has_default_partition)
        emit(make("attach-partition-scan", {rel, part}, Lock::AccessExclusive, false, true,
                  "attaches " + part + " to " + rel +
                      (relation.has_default_partition ? "; the DEFAULT partition is scanned too"
                                                      : ", which is scanned to check its bound")),
             part);
      relations[part].parent = rel;
      return;
    }
    if (st.rfind("AT_EnableTrig", 0) == 0 || st.rfind("AT_DisableTrig", 0) == 0 ||
        st == "AT_EnableAlwaysTrig" || st == "AT_EnableReplicaTrig") {
      if (pre)
        emit(make("create-trigger-existing-table", {rel}, Lock::ShareRowExclusive, false, false,
                  (st.rfind("AT_Enable", 0) == 0 ? "enables" : "disables") +
                      std::string(" triggers on ") + rel),
             rel);
      return;
    }
    if (st == "AT_ReplicaIdentity") {
      emit(make("replica-identity-change", {rel}, Lock::AccessExclusive, false, false,
                "changes the replica identity of " + rel));
      return;
    }
    if (st == "AT_SetRelOptions") {
      for (Node o : items(unwrap(node(cmd, "def")).second, "items")) {
        Node ob = unwrap(o).second;
        auto name = str(ob, "defname");
        auto arg = unwrap(node(ob, "arg"));
        // `false` arrives as a string, `off` as a type name.
        std::string value(str(arg.second, "sval"));
        if (value.empty()) {
          auto names = strings(arg.second, "names");
          if (!names.empty()) value = names.back();
        }
        if (name == "autovacuum_enabled" && (value == "false" || value == "off" || value == "0"))
          emit(make("disable-autovacuum", {rel}, Lock::ShareUpdateExclusive, false, false,
                    "turns autovacuum off for " + rel));
      }
      return;
    }
    if (st == "AT_EnableRowSecurity" || st == "AT_DisableRowSecurity" ||
        st == "AT_ForceRowSecurity" || st == "AT_NoForceRowSecurity") {
      emit(make("authz-change", {rel}, Lock::AccessExclusive, false, false,
                std::string(st.substr(3)) + " on " + rel),
           rel);
      return;
    }
  }

  // Whether USING is just the column itself (optionally cast to the new type).
  static bool is_identity_using(Node expr, const std::string &col) {
    auto [t, b] = unwrap(expr);
    if (t == "ColumnRef") {
      auto f = strings(b, "fields");
      return !f.empty() && f.back() == col;
    }
    return false;
  }

  // `col AT TIME ZONE '<zone>'` between timestamp types converts every value
  // exactly (the rewrite is still reported by change-column-type).
  static bool is_zone_conversion(Node expr, const std::string &col, const Column *from,
                                 const Column &to) {
    auto is_ts = [](const std::string &t) { return t == "timestamp" || t == "timestamptz"; };
    if (!from || !is_ts(from->type) || !is_ts(to.type)) return false;
    auto [t, b] = unwrap(expr);
    if (t != "FuncCall") return false;
    auto name = strings(b, "funcname");
    auto args = items(b, "args");
    if (name.empty() || name.back() != "timezone" || args.size() != 2) return false;
    return unwrap(args[0]).first == "A_Const" && is_identity_using(args[1], col);
  }

  // "" when `expr` is not volatile, else why it is.
  std::string volatile_call(Node expr) const {
    std::string reason;
    auto judge = [&](Node call) {
      if (!reason.empty()) return;
      auto names = strings(call, "funcname");
      std::string fn = names.empty() ? "" : names.back();
      if (non_volatile_functions().count(fn)) return;
      bool known_volatile = fn == "gen_random_uuid" || fn == "random" || fn == "clock_timestamp" ||
                            fn == "nextval" || fn.rfind("uuid_generate", 0) == 0;
      reason = "calls " + fn + "(), which is volatile" +
               (known_volatile ? "" : " or of unknown volatility (treated as volatile)");
    };
    // The walk reports nested calls; a bare call at the top is judged too.
    auto [t, b] = unwrap(expr);
    if (t == "FuncCall") judge(b);
    tree::walk(expr, [&](std::string_view type, Node body) {
      if (type == "FuncCall") judge(body);
    });
    return reason;
  }

  // change-column-type, lossy-type-change, enum-value-removal, and friends.
  void type_change(const std::string &rel, const std::string &col, const Column *from,
                   const Column &to, bool using_expr, bool collate) {
    std::string where = rel + "." + col;
    Finding analyze_f = make("missing-analyze-after-type-change", {rel}, Lock::None, false, false,
                             "changes the type of " + where + " without ANALYZE " + rel +
                                 " afterwards in this migration");
    analyze_pending.emplace_back(rel, std::move(analyze_f));
    if (collate)
      emit(make("change-column-collation", {where}, Lock::AccessExclusive, true, true,
                "changes the collation of " + where + "; its indexes are rebuilt"),
           rel);
    // CHECK constraints mentioning the column are re-validated.
    for_constraints_of(rel, [&](const std::string &key, const Constraint &k) {
      if (k.table != rel || k.kind != 'c' ||
          std::find(k.columns.begin(), k.columns.end(), col) == k.columns.end())
        return false;
      emit(make("type-change-revalidates-checks", {where}, Lock::AccessExclusive, false, true,
                "changing the type of " + where + " re-checks constraint " +
                    key.substr(key.find('|') + 1)),
           rel);
      return true;
    });
    if (!from) {
      emit(make("change-column-type", {where}, Lock::AccessExclusive, true, true,
                "changes the type of " + where + " to " + to.type +
                    "; the old type is unknown, so a rewrite cannot be ruled out"),
           rel);
      if (using_expr)
        emit(make("lossy-type-change", {where}, Lock::AccessExclusive, true, true,
                  "converts " + where + " with a USING expression"),
             rel);
      return;
    }
    // Enums: labels that disappear.
    auto from_enum = enums.find(qualified_type(from->type));
    auto to_enum = enums.find(qualified_type(to.type));
    if (from_enum != enums.end() && to_enum != enums.end()) {
      std::vector<std::string> removed;
      for (const auto &l : from_enum->second)
        if (std::find(to_enum->second.begin(), to_enum->second.end(), l) == to_enum->second.end())
          removed.push_back(l);
      if (!removed.empty())
        emit(make("enum-value-removal", {where}, Lock::AccessExclusive, true, true,
                  "converts " + where + " to " + to.type + ", which lacks " + join(removed)),
             rel);
    }
    if (binary_coercible(*from, to) && !using_expr) return;
    std::string lossy = narrowing(*from, to);
    if (!lossy.empty() || using_expr)
      emit(make("lossy-type-change", {where}, Lock::AccessExclusive, true, true,
                "converts " + where + " from " + describe(*from) + " to " + describe(to) +
                    (lossy.empty() ? " with a USING expression" : ": " + lossy)),
           rel);
    emit(make("change-column-type", {where}, Lock::AccessExclusive, true, true,
              "changes " + where + " from " + describe(*from) + " to " + describe(to) +
                  ", which rewrites the table"),
         rel);
  }

  static std::string describe(const Column &c) {
    std::string s = c.type;
    if (!c.typmods.empty()) {
      s += "(";
      for (std::size_t i = 0; i < c.typmods.size(); ++i)
        s += (i ? "," : "") + std::to_string(c.typmods[i]);
      s += ")";
    }
    return c.array ? s + "[]" : s;
  }

  // The exempt list of change-column-type.
  bool binary_coercible(const Column &from, const Column &to) const {
    if (from.array != to.array) return false;
    auto bounded = [](const Column &c) { return !c.typmods.empty(); };
    const auto &f = from.type;
    const auto &t = to.type;
    if (f == t) {
      if (!bounded(to)) return true;
      if (!bounded(from)) return false;
      if (t == "varchar" || t == "timestamp" || t == "timestamptz" || t == "time" ||
          t == "timetz" || t == "interval" || t == "bit" || t == "varbit")
        return to.typmods[0] >= from.typmods[0];
      if (t == "numeric") {
        auto fs = from.typmods.size() > 1 ? from.typmods[1] : 0;
        auto ts = to.typmods.size() > 1 ? to.typmods[1] : 0;
        return to.typmods[0] >= from.typmods[0] && ts == fs;
      }
      return from.typmods == to.typmods;
    }
    if (f == "varchar" && t == "text") return true;
    if (f == "text" && t == "varchar" && !bounded(to)) return true;
    if (f == "cidr" && t == "inet") return true;
    return false;
  }

  static std::string narrowing(const Column &from, const Column &to) {
    static const std::map<std::string, int> int_width{
        {"int2", 2}, {"int4", 4}, {"int8", 8}, {"float4", 4}, {"float8", 8}};
    auto fw = int_width.find(from.type), tw = int_width.find(to.type);
    if (fw != int_width.end() && tw != int_width.end() && tw->second < fw->second)
      return "values that do not fit " + to.type + " make it fail or lose precision";
    bool textual_from = from.type == "text" || from.type == "varchar" || from.type == "bpchar";
    if (textual_from && to.type == "varchar" && !to.typmods.empty() &&
        (from.typmods.empty() || to.typmods[0] < from.typmods[0]))
      return "longer strings no longer fit";
    if (from.type == to.type && !from.typmods.empty() && !to.typmods.empty() &&
        to.typmods[0] < from.typmods[0])
      return "the new type is narrower";
    if (from.type == "numeric" && to.type == "numeric" && from.typmods.size() > 1 &&
        to.typmods.size() > 1 && to.typmods[1] < from.typmods[1])
      return "digits after the decimal point are rounded away";
    if ((from.type == "timestamptz" || from.type == "timestamp") && to.type == "date")
      return "the time of day is dropped";
    if (from.array && !to.array) return "arrays become scalars";
    return {};
  }

  void add_constraint(const std::string &rel, Node con, bool pre, bool newfile, bool swap_pk) {
    auto contype = str(con, "contype");
    std::string name(str(con, "conname"));
    bool not_valid = flag(con, "skip_validation");
    bool using_index = !str(con, "indexname").empty();
    auto cols = strings(con, "keys");
    std::string where = rel + (name.empty() ? "" : " (" + name + ")");
    (void)newfile;
    if (contype == "CONSTR_FOREIGN") {
      auto ref = range_var(node(con, "pktable"));
      take_lock(ref, Lock::ShareRowExclusive);
      if (!not_valid && (pre || is_pre(ref)))
        emit(make("add-foreign-key-blocking", {rel, ref}, Lock::ShareRowExclusive, false, true,
                  "adds foreign key " + name + " from " + rel + " to " + ref +
                      " without NOT VALID: writes to both tables wait while every row is checked"),
             rel, std::nullopt, !pre && is_new_file(ref));
      fk_added(rel, strings(con, "fk_attrs"));
    } else if (pre) {
      if (contype == "CONSTR_CHECK" && !not_valid)
        emit(make("add-check-blocking", {where}, Lock::AccessExclusive, false, true,
                  "adds CHECK constraint " + name + " to " + rel + " without NOT VALID"),
             rel);
      if (contype == "CONSTR_UNIQUE" && !using_index) {
        emit(make("add-unique-constraint", {where}, Lock::AccessExclusive, false, true,
                  "adds UNIQUE constraint " + name + " to " + rel + ", building its index"),
             rel);
        unique_may_fail(rel, cols);
      }
      if (contype == "CONSTR_PRIMARY") {
        if (using_index && swap_pk) {
          emit(make("primary-key-change", {where}, Lock::AccessExclusive, false, false,
                    "swaps the primary key of " + rel + " to an existing index in one statement"),
               rel, Level::Info);
        } else if (!using_index) {
          emit(make("add-primary-key", {where}, Lock::AccessExclusive, false, true,
                    "adds a primary key to " + rel + ", building its index"),
               rel);
          unique_may_fail(rel, cols);
        }
        auto key_cols = cols;
        if (using_index) {
          auto schema = rel.substr(0, rel.find('.'));
          auto idx = find(schema + "." + std::string(str(con, "indexname")));
          if (idx) key_cols = idx->index_columns;
        }
        auto &relation = relations[rel];
        for (const auto &c : key_cols) {
          auto it = relation.columns.find(c);
          if (it != relation.columns.end() && !it->second.not_null) {
            emit(make("pk-implicit-not-null", {rel + "." + c}, Lock::AccessExclusive, false, true,
                      "the primary key makes " + rel + "." + c + " NOT NULL, scanning the table"),
                 rel);
            break;
          }
        }
      }
      if (contype == "CONSTR_EXCLUSION")
        emit(make("add-exclusion-constraint", {where}, Lock::AccessExclusive, false, true,
                  "adds exclusion constraint " + name + " to " + rel),
             rel);
    }
    record_constraint(rel, con, file_index);
    if (contype == "CONSTR_PRIMARY" || contype == "CONSTR_UNIQUE") {
      auto &relation = relations[rel];
      if (contype == "CONSTR_PRIMARY")
        for (const auto &c : cols)
          if (relation.columns.count(c)) relation.columns[c].not_null = true;
    }
  }

  void unique_may_fail(const std::string &rel, const std::vector<std::string> &cols) {
    bool all_new =
        !cols.empty() && std::all_of(cols.begin(), cols.end(), [&](const std::string &c) {
          return columns_added.count(rel + "|" + c) > 0;
        });
    if (!all_new)
      emit(
          make("unique-may-fail", {rel}, Lock::None, false, false,
               "fails if " + rel + " already holds duplicate values in (" + join_plain(cols) + ")"),
          rel);
  }

  void drop_constraint(const std::string &rel, const std::string &name, bool pre, bool swap_pk) {
    auto it = constraints.find(rel + "|" + name);
    if (it == constraints.end()) return;  // kind unknown: silent (clarification 3)
    const Constraint &k = it->second;
    if (pre && k.file != file_index) {
      if (k.kind == 'f') {
        take_lock(k.ref_table, Lock::AccessExclusive);
        emit(make("drop-foreign-key", {rel, k.ref_table}, Lock::AccessExclusive, false, false,
                  "drops foreign key " + name + " from " + rel + " to " + k.ref_table),
             rel);
      } else if (k.kind == 'c') {
        bool helper =
            !k.not_null_column.empty() && not_null_set.count(rel + "|" + k.not_null_column);
        if (!helper)
          emit(make("drop-check-constraint", {rel}, Lock::AccessExclusive, false, false,
                    "drops CHECK constraint " + name + " from " + rel),
               rel);
      } else if (k.kind == 'p' && !swap_pk) {
        emit(make("primary-key-change", {rel}, Lock::AccessExclusive, false, false,
                  "drops the primary key " + name + " of " + rel),
             rel);
      }
    }
    auto schema = rel.substr(0, rel.find('.'));
    relations.erase(schema + "." + name);
    constraints.erase(it);
  }

  void drop(Node b) {
    auto type = str(b, "removeType");
    bool cascade = str(b, "behavior") == "DROP_CASCADE";
    bool concurrent = flag(b, "concurrent");
    for (Node o : items(b, "objects")) {
      auto [ot, ob] = unwrap(o);
      std::vector<std::string> parts =
          ot == "List" ? strings(ob, "items") : std::vector<std::string>{};
      if (ot == "String") parts.emplace_back(str(ob, "sval"));
      if (parts.empty()) {
        if (ot == "TypeName") parts = strings(ob, "names");
      }
      if (type == "OBJECT_TABLE") {
        auto name = qualified_list(parts);
        take_lock(name, Lock::AccessExclusive);
        if (is_pre(name))
          emit(make("drop-table", {name}, Lock::AccessExclusive, false, false,
                    "drops table " + name + (cascade ? " with CASCADE" : "")),
               name);
        dropped_in_file.insert(name);
        forget_relation(name);
      } else if (type == "OBJECT_INDEX") {
        auto name = qualified_list(parts);
        const Relation *idx = find(name);
        std::string table = idx ? idx->table : std::string();
        if (table.empty() && options.stats) {
          auto s = options.stats->indexes.find(name);
          if (s != options.stats->indexes.end()) table = s->second.table;
        }
        bool table_pre = table.empty() || is_pre(table);
        if (!table.empty())
          take_lock(table, concurrent ? Lock::ShareUpdateExclusive : Lock::AccessExclusive);
        if (table_pre && !(idx && idx->constraint_backed)) {
          if (!concurrent)
            emit(make("drop-index-blocking", {name}, Lock::AccessExclusive, false, false,
                      "drops index " + name + " without CONCURRENTLY" +
                          (table.empty() ? "" : ": " + table + " is locked for reads and writes")),
                 table);
          Finding f = make("drop-index-perf", {name}, Lock::None, false, false,
                           "drops index " + name + "; queries using it slow down");
          std::optional<Level> level;
          if (options.stats) {
            auto s = options.stats->indexes.find(name);
            if (s != options.stats->indexes.end()) {
              Impact i;
              i.table = s->second.table;
              i.idx_scan = s->second.idx_scan;
              f.impact = i;
              if (s->second.idx_scan > 0) {
                level = Level::Warning;
                f.message += " (" + std::to_string(s->second.idx_scan) + " scans recorded)";
              }
            }
          }
          emit(std::move(f), {}, level);
        }
        relations.erase(name);
      } else if (type == "OBJECT_SCHEMA") {
        std::string schema = parts.empty() ? "" : parts.back();
        emit(make("drop-schema", {schema}, Lock::AccessExclusive, false, false,
                  "drops schema " + schema + (cascade ? " with everything in it (CASCADE)" : "")));
      } else if (type == "OBJECT_SEQUENCE") {
        auto name = qualified_list(parts);
        emit(make("drop-sequence", {name}, Lock::AccessExclusive, false, false,
                  "drops sequence " + name));
        relations.erase(name);
      } else if (type == "OBJECT_TYPE") {
        auto name = qualified_list(parts);
        enums.erase(name);
        domains.erase(name);
      } else if (type == "OBJECT_TRIGGER") {
        // [schema.]table.trigger
        std::vector<std::string> table_parts(parts.begin(), parts.end() - (parts.empty() ? 0 : 1));
        auto table = qualified_list(table_parts);
        take_lock(table, Lock::AccessExclusive);
        if (is_pre(table) && !is_new_file(table))
          emit(make("drop-trigger", {table}, Lock::AccessExclusive, false, false,
                    "drops trigger " + (parts.empty() ? "" : parts.back()) + " on " + table),
               table);
      } else if (type == "OBJECT_POLICY") {
        std::vector<std::string> table_parts(parts.begin(), parts.end() - (parts.empty() ? 0 : 1));
        auto table = qualified_list(table_parts);
        take_lock(table, Lock::AccessExclusive);
        emit(make("authz-change", {table}, Lock::AccessExclusive, false, false,
                  "drops policy " + (parts.empty() ? "" : parts.back()) + " on " + table),
             table);
      } else if (type == "OBJECT_EXTENSION") {
        std::string ext = parts.empty() ? "" : parts.back();
        emit(make("extension-change", {ext}, Lock::None, false, false, "drops extension " + ext));
      } else if (type == "OBJECT_VIEW" || type == "OBJECT_MATVIEW") {
        auto name = qualified_list(parts);
        take_lock(name, Lock::AccessExclusive);  // waits for the view's readers
        relations.erase(name);
      }
    }
  }

  void forget_relation(const std::string &name) {
    relations.erase(name);
    for (auto it = relations.begin(); it != relations.end();)
      it = it->second.kind == 'i' && it->second.table == name ? relations.erase(it) : std::next(it);
    const std::string prefix = name + "|";
    for (auto it = constraints.lower_bound(prefix);
         it != constraints.end() && it->first.compare(0, prefix.size(), prefix) == 0;)
      it = it->second.table == name ? constraints.erase(it) : std::next(it);
  }

  void create_index(Node b) {
    auto rel = range_var(node(b, "relation"));
    bool concurrent = flag(b, "concurrent");
    bool only = !flag(node(b, "relation"), "inh");
    std::string schema = rel.substr(0, rel.find('.'));
    std::string name(str(b, "idxname"));
    take_lock(rel, concurrent ? Lock::ShareUpdateExclusive : Lock::Share);
    std::vector<std::string> cols;
    for (Node e : items(b, "indexParams")) {
      Node eb = unwrap(e).second;
      auto c = str(eb, "name");
      cols.emplace_back(c.empty() ? "(expression)" : c);
    }
    const Relation *target = find(rel);
    bool partitioned = target && target->kind == 'p';
    bool pre = is_pre(rel);
    if (!concurrent && !is_new_txn(rel) && (pre || is_new_file(rel)) && !partitioned)
      emit(make("create-index-blocking", {rel}, Lock::Share, false, true,
                "creates index " + name + " on " + rel + " without CONCURRENTLY: writes to " + rel +
                    " wait for the whole build"),
           rel, std::nullopt, is_new_file(rel));
    if (partitioned && !only && pre && !is_new_file(rel))
      emit(make("index-on-partitioned-table", {rel}, Lock::Share, false, true,
                "creates index " + name + " on partitioned table " + rel +
                    ", locking every partition"),
           rel);
    if (flag(b, "unique") && pre && !is_new_file(rel)) unique_may_fail(rel, cols);
    if (concurrent && flag(b, "if_not_exists"))
      emit(make("cic-invalid-index-on-retry", {rel}, Lock::ShareUpdateExclusive, false, false,
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS keeps an INVALID index left by a failed "
                "earlier attempt"),
           {}, Level::Warning);
    if (concurrent && options.stats && options.stats->server_version_num >= 140000 &&
        options.stats->server_version_num < 140004)
      emit(make("cic-pg14-corruption", {rel}, Lock::ShareUpdateExclusive, false, false,
                "the server runs PostgreSQL 14." +
                    std::to_string(options.stats->server_version_num % 100) +
                    ", whose concurrent index builds can corrupt the index"),
           rel, Level::Error);
    if (concurrent && options.stats) {
      auto s = options.stats->tables.find(rel);
      if (s != options.stats->tables.end() && (s->second.row_estimate >= options.large_table_rows ||
                                               s->second.total_bytes >= options.large_table_bytes))
        emit(make("index-build-load", {rel}, Lock::ShareUpdateExclusive, false, true,
                  "builds index " + name + " on the large table " + rel),
             rel, Level::Info);
    }
    if (!flag(b, "unique") && cols.size() > 3)
      emit(make("wide-non-unique-index", {rel}, Lock::None, false, false,
                "index " + name + " has " + std::to_string(cols.size()) + " key columns"));
    Relation idx = new_relation('i');
    idx.table = rel;
    idx.index_columns = cols;
    idx.unique = flag(b, "unique");
    if (!name.empty()) {
      relations[schema + "." + name] = idx;
      indexes_by_table.emplace(rel, schema + "." + name);
    }
  }

  void rename(Node b) {
    auto type = str(b, "renameType");
    std::string newname(str(b, "newname"));
    if (type == "OBJECT_TABLE") {
      auto rel = range_var(node(b, "relation"));
      take_lock(rel, Lock::AccessExclusive);
      if (is_pre(rel)) {
        Deferred d{make("rename-table", {rel}, Lock::AccessExclusive, false, false,
                        "renames " + rel + " to " + newname),
                   rel,
                   {}};
        deferred.push_back(std::move(d));
      }
      auto node_it = relations.extract(rel);
      auto target = rel.substr(0, rel.find('.')) + "." + newname;
      if (!node_it.empty()) {
        node_it.key() = target;
        relations.insert(std::move(node_it));
      }
      return;
    }
    if (type == "OBJECT_COLUMN" && str(b, "relationType") == "OBJECT_TABLE") {
      auto rel = range_var(node(b, "relation"));
      std::string old(str(b, "subname"));
      take_lock(rel, Lock::AccessExclusive);
      if (is_pre(rel)) {
        Deferred d{make("rename-column", {rel + "." + old}, Lock::AccessExclusive, false, false,
                        "renames column " + old + " of " + rel + " to " + newname),
                   {},
                   rel + "|" + old};
        deferred.push_back(std::move(d));
      }
      auto &cols = relations[rel].columns;
      auto it = cols.find(old);
      if (it != cols.end()) {
        cols[newname] = it->second;
        cols.erase(old);
      }
      return;
    }
    if (type == "OBJECT_SCHEMA") {
      emit(make("rename-schema", {std::string(str(b, "subname"))}, Lock::AccessExclusive, false,
                false, "renames schema " + std::string(str(b, "subname")) + " to " + newname));
      return;
    }
    if (type == "OBJECT_TYPE") {
      auto parts = strings(unwrap(node(b, "object")).second, "items");
      auto old = qualified_list(parts);
      auto target = old.substr(0, old.find('.')) + "." + newname;
      auto e = enums.extract(old);
      if (!e.empty()) {
        e.key() = target;
        enums.insert(std::move(e));
      }
      return;
    }
    if (type == "OBJECT_INDEX") {
      auto rel = range_var(node(b, "relation"));
      auto n = relations.extract(rel);
      if (!n.empty()) {
        n.key() = rel.substr(0, rel.find('.')) + "." + newname;
        relations.insert(std::move(n));
      }
      return;
    }
    if (type == "OBJECT_TABCONSTRAINT") {
      auto rel = range_var(node(b, "relation"));
      auto n = constraints.extract(rel + "|" + std::string(str(b, "subname")));
      if (!n.empty()) {
        n.key() = rel + "|" + newname;
        constraints.insert(std::move(n));
      }
    }
  }

  void truncate(Node b) {
    bool cascade = str(b, "behavior") == "DROP_CASCADE";
    std::vector<std::string> rels;
    for (Node r : items(b, "relations")) rels.push_back(range_var(unwrap(r).second));
    for (const auto &r : rels) {
      take_lock(r, Lock::AccessExclusive);
      if (is_pre(r))
        emit(make("truncate-table", {r}, Lock::AccessExclusive, false, false, "empties " + r), r);
    }
    if (cascade)
      emit(make("truncate-cascade", rels, Lock::AccessExclusive, false, false,
                "empties " + join(rels) + " and every table referencing them (CASCADE)"));
  }

  void create_enum(Node b) {
    auto name = qualified_list(strings(b, "typeName"));
    enums[name] = strings(b, "vals");
    emit(make("avoid-enum-type", {name}, Lock::None, false, false, "creates enum type " + name));
  }

  void alter_enum(Node b) {
    auto name = qualified_list(strings(b, "typeName"));
    std::string old(str(b, "oldVal")), val(str(b, "newVal"));
    if (!old.empty()) {
      emit(make("rename-enum-value", {name}, Lock::None, false, false,
                "renames label '" + old + "' of " + name + " to '" + val + "'"));
      auto &labels = enums[name];
      std::replace(labels.begin(), labels.end(), old, val);
      return;
    }
    auto neighbor = str(b, "newValNeighbor");
    if (neighbor.empty())
      emit(make("enum-add-value-unordered", {name}, Lock::None, false, false,
                "adds label '" + val + "' to " + name + " without BEFORE or AFTER"));
    enums[name].push_back(val);
  }

  void reindex(Node b) {
    bool concurrent = false;
    for (Node p : items(b, "params"))
      if (str(unwrap(p).second, "defname") == "concurrently") concurrent = true;
    auto kind = str(b, "kind");
    if (kind == "REINDEX_OBJECT_SYSTEM" || concurrent) return;
    std::string target = kind == "REINDEX_OBJECT_INDEX" || kind == "REINDEX_OBJECT_TABLE"
                             ? range_var(node(b, "relation"))
                             : std::string(str(b, "name"));
    emit(make("reindex-blocking", {target}, Lock::Share, false, true,
              "reindexes " + target + " without CONCURRENTLY"),
         kind == "REINDEX_OBJECT_TABLE" ? target : std::string());
  }

  void vacuum(Node b) {
    bool full = false, analyze = !flag(b, "is_vacuumcmd");
    for (Node o : items(b, "options")) {
      auto name = str(unwrap(o).second, "defname");
      if (name == "full") full = true;
      if (name == "analyze") analyze = true;
    }
    std::vector<std::string> rels;
    for (Node r : items(b, "rels")) rels.push_back(range_var(node(unwrap(r).second, "relation")));
    if (analyze)
      for (const auto &r : rels) analyzed_in_file.insert(r);
    if (full)
      emit(make("vacuum-full-or-cluster", rels, Lock::AccessExclusive, true, true,
                "VACUUM FULL rewrites " + join(rels)),
           rels.empty() ? std::string() : rels.front());
  }

  void dml(std::string_view type, Node b) {
    auto rel = range_var(node(b, "relation"));
    take_lock(rel, Lock::RowExclusive);
    Node where;
    bool has_where = tree::get(b, "whereClause", where);
    if (type == "UpdateStmt") {
      std::set<std::string> seen;
      for (Node t : items(b, "targetList")) {
        std::string col(str(unwrap(t).second, "name"));
        backfilled.insert(rel + "|" + col);
        if (!seen.insert(col).second)
          emit(make("duplicate-column-assignment", {rel + "." + col}, Lock::None, false, false,
                    "column " + col + " is assigned twice"));
      }
    }
    if (type == "InsertStmt") {
      std::set<std::string> seen;
      for (Node t : items(b, "cols")) {
        std::string col(str(unwrap(t).second, "name"));
        if (!seen.insert(col).second)
          emit(make("duplicate-column-assignment", {rel + "." + col}, Lock::None, false, false,
                    "column " + col + " appears twice in the INSERT"));
      }
    }
    bool holds_ddl_lock = false;
    if (txn && in_txn) {
      auto it = txn->locks.find(rel);
      holds_ddl_lock = it != txn->locks.end() && it->second >= Lock::ShareRowExclusive;
    }
    bool insert_select = type == "InsertStmt" && tree::get(b, "selectStmt", where) &&
                         !items(unwrap(where).second, "fromClause").empty();
    bool unbounded = type != "InsertStmt" && !has_where && is_pre(rel);
    if ((holds_ddl_lock && !is_new_txn(rel) && (type != "InsertStmt" || insert_select)) ||
        unbounded)
      emit(make("dml-in-ddl-transaction", {rel}, Lock::RowExclusive, false, false,
                unbounded
                    ? std::string(type == "UpdateStmt" ? "UPDATE" : "DELETE") +
                          " without WHERE touches every row of " + rel
                    : "changes rows of " + rel + " in the transaction that holds a DDL lock on it"),
           rel);
  }

  // DO blocks run when the migration runs: their SQL is checked like the file's.
  void do_block(Node b) {
    std::string language = "plpgsql", body;
    for (Node a : items(b, "args")) {
      Node ab = unwrap(a).second;
      auto name = str(ab, "defname");
      auto arg = unwrap(node(ab, "arg"));
      if (name == "as") body = std::string(str(arg.second, "sval"));
      if (name == "language") language = std::string(str(arg.second, "sval"));
    }
    if (language != "plpgsql") {
      emit(make("unanalyzable-sql", {}, Lock::None, false, false,
                "a DO block in " + language + " cannot be checked"));
      return;
    }
    embedded_plpgsql(body, "DO block");
  }

  void create_function(Node b) {
    std::string language = "sql", body;
    for (Node o : items(b, "options")) {
      Node ob = unwrap(o).second;
      auto name = str(ob, "defname");
      auto arg = unwrap(node(ob, "arg"));
      if (name == "language") language = std::string(str(arg.second, "sval"));
      if (name == "as") {
        auto parts =
            arg.first == "List" ? strings(arg.second, "items") : std::vector<std::string>{};
        if (!parts.empty()) body = parts[0];
      }
    }
    // A function body runs when it is called, not when the migration runs:
    // only its blind spots are reported.
    if (language == "plpgsql" && body.find("EXECUTE") != std::string::npos)
      emit(make("unanalyzable-sql", {}, Lock::None, false, false,
                "the function body runs dynamic SQL (EXECUTE), which cannot be checked"));
    else if (language != "plpgsql" && language != "sql")
      emit(make("unanalyzable-sql", {}, Lock::None, false, false,
                "a function body in " + language + " cannot be checked"));
  }

  void embedded_plpgsql(const std::string &body, const std::string &what) {
    std::string fn = "CREATE FUNCTION dbsafe_embedded() RETURNS void LANGUAGE plpgsql AS $dbsafe$" +
                     body + "$dbsafe$";
    // libpg_query 15-4.0.0's pg_query_parse_plpgsql returns early without
    // freeing the raw parser's stderr buffer when the SQL around the body does
    // not parse, and when the body is not valid PL/pgSQL. Parsing with
    // pg_query_parse first (which frees everything) closes the first path; the
    // second cannot be avoided from outside and costs one byte per such body
    // (listed in tests/sanitizers/lsan.supp).
    {
      PgQueryParseResult outer = pg_query_parse(fn.c_str());
      std::string outer_error = outer.error ? outer.error->message : "";
      bool failed = outer.error != nullptr;
      pg_query_free_parse_result(outer);
      if (failed) {
        emit(make("unanalyzable-sql", {}, Lock::None, false, false,
                  "the " + what + " could not be parsed: " + outer_error));
        return;
      }
    }
    PgQueryPlpgsqlParseResult r = pg_query_parse_plpgsql(fn.c_str());
    if (r.error) {
      emit(make("unanalyzable-sql", {}, Lock::None, false, false,
                "the " + what + " could not be parsed: " + std::string(r.error->message)));
      pg_query_free_plpgsql_parse_result(r);
      return;
    }
    std::string json = r.plpgsql_funcs ? r.plpgsql_funcs : "[]";
    pg_query_free_plpgsql_parse_result(r);
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(json).get(root) != simdjson::SUCCESS) return;
    std::vector<std::string> queries;
    bool dynamic = false;
    tree::walk(root, [&](std::string_view type, Node nb) {
      if (type == "PLpgSQL_stmt_dynexecute") dynamic = true;
      if (type == "PLpgSQL_stmt_execsql") {
        Node q = unwrap(node(nb, "sqlstmt")).second;
        queries.emplace_back(str(q, "query"));
      }
    });
    if (dynamic)
      emit(make("unanalyzable-sql", {}, Lock::None, false, false,
                "the " + what + " runs dynamic SQL (EXECUTE), which cannot be checked"));
    // Each embedded statement is judged as if it stood where the block stands.
    for (const auto &q : queries) {
      auto parsed = ParsedSql::parse(q);
      for (const auto &inner : parsed->statements) {
        Statement at = *stmt;
        at.type = inner.type;
        at.body = inner.body;
        const Statement *saved = stmt;
        stmt = &at;
        statement(at);
        stmt = saved;
      }
    }
  }
};

Analyzer::Analyzer(const CheckOptions &options, LevelPolicy policy)
    : state_(std::make_unique<State>()) {
  state_->options = options;
  state_->policy = std::move(policy);
}

Analyzer::~Analyzer() = default;

void Analyzer::analyze_file(const FileInput &input) {
  state_->analyze_file(input);
}

void Analyzer::take_findings(std::vector<Finding> &out) {
  out.clear();
  out.swap(state_->findings);
}

std::size_t Analyzer::statements() const {
  return state_->statement_count;
}

}  // namespace dbsafe::analyze
