// `dbsafe copy`: a SQLite database into an existing PostgreSQL schema.
//
// Shape of a run: open SQLite read-only inside one read transaction (the
// copy sees one state, and in rollback-journal mode writers wait); read the
// target's catalog; plan (tables matched by name or the mapping file,
// every column's conversion chosen by its target type, foreign-key order);
// then per unit of work (a table, or the tables of a foreign-key cycle) one
// transaction: COPY FROM STDIN, sequences set past the copied maximum, a
// row in dbsafe.copy_progress, COMMIT. A rerun against the same source
// bytes skips the units recorded there. Verification streams both sides in
// key order and hashes the same normalised text (copy/convert.hpp).
#include <openssl/evp.h>
#include <simdjson.h>
#include <sqlite3.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <unordered_map>

#include "copy/convert.hpp"
#include "dbsafe/copy.hpp"
#include "pg/connection.hpp"
#include "util/json_writer.hpp"

namespace dbsafe {
inline namespace v1 {

namespace {

namespace fs = std::filesystem;
using copy::Kind;
using copy::SourceValue;
using copy::TargetType;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kCopyBuffer = 64 * 1024;
constexpr std::size_t kMaxFailuresListed = 1000;
constexpr std::size_t kMaxDifferencesListed = 100;

// ---------------------------------------------------------------- SQLite

struct SqliteCloser {
  void operator()(sqlite3 *db) const { sqlite3_close_v2(db); }
};
struct StmtCloser {
  void operator()(sqlite3_stmt *s) const { sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, SqliteCloser>;
using Stmt = std::unique_ptr<sqlite3_stmt, StmtCloser>;

std::string sqlite_quote(const std::string &name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

Stmt prepare(sqlite3 *db, const std::string &sql, const std::string &path) {
  sqlite3_stmt *s = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
    throw Error(ErrorCode::Io, path + ": SQLite cannot run " + sql + ": " + sqlite3_errmsg(db))
        .with_file(path);
  return Stmt(s);
}

// Steps once; true while there is a row. Errors name the file.
bool step(sqlite3 *db, sqlite3_stmt *s, const std::string &path) {
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw Error(ErrorCode::Io, path + ": SQLite read failed: " + sqlite3_errmsg(db)).with_file(path);
}

// ---------------------------------------------------------------- hashing

using Hash = std::array<unsigned char, 32>;

struct Sha256 {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), EVP_MD_CTX_free};
  Sha256() { EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr); }
  void update(const void *data, std::size_t n) { EVP_DigestUpdate(ctx.get(), data, n); }
  Hash finish() {
    Hash h{};
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx.get(), h.data(), &n);
    return h;
  }
};

Hash sha256_of(std::string_view data) {
  Hash h{};
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), h.data(), &n, EVP_sha256(), nullptr);
  return h;
}

std::string hex(const Hash &h) {
  static const char *kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : h) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// The identity of the source: its bytes, and its write-ahead log's when
// there is one (committed rows may still live there).
std::string file_identity(const std::string &path, const CallContext &ctx) {
  Sha256 sha;
  std::vector<char> buf(1 << 20);
  for (const std::string &p : {path, path + "-wal"}) {
    std::ifstream in(p, std::ios::binary);
    if (!in) continue;
    while (in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      sha.update(buf.data(), static_cast<std::size_t>(in.gcount()));
      ctx.checkpoint();
    }
  }
  return hex(sha.finish());
}

// ---------------------------------------------------------------- mapping

struct TableMapping {
  std::optional<std::string> to;
  bool skip = false;
  // source column -> target column; nullopt: not copied.
  std::map<std::string, std::optional<std::string>> columns;
};

using Mapping = std::map<std::string, TableMapping>;

[[noreturn]] void bad_mapping(const std::string &path, const std::string &what,
                              std::uint32_t line = 0, std::uint32_t column = 0) {
  std::string where =
      path + (line ? ":" + std::to_string(line) + ":" + std::to_string(column) : "");
  throw Error(ErrorCode::Parse, where + ": " + what +
                                    " (the mapping format is in docs/copy.md: [tables.NAME] with "
                                    "to, skip and a [tables.NAME.columns] table)")
      .with_file(path, line, column);
}

Mapping read_toml_mapping(const std::string &path) {
  toml::table doc;
  try {
    doc = toml::parse_file(path);
  } catch (const toml::parse_error &e) {
    bad_mapping(path, std::string(e.description()),
                static_cast<std::uint32_t>(e.source().begin.line),
                static_cast<std::uint32_t>(e.source().begin.column));
  }
  auto at = [&](const toml::node &n, const std::string &what) {
    bad_mapping(path, what, static_cast<std::uint32_t>(n.source().begin.line),
                static_cast<std::uint32_t>(n.source().begin.column));
  };
  Mapping m;
  for (auto &[key, node] : doc) {
    if (key.str() != "tables") at(node, "unknown key \"" + std::string(key.str()) + "\"");
    auto *tables = node.as_table();
    if (!tables) at(node, "\"tables\" must be a table");
    for (auto &[name, tnode] : *tables) {
      auto *t = tnode.as_table();
      if (!t) at(tnode, "tables." + std::string(name.str()) + " must be a table");
      TableMapping tm;
      for (auto &[k, v] : *t) {
        std::string ks(k.str());
        if (ks == "to") {
          if (!v.is_string()) at(v, "\"to\" must be a string (the target table's name)");
          tm.to = *v.value<std::string>();
        } else if (ks == "skip") {
          if (!v.is_boolean()) at(v, "\"skip\" must be true or false");
          tm.skip = *v.value<bool>();
        } else if (ks == "columns") {
          auto *cols = v.as_table();
          if (!cols) at(v, "\"columns\" must be a table of source = \"target\" (or false)");
          for (auto &[ck, cv] : *cols) {
            if (cv.is_string())
              tm.columns[std::string(ck.str())] = *cv.value<std::string>();
            else if (cv.is_boolean() && !*cv.value<bool>())
              tm.columns[std::string(ck.str())] = std::nullopt;
            else
              at(cv, "column " + std::string(ck.str()) +
                         " must map to a target column name, or false to leave it out");
          }
        } else {
          at(v, "unknown key \"" + ks + "\" in tables." + std::string(name.str()));
        }
      }
      m[std::string(name.str())] = std::move(tm);
    }
  }
  return m;
}

Mapping read_json_mapping(const std::string &path) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.load(path).get(doc)) bad_mapping(path, simdjson::error_message(err));
  simdjson::dom::object root, tables;
  if (doc.get_object().get(root)) bad_mapping(path, "the document must be an object");
  Mapping m;
  for (auto [key, value] : root) {
    if (key != "tables") bad_mapping(path, "unknown key \"" + std::string(key) + "\"");
    if (value.get_object().get(tables)) bad_mapping(path, "\"tables\" must be an object");
    for (auto [name, tv] : tables) {
      simdjson::dom::object t;
      if (tv.get_object().get(t))
        bad_mapping(path, "tables." + std::string(name) + " must be an object");
      TableMapping tm;
      for (auto [k, v] : t) {
        std::string_view s;
        bool b;
        if (k == "to" && !v.get_string().get(s)) {
          tm.to = std::string(s);
        } else if (k == "skip" && !v.get_bool().get(b)) {
          tm.skip = b;
        } else if (simdjson::dom::object cols; k == "columns" && !v.get_object().get(cols)) {
          for (auto [ck, cv] : cols) {
            if (!cv.get_string().get(s))
              tm.columns[std::string(ck)] = std::string(s);
            else if (!cv.get_bool().get(b) && !b)
              tm.columns[std::string(ck)] = std::nullopt;
            else
              bad_mapping(path, "tables." + std::string(name) + ".columns." + std::string(ck) +
                                    " must be a target column name or false");
          }
        } else {
          bad_mapping(path, "tables." + std::string(name) + ": \"" + std::string(k) +
                                "\" is unknown or has the wrong type");
        }
      }
      m[std::string(name)] = std::move(tm);
    }
  }
  return m;
}

Mapping read_mapping(const std::string &path) {
  if (path.empty()) return {};
  if (!fs::is_regular_file(path))
    throw Error(ErrorCode::NotFound, "mapping file " + path + " does not exist").with_file(path);
  return fs::path(path).extension() == ".json" ? read_json_mapping(path) : read_toml_mapping(path);
}

// ---------------------------------------------------------------- the plan

struct TargetColumn {
  std::string name;
  TargetType type;
  bool not_null = false;
  bool has_default = false;
  bool identity = false;
  bool generated = false;
};

struct TargetTable {
  std::vector<TargetColumn> columns;
  std::vector<std::string> primary_key;
};

struct ColumnPlan {
  std::string source, target;
  TargetType type;
  bool not_null = false;
};

struct TablePlan {
  std::string source, target;  // names; the target is in the copy's schema
  std::string qualified;       // quoted schema.table
  std::string display;         // schema.table
  std::vector<ColumnPlan> columns;
  std::vector<std::size_t> key;  // indices into columns
  std::uint64_t rows = 0;
  bool has_rowid = true;
  std::vector<std::pair<std::string, std::string>> sequences;  // sequence, column
  std::size_t report = 0;                                      // index in CopyReport::tables
};

std::string pg_quote(const std::string &name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

bool is_text_like(Kind k) {
  return k == Kind::Text || k == Kind::Bpchar || k == Kind::Enum || k == Kind::Uuid ||
         k == Kind::Other || k == Kind::Json || k == Kind::Jsonb;
}

// Both sides sort keys the same way: bytes for text (SQLite's BINARY,
// PostgreSQL's "C"), numbers as numbers.
std::string sqlite_order(const TablePlan &t) {
  std::string out;
  for (std::size_t i : t.key) {
    if (!out.empty()) out += ", ";
    out += sqlite_quote(t.columns[i].source);
    if (is_text_like(t.columns[i].type.kind)) out += " COLLATE BINARY";
  }
  return out;
}

std::string pg_order(const TablePlan &t) {
  std::string out;
  for (std::size_t i : t.key) {
    if (!out.empty()) out += ", ";
    const auto &c = t.columns[i];
    out += is_text_like(c.type.kind) ? "(" + pg_quote(c.target) + "::text COLLATE \"C\")"
                                     : pg_quote(c.target);
  }
  return out;
}

std::string sqlite_path(const std::string &from) {
  std::string p = from;
  for (const char *prefix : {"sqlite://", "sqlite:", "file:"})
    if (p.rfind(prefix, 0) == 0) {
      p = p.substr(std::string(prefix).size());
      break;
    }
  return p;
}

std::string new_copy_id() {
  std::random_device rd;
  char buf[64];
  auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::snprintf(buf, sizeof buf, "copy-%04d%02d%02dT%02d%02d%02dZ-%08x", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, rd());
  return buf;
}

std::int64_t ms_since(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
}

// ---------------------------------------------------------------- libpq

[[noreturn]] void server_error(PGresult *r, PGconn *c, const std::string &what) {
  std::string message = r ? PQresultErrorMessage(r) : PQerrorMessage(c);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  Error e(ErrorCode::Database, what + ": " + message);
  if (state) e.with_sqlstate(state);
  if (r) PQclear(r);
  throw e;
}

// Waits for the end of a COPY; returns the server's error message, or ""
// when it succeeded.
std::string finish_copy(PGconn *c, std::string *sqlstate = nullptr) {
  std::string error;
  while (PGresult *r = PQgetResult(c)) {
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK &&
        error.empty()) {
      error = PQresultErrorMessage(r);
      while (!error.empty() && error.back() == '\n') error.pop_back();
      if (sqlstate && PQresultErrorField(r, PG_DIAG_SQLSTATE))
        *sqlstate = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    }
    PQclear(r);
  }
  return error;
}

// ---------------------------------------------------------------- the copy

// Per-row hashes by key, for finding the rows behind a digest difference.
struct KeyedRows {
  std::unordered_map<std::string, std::pair<std::string, Hash>> rows;  // key -> display, hash
};

struct Scan {
  std::uint64_t rows = 0;
  std::uint64_t failures = 0;
  std::string digest;
};

class Copier {
 public:
  Copier(const CopyOptions &o, const CallOptions &call) : o_(o), ctx_(call) {}
  CopyReport run();

 private:
  void open_source();
  void read_target_catalog();
  void plan();
  std::vector<std::vector<std::size_t>> order();
  Scan scan_source(TablePlan &t, PGconn *copy_to, bool record_failures, KeyedRows *collect);
  Scan scan_target(TablePlan &t, KeyedRows *compare, CopyTableReport *diff);
  void verify(TablePlan &t);
  void progress(const TablePlan &t, std::uint64_t rows, double rate, bool done);
  void reset_sequences(TablePlan &t);
  std::vector<std::string> drop_foreign_keys(const std::vector<std::size_t> &unit);

  const CopyOptions &o_;
  CallContext ctx_;
  CopyReport report_;
  std::string path_;
  Db db_;
  std::optional<pg::Connection> conn_;
  std::string schema_, database_;
  std::map<std::string, TargetTable> target_;
  // child -> parents (target names), with whether the constraint is deferrable
  struct Fk {
    std::string name, child, parent;
    bool deferrable;
  };
  std::vector<Fk> fks_;
  std::vector<TablePlan> plans_;
  std::map<std::string, std::uint64_t> done_;  // schema.table -> rows, for this source
  Clock::time_point last_progress_{};
};

void Copier::open_source() {
  path_ = sqlite_path(o_.from);
  if (path_.empty()) throw Error(ErrorCode::Invalid, "--from needs a SQLite file: sqlite:PATH");
  if (!fs::is_regular_file(path_))
    throw Error(ErrorCode::NotFound, "SQLite file " + path_ + " does not exist").with_file(path_);
  sqlite3 *raw = nullptr;
  int rc = sqlite3_open_v2(path_.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  db_.reset(raw);
  if (rc != SQLITE_OK)
    throw Error(ErrorCode::Io,
                path_ + ": SQLite cannot open it: " + (raw ? sqlite3_errmsg(raw) : "out of memory"))
        .with_file(path_);
  // One read transaction for the whole run: every table, the counts and
  // the verification see the same state. The first read takes the lock.
  if (sqlite3_exec(db_.get(), "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK)
    throw Error(ErrorCode::Io, path_ + ": " + sqlite3_errmsg(db_.get())).with_file(path_);
  auto s = prepare(db_.get(), "SELECT count(*) FROM sqlite_master", path_);
  if (!step(db_.get(), s.get(), path_))
    throw Error(ErrorCode::Io, path_ + ": not a SQLite database").with_file(path_);
  report_.source = path_;
  report_.source_identity = file_identity(path_, ctx_);
}

void Copier::read_target_catalog() {
  std::string url = o_.to;
  if (url.empty()) {
    const char *env = std::getenv("DATABASE_URL");
    if (!env || !*env)
      throw Error(ErrorCode::Invalid, "no target database: pass --to URL or set DATABASE_URL");
    url = env;
  }
  auto target = pg::parse_target(url);
  if (!target.pooler_reason.empty())
    throw Error(ErrorCode::Invalid, "the target URL goes through a transaction pooler (" +
                                        target.pooler_reason +
                                        "); COPY and the per-table transactions need a direct "
                                        "connection: use DIRECT_URL's value");
  report_.target = pg::redact(url);
  schema_ = target.schema.empty() ? "public" : target.schema;
  report_.schema = schema_;
  conn_.emplace(pg::Connection::open(target.conninfo, ctx_));
  // What the server prints is what canonical() parses; a read-only window
  // (dbsafe maintenance) must not stop the copy that it was opened for.
  conn_->simple(
      "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET bytea_output = 'hex'; "
      "SET extra_float_digits = 1; SET default_transaction_read_only = off; "
      "SET client_encoding = 'UTF8'");
  database_ = conn_->exec("SELECT current_database()").text(0, 0);

  auto cols = conn_->exec(
      "SELECT c.relname, a.attname, bt.typname, "
      "       CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END, "
      "       bt.typtype = 'e', format_type(a.atttypid, a.atttypmod), a.attnotnull, "
      "       a.atthasdef, a.attidentity <> '', a.attgenerated <> '', bt.oid "
      "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
      "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid "
      "JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END "
      "WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped "
      "ORDER BY c.relname, a.attnum",
      {schema_});
  std::map<std::string, std::set<std::string>> labels;
  auto enums = conn_->exec("SELECT enumtypid::text, enumlabel FROM pg_enum");
  for (int i = 0; i < enums.rows(); ++i) labels[enums.text(i, 0)].insert(enums.text(i, 1));
  for (int i = 0; i < cols.rows(); ++i) {
    TargetColumn c;
    c.name = cols.text(i, 1);
    bool is_enum = cols.text(i, 4) == "t";
    c.type = copy::classify(cols.text(i, 2), std::atoi(cols.text(i, 3).c_str()), is_enum,
                            cols.text(i, 5));
    if (is_enum) c.type.labels = labels[cols.text(i, 10)];
    c.not_null = cols.text(i, 6) == "t";
    c.has_default = cols.text(i, 7) == "t";
    c.identity = cols.text(i, 8) == "t";
    c.generated = cols.text(i, 9) == "t";
    target_[cols.text(i, 0)].columns.push_back(std::move(c));
  }
  auto pks = conn_->exec(
      "SELECT c.relname, a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
      "JOIN pg_namespace n ON n.oid = c.relnamespace "
      "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, ord) "
      "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
      "WHERE i.indisprimary AND n.nspname = $1 ORDER BY c.relname, k.ord",
      {schema_});
  for (int i = 0; i < pks.rows(); ++i)
    target_[pks.text(i, 0)].primary_key.push_back(pks.text(i, 1));
  auto fks = conn_->exec(
      "SELECT con.conname, c.relname, r.relname, con.condeferrable "
      "FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
      "JOIN pg_class r ON r.oid = con.confrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE con.contype = 'f' AND n.nspname = $1 AND r.relnamespace = c.relnamespace "
      "ORDER BY 2, 1",
      {schema_});
  for (int i = 0; i < fks.rows(); ++i)
    fks_.push_back({fks.text(i, 0), fks.text(i, 1), fks.text(i, 2), fks.text(i, 3) == "t"});
}

void Copier::plan() {
  auto mapping = read_mapping(o_.mapping_file);
  std::vector<std::string> names;
  {
    auto s = prepare(db_.get(), "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
                     path_);
    while (step(db_.get(), s.get(), path_))
      names.emplace_back(reinterpret_cast<const char *>(sqlite3_column_text(s.get(), 0)));
  }
  std::set<std::string> wanted(o_.tables.begin(), o_.tables.end());
  for (const auto &w : wanted)
    if (std::find(names.begin(), names.end(), w) == names.end())
      throw Error(ErrorCode::NotFound,
                  "--tables names " + w + ", which " + path_ + " does not have");
  for (const auto &[name, m] : mapping)
    if (std::find(names.begin(), names.end(), name) == names.end())
      throw Error(ErrorCode::Invalid,
                  o_.mapping_file + ": maps table " + name + ", which " + path_ + " does not have")
          .with_file(o_.mapping_file);

  std::vector<std::string> problems;
  for (const auto &name : names) {
    if (name.rfind("sqlite_", 0) == 0) continue;  // SQLite's own tables
    if (!wanted.empty() && !wanted.count(name)) continue;
    const TableMapping *m = mapping.count(name) ? &mapping.at(name) : nullptr;
    if (name == "_prisma_migrations" && !wanted.count(name)) {
      report_.skipped.push_back(name + ": Prisma's migration history; the target has its own");
      continue;
    }
    if (m && m->skip) {
      report_.skipped.push_back(name + ": skip = true in the mapping file");
      continue;
    }
    TablePlan t;
    t.source = name;
    t.target = m && m->to ? *m->to : name;
    t.qualified = pg_quote(schema_) + "." + pg_quote(t.target);
    t.display = schema_ + "." + t.target;
    auto tt = target_.find(t.target);
    if (tt == target_.end()) {
      problems.push_back("SQLite table " + name + " has no table " + t.display +
                         " in the target: create it with your PostgreSQL migrations, rename it "
                         "in the mapping file ([tables." +
                         name +
                         "] to = \"...\") or leave it "
                         "out (skip = true)");
      continue;
    }
    auto info = prepare(db_.get(), "PRAGMA table_info(" + sqlite_quote(name) + ")", path_);
    std::set<std::string> covered;
    while (step(db_.get(), info.get(), path_)) {
      std::string col = reinterpret_cast<const char *>(sqlite3_column_text(info.get(), 1));
      std::optional<std::string> to = col;
      if (m && m->columns.count(col)) to = m->columns.at(col);
      if (!to) continue;
      auto tc = std::find_if(tt->second.columns.begin(), tt->second.columns.end(),
                             [&](const TargetColumn &c) { return c.name == *to; });
      if (tc == tt->second.columns.end()) {
        problems.push_back("column " + name + "." + col + " has no column " + *to + " in " +
                           t.display + ": map it ([tables." + name + ".columns] " + col +
                           " = \"target\") or leave it out (" + col + " = false)");
        continue;
      }
      if (tc->generated) {
        problems.push_back("column " + t.display + "." + *to +
                           " is generated by PostgreSQL: leave " + name + "." + col +
                           " out in the mapping file (" + col + " = false)");
        continue;
      }
      covered.insert(*to);
      t.columns.push_back({col, *to, tc->type, tc->not_null});
    }
    for (const auto &c : tt->second.columns)
      if (!covered.count(c.name) && c.not_null && !c.has_default && !c.identity && !c.generated)
        problems.push_back("column " + t.display + "." + c.name +
                           " is NOT NULL without a default and no SQLite column maps to it");
    for (const auto &k : tt->second.primary_key)
      for (std::size_t i = 0; i < t.columns.size(); ++i)
        if (t.columns[i].target == k) t.key.push_back(i);
    if (t.key.size() != tt->second.primary_key.size() || t.key.empty()) {
      // No primary key among the copied columns: rows are compared whole.
      t.key.clear();
      for (std::size_t i = 0; i < t.columns.size(); ++i) t.key.push_back(i);
    }
    auto count = prepare(db_.get(), "SELECT count(*) FROM " + sqlite_quote(name), path_);
    step(db_.get(), count.get(), path_);
    t.rows = static_cast<std::uint64_t>(sqlite3_column_int64(count.get(), 0));
    sqlite3_stmt *probe = nullptr;
    t.has_rowid = sqlite3_prepare_v2(db_.get(), ("SELECT rowid FROM " + sqlite_quote(name)).c_str(),
                                     -1, &probe, nullptr) == SQLITE_OK;
    sqlite3_finalize(probe);
    for (const auto &c : t.columns) {
      if (c.type.kind != Kind::Int2 && c.type.kind != Kind::Int4 && c.type.kind != Kind::Int8)
        continue;
      auto seq = conn_->exec("SELECT pg_get_serial_sequence($1, $2)", {t.qualified, c.target});
      if (!seq.is_null(0, 0)) t.sequences.emplace_back(seq.text(0, 0), c.target);
    }
    plans_.push_back(std::move(t));
  }
  if (!problems.empty()) {
    std::string msg = "the SQLite tables do not fit the target schema " + schema_ + ":";
    for (const auto &p : problems) msg += "\n  - " + p;
    throw Error(ErrorCode::Invalid, msg);
  }
}

// Units of work in foreign-key order, parents first: each unit is one
// table, or the tables of a cycle (copied in one transaction with the
// cycle's constraints deferred).
std::vector<std::vector<std::size_t>> Copier::order() {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < plans_.size(); ++i) index[plans_[i].target] = i;
  std::size_t n = plans_.size();
  std::vector<std::set<std::size_t>> parents(n);
  for (const auto &fk : fks_) {
    auto c = index.find(fk.child), p = index.find(fk.parent);
    if (c == index.end() || p == index.end() || c->second == p->second) continue;
    parents[c->second].insert(p->second);
  }
  // Tarjan's strongly connected components, iteratively simple enough for
  // schemas of hundreds of tables: recursion depth is the table count.
  std::vector<int> idx(n, -1), low(n, 0), comp(n, -1);
  std::vector<bool> on(n, false);
  std::vector<std::size_t> stack;
  int counter = 0, comps = 0;
  std::function<void(std::size_t)> strong = [&](std::size_t v) {
    idx[v] = low[v] = counter++;
    stack.push_back(v);
    on[v] = true;
    for (std::size_t w : parents[v]) {
      if (idx[w] < 0) {
        strong(w);
        low[v] = std::min(low[v], low[w]);
      } else if (on[w]) {
        low[v] = std::min(low[v], idx[w]);
      }
    }
    if (low[v] == idx[v]) {
      std::size_t w;
      do {
        w = stack.back();
        stack.pop_back();
        on[w] = false;
        comp[w] = comps;
      } while (w != v);
      ++comps;
    }
  };
  for (std::size_t v = 0; v < n; ++v)
    if (idx[v] < 0) strong(v);
  // Tarjan numbers components so that a component comes after every
  // component it reaches: following "parent" edges, parents come first.
  std::vector<std::vector<std::size_t>> units(static_cast<std::size_t>(comps));
  for (std::size_t v = 0; v < n; ++v) units[static_cast<std::size_t>(comp[v])].push_back(v);
  std::vector<std::string> refused;
  for (auto &u : units) {
    if (u.size() < 2) continue;
    std::set<std::string> members;
    for (auto v : u) members.insert(plans_[v].target);
    std::string names, blocking;
    for (const auto &m : members) names += (names.empty() ? "" : ", ") + m;
    for (const auto &fk : fks_)
      if (members.count(fk.child) && members.count(fk.parent) && fk.child != fk.parent &&
          !fk.deferrable)
        blocking += "\n    ALTER TABLE " + pg_quote(schema_) + "." + pg_quote(fk.child) +
                    " ALTER CONSTRAINT " + pg_quote(fk.name) + " DEFERRABLE;";
    if (!blocking.empty())
      refused.push_back("the foreign keys between " + names +
                        " form a cycle, and a cycle can only be copied with its constraints "
                        "deferred until the tables are complete. Make them deferrable (a "
                        "catalog change, no table rewrite), then copy again:" +
                        blocking);
    else
      report_.cycles.push_back(names +
                               ": a foreign-key cycle, copied in one transaction with its "
                               "constraints deferred (SET CONSTRAINTS ALL DEFERRED)");
  }
  if (!refused.empty()) {
    std::string msg;
    for (const auto &r : refused) msg += (msg.empty() ? "" : "\n") + r;
    throw Error(ErrorCode::Invalid, msg);
  }
  return units;
}

void Copier::progress(const TablePlan &t, std::uint64_t rows, double rate, bool done) {
  if (o_.on_progress) o_.on_progress(CopyProgress{t.display, rows, t.rows, rate, done});
  if (ctx_.has_progress()) {
    util::JsonWriter w;
    w.begin_object()
        .field("event", "copy-progress")
        .field("table", t.display)
        .field("rows", rows)
        .field("total", t.rows)
        .field("rows_per_second", static_cast<std::uint64_t>(rate))
        .field("done", done)
        .end_object();
    ctx_.progress(w.str());
  }
}

// Reads the source table in key order, converting every value by its
// target column. With `copy_to` the rows go into a COPY already started on
// it; the caller ends it. Returns the rows read and the digest of their
// normalised values.
Scan Copier::scan_source(TablePlan &t, PGconn *copy_to, bool record_failures, KeyedRows *collect) {
  std::string sql = std::string("SELECT ") + (t.has_rowid ? "rowid" : "NULL");
  for (const auto &c : t.columns) sql += ", " + sqlite_quote(c.source);
  sql += " FROM " + sqlite_quote(t.source) + " ORDER BY " + sqlite_order(t);
  auto s = prepare(db_.get(), sql, path_);
  Scan scan;
  Sha256 table_hash;
  std::string buffer, row_text, key_text, key_display, value, reason;
  buffer.reserve(kCopyBuffer + 4096);
  std::vector<std::string> canon(t.columns.size());
  std::vector<bool> is_null(t.columns.size());
  auto t0 = Clock::now();
  last_progress_ = t0;
  bool sending = copy_to != nullptr;
  while (step(db_.get(), s.get(), path_)) {
    std::int64_t rowid = sqlite3_column_int64(s.get(), 0);
    std::size_t row_failures = 0;
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      const auto &c = t.columns[i];
      sqlite3_stmt *st = s.get();
      int col = static_cast<int>(i) + 1;
      SourceValue v;
      v.type = sqlite3_column_type(st, col);
      if (v.type == SQLITE_INTEGER) {
        v.integer = sqlite3_column_int64(st, col);
      } else if (v.type == SQLITE_FLOAT) {
        v.real = sqlite3_column_double(st, col);
      } else if (v.type == SQLITE_TEXT || v.type == SQLITE_BLOB) {
        const void *p = v.type == SQLITE_TEXT
                            ? static_cast<const void *>(sqlite3_column_text(st, col))
                            : sqlite3_column_blob(st, col);
        v.bytes = std::string_view(static_cast<const char *>(p),
                                   static_cast<std::size_t>(sqlite3_column_bytes(st, col)));
      }
      bool ok;
      if (v.type == SQLITE_NULL) {
        ok = !c.not_null;
        reason = "NULL, and " + t.display + "." + c.target + " is NOT NULL";
        is_null[i] = true;
      } else {
        ok = copy::convert(c.type, v, value, reason);
        is_null[i] = false;
        if (ok) canon[i] = copy::canonical(c.type, value);
      }
      if (ok) {
        if (sending) {
          if (i) buffer += '\t';
          if (is_null[i])
            buffer += "\\N";
          else
            copy::append_copy_escaped(buffer, value);
        }
        continue;
      }
      ++row_failures;
      canon[i] = copy::describe(v);
      is_null[i] = false;
      if (record_failures) {
        ++scan.failures;
        ++report_.failures_total;
        if (report_.failures.size() < kMaxFailuresListed)
          report_.failures.push_back({t.source, rowid, {}, c.source, copy::describe(v), reason});
      }
    }
    key_text.clear();
    key_display.clear();
    for (std::size_t k : t.key) {
      const std::string &part = is_null[k] ? std::string("NULL") : canon[k];
      key_text += std::to_string(part.size()) + ":" + part;
      key_display += (key_display.empty() ? "" : ", ") + part;
    }
    if (row_failures && record_failures)
      for (std::size_t f = report_.failures.size(); f-- > 0 && report_.failures[f].key.empty() &&
                                                    report_.failures[f].table == t.source &&
                                                    report_.failures[f].rowid == rowid;)
        report_.failures[f].key = key_display;
    if (row_failures) sending = false;  // the table will be rolled back: stop feeding it
    if (sending) {
      buffer += '\n';
      if (buffer.size() >= kCopyBuffer) {
        if (PQputCopyData(copy_to, buffer.data(), static_cast<int>(buffer.size())) != 1)
          server_error(nullptr, copy_to, "copying into " + t.display);
        buffer.clear();
      }
    } else if (copy_to) {
      buffer.clear();
    }
    row_text.clear();
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      if (is_null[i]) {
        row_text += "N;";
        continue;
      }
      row_text += 'V' + std::to_string(canon[i].size()) + ':';
      row_text += canon[i];
    }
    Hash h = sha256_of(row_text);
    table_hash.update(h.data(), h.size());
    if (collect) collect->rows[key_text] = {key_display, h};
    ++scan.rows;
    if ((scan.rows & 4095) == 0) {
      ctx_.checkpoint();
      auto now = Clock::now();
      if (now - last_progress_ >= std::chrono::milliseconds(500)) {
        last_progress_ = now;
        double secs = std::chrono::duration<double>(now - t0).count();
        progress(t, scan.rows, secs > 0 ? scan.rows / secs : 0, false);
      }
    }
  }
  if (sending && !buffer.empty() &&
      PQputCopyData(copy_to, buffer.data(), static_cast<int>(buffer.size())) != 1)
    server_error(nullptr, copy_to, "copying into " + t.display);
  scan.digest = hex(table_hash.finish());
  return scan;
}

// Splits one COPY TO text line into its fields, undoing the escapes.
void split_copy_line(std::string_view line, std::vector<std::optional<std::string>> &out) {
  out.clear();
  std::string field;
  bool null_field = false;
  for (std::size_t i = 0; i <= line.size(); ++i) {
    if (i == line.size() || line[i] == '\t' || line[i] == '\n') {
      if (null_field)
        out.emplace_back(std::nullopt);
      else
        out.emplace_back(field);
      field.clear();
      null_field = false;
      if (i == line.size() || line[i] == '\n') break;
      continue;
    }
    if (line[i] == '\\' && i + 1 < line.size()) {
      char n = line[++i];
      switch (n) {
        case 'N':
          null_field = true;
          break;
        case 'n':
          field += '\n';
          break;
        case 'r':
          field += '\r';
          break;
        case 't':
          field += '\t';
          break;
        case 'b':
          field += '\b';
          break;
        case 'f':
          field += '\f';
          break;
        case 'v':
          field += '\v';
          break;
        default:
          field += n;
      }
      continue;
    }
    field += line[i];
  }
}

Scan Copier::scan_target(TablePlan &t, KeyedRows *compare, CopyTableReport *diff) {
  std::string cols;
  for (const auto &c : t.columns) cols += (cols.empty() ? "" : ", ") + pg_quote(c.target);
  std::string sql =
      "COPY (SELECT " + cols + " FROM " + t.qualified + " ORDER BY " + pg_order(t) + ") TO STDOUT";
  PGconn *c = conn_->raw();
  PGresult *r = PQexec(c, sql.c_str());
  if (PQresultStatus(r) != PGRES_COPY_OUT) server_error(r, c, "reading " + t.display + " back");
  PQclear(r);
  Scan scan;
  Sha256 table_hash;
  std::vector<std::optional<std::string>> fields;
  std::string row_text, key_text, key_display;
  std::vector<std::string> canon(t.columns.size());
  char *line = nullptr;
  int n;
  while ((n = PQgetCopyData(c, &line, 0)) > 0) {
    split_copy_line(std::string_view(line, static_cast<std::size_t>(n)), fields);
    PQfreemem(line);
    if (fields.size() != t.columns.size())
      throw Error(ErrorCode::Internal, "reading " + t.display + " back: a row of " +
                                           std::to_string(fields.size()) + " fields, expected " +
                                           std::to_string(t.columns.size()));
    row_text.clear();
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (!fields[i]) {
        row_text += "N;";
        continue;
      }
      canon[i] = copy::canonical(t.columns[i].type, *fields[i]);
      row_text += 'V' + std::to_string(canon[i].size()) + ':';
      row_text += canon[i];
    }
    Hash h = sha256_of(row_text);
    table_hash.update(h.data(), h.size());
    ++scan.rows;
    if (compare) {
      key_text.clear();
      key_display.clear();
      for (std::size_t k : t.key) {
        const std::string part = fields[k] ? canon[k] : std::string("NULL");
        key_text += std::to_string(part.size()) + ":" + part;
        key_display += (key_display.empty() ? "" : ", ") + part;
      }
      auto it = compare->rows.find(key_text);
      std::string kind;
      if (it == compare->rows.end())
        kind = "extra";
      else if (it->second.second != h)
        kind = "changed";
      if (it != compare->rows.end()) compare->rows.erase(it);
      if (!kind.empty()) {
        ++diff->differences_total;
        if (diff->differences.size() < kMaxDifferencesListed)
          diff->differences.push_back({key_display, kind});
      }
    }
    if ((scan.rows & 4095) == 0) ctx_.checkpoint();
  }
  if (n == -2) server_error(nullptr, c, "reading " + t.display + " back");
  if (auto err = finish_copy(c); !err.empty())
    throw Error(ErrorCode::Database, "reading " + t.display + " back: " + err);
  if (compare) {
    for (auto &[key, v] : compare->rows) {
      ++diff->differences_total;
      if (diff->differences.size() < kMaxDifferencesListed)
        diff->differences.push_back({v.first, "missing"});
    }
  }
  scan.digest = hex(table_hash.finish());
  return scan;
}

void Copier::verify(TablePlan &t) {
  auto &r = report_.tables[t.report];
  if (r.source_digest.empty()) r.source_digest = scan_source(t, nullptr, false, nullptr).digest;
  auto target = scan_target(t, nullptr, nullptr);
  r.target_rows = target.rows;
  r.target_digest = target.digest;
  r.verified = true;
  if (r.target_digest == r.source_digest) return;
  // Find the rows: the source's row hashes by key, then the target
  // streamed against them. Memory grows with the table, but only here.
  KeyedRows rows;
  scan_source(t, nullptr, false, &rows);
  scan_target(t, &rows, &r);
  if (r.differences_total == 0)
    r.note =
        "every row is equal; the two sides sort some keys differently, so the ordered "
        "digests differ";
}

// Foreign keys checked once per constraint instead of once per row: inside
// the unit's transaction its outgoing constraints are dropped, and the
// statements returned add them back (the server validates each with one
// join) before COMMIT, so a failure or a kill rolls both back and the
// schema ends as it was. Without ownership of the tables the drop fails and
// the per-row checks stay.
std::vector<std::string> Copier::drop_foreign_keys(const std::vector<std::size_t> &unit) {
  std::vector<std::string> readd;
  conn_->simple("SAVEPOINT dbsafe_copy_fk");
  try {
    for (auto i : unit) {
      const auto &t = plans_[i];
      auto fks = conn_->exec(
          "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
          "WHERE contype = 'f' AND conrelid = $1::regclass ORDER BY conname",
          {t.qualified});
      for (int r = 0; r < fks.rows(); ++r) {
        conn_->simple("ALTER TABLE " + t.qualified + " DROP CONSTRAINT " +
                      pg_quote(fks.text(r, 0)));
        readd.push_back("ALTER TABLE " + t.qualified + " ADD CONSTRAINT " +
                        pg_quote(fks.text(r, 0)) + " " + fks.text(r, 1));
      }
    }
    conn_->simple("RELEASE SAVEPOINT dbsafe_copy_fk");
  } catch (const pg::ServerError &e) {
    conn_->simple("ROLLBACK TO SAVEPOINT dbsafe_copy_fk");
    readd.clear();
    ctx_.log(LogLevel::Info, "copy", "foreign keys stay checked row by row (" + e.primary() + ")");
  }
  return readd;
}

void Copier::reset_sequences(TablePlan &t) {
  auto &r = report_.tables[t.report];
  for (const auto &[seq, col] : t.sequences) {
    auto res = conn_->exec("SELECT setval($1::regclass, m) FROM (SELECT max(" + pg_quote(col) +
                               ")::bigint AS m FROM " + t.qualified + ") s WHERE m IS NOT NULL",
                           {seq});
    if (res.rows() == 1) r.sequences_reset.push_back(seq + " = " + res.text(0, 0));
  }
}

CopyReport Copier::run() {
  auto t0 = Clock::now();
  report_.dry_run = o_.dry_run;
  report_.single_transaction = o_.single_transaction;
  report_.verify = o_.verify && !o_.dry_run;
  report_.copy_id = new_copy_id();
  if (o_.truncate && o_.dry_run == false && o_.confirm.empty())
    throw Error(ErrorCode::Invalid,
                "--truncate empties the target tables: confirm with --confirm DATABASE (the "
                "target database's name)");
  open_source();
  read_target_catalog();
  if (o_.truncate && !o_.dry_run && o_.confirm != database_)
    throw Error(ErrorCode::Invalid, "--confirm " + o_.confirm +
                                        " does not name the target "
                                        "database, which is " +
                                        database_);
  plan();
  auto units = order();
  for (auto &unit : units)
    for (auto i : unit) {
      auto &t = plans_[i];
      t.report = report_.tables.size();
      CopyTableReport r;
      r.source = t.source;
      r.target = t.display;
      r.source_rows = t.rows;
      for (const auto &c : t.columns)
        r.conversions.push_back(c.source + (c.source == c.target ? "" : " -> " + c.target) + ": " +
                                copy::conversion_name(c.type));
      report_.tables.push_back(std::move(r));
    }

  // What an earlier run of the same source bytes finished.
  if (conn_->exec("SELECT to_regclass('dbsafe.copy_progress') IS NOT NULL").text(0, 0) == "t") {
    auto done =
        conn_->exec("SELECT table_name, rows FROM dbsafe.copy_progress WHERE source_digest = $1",
                    {report_.source_identity});
    for (int i = 0; i < done.rows(); ++i)
      done_[done.text(i, 0)] = std::strtoull(done.text(i, 1).c_str(), nullptr, 10);
  }
  std::vector<std::string> non_empty;
  for (auto &t : plans_) {
    if (done_.count(t.display)) continue;
    if (conn_->exec("SELECT EXISTS (SELECT 1 FROM " + t.qualified + ")").text(0, 0) == "t")
      non_empty.push_back(t.display);
  }
  if (!non_empty.empty() && !o_.truncate) {
    std::string list;
    for (const auto &n : non_empty) list += (list.empty() ? "" : ", ") + n;
    if (!o_.dry_run)
      throw Error(ErrorCode::State,
                  "the target tables " + list +
                      " already hold rows; nothing was copied. Copy into empty tables, or pass "
                      "--truncate --confirm " +
                      database_ + " to empty them first");
    for (auto &t : plans_)
      if (std::find(non_empty.begin(), non_empty.end(), t.display) != non_empty.end())
        report_.tables[t.report].note = "the target table holds rows: a copy needs --truncate";
  }

  PGconn *c = conn_->raw();
  if (!o_.dry_run) {
    // Quietly: "already exists" notices on every rerun would read as news.
    conn_->simple(
        "SET client_min_messages = warning; CREATE SCHEMA IF NOT EXISTS dbsafe; "
        "CREATE TABLE IF NOT EXISTS dbsafe.copy_progress ("
        " source_digest text NOT NULL, table_name text NOT NULL, copy_id text NOT NULL,"
        " source_path text NOT NULL, rows bigint NOT NULL,"
        " finished_at timestamptz NOT NULL DEFAULT now(),"
        " PRIMARY KEY (source_digest, table_name)); RESET client_min_messages");
    if (o_.single_transaction) conn_->simple("BEGIN");
    if (o_.truncate && !non_empty.empty()) {
      std::string list;
      // Every table about to be filled, in one statement: a table another
      // one references can only be emptied together with it.
      for (auto &t : plans_)
        if (!done_.count(t.display)) list += (list.empty() ? "" : ", ") + t.qualified;
      ctx_.log(LogLevel::Info, "copy", "emptying " + std::to_string(non_empty.size()) + " tables");
      conn_->simple("TRUNCATE " + list);
    }
  }

  std::set<std::string> failed;
  bool aborted = false;  // single transaction: a failure rolls everything back
  for (auto &unit : units) {
    bool all_done = !o_.dry_run && !o_.single_transaction;
    for (auto i : unit) all_done = all_done && done_.count(plans_[i].display);
    if (all_done) {
      for (auto i : unit) {
        auto &r = report_.tables[plans_[i].report];
        r.status = "resumed";
        r.copied_rows = done_[plans_[i].display];
      }
      continue;
    }
    std::string blocked_by;
    for (auto i : unit)
      for (const auto &fk : fks_)
        if (fk.child == plans_[i].target && failed.count(fk.parent) && fk.parent != fk.child)
          blocked_by = fk.parent;
    if (!blocked_by.empty() && !o_.dry_run) {
      for (auto i : unit) {
        auto &r = report_.tables[plans_[i].report];
        r.status = "blocked";
        r.note = "not copied: it references " + blocked_by + ", which failed";
        failed.insert(plans_[i].target);
      }
      continue;
    }
    bool copying = !o_.dry_run && !aborted;
    if (copying && !o_.single_transaction) conn_->simple("BEGIN");
    if (copying && unit.size() > 1) conn_->simple("SET CONSTRAINTS ALL DEFERRED");
    std::vector<std::string> readd;
    if (copying) readd = drop_foreign_keys(unit);
    bool unit_failed = false;
    for (auto i : unit) {
      auto &t = plans_[i];
      auto &r = report_.tables[t.report];
      auto t1 = Clock::now();
      bool feed = copying && !unit_failed;
      if (feed) {
        std::string cols;
        for (const auto &col : t.columns) cols += (cols.empty() ? "" : ", ") + pg_quote(col.target);
        PGresult *res = PQexec(c, ("COPY " + t.qualified + " (" + cols + ") FROM STDIN").c_str());
        if (PQresultStatus(res) != PGRES_COPY_IN) server_error(res, c, "copying into " + t.display);
        PQclear(res);
      }
      Scan scan;
      try {
        scan = scan_source(t, feed ? c : nullptr, true, nullptr);
      } catch (...) {
        if (feed) {
          PQputCopyEnd(c, "dbsafe copy stopped");
          finish_copy(c);
        }
        throw;
      }
      if (feed) {
        if (scan.failures) {
          PQputCopyEnd(c, "conversion failures: dbsafe copy rolls this table back");
          finish_copy(c);
        } else {
          if (PQputCopyEnd(c, nullptr) != 1) server_error(nullptr, c, "copying into " + t.display);
          std::string sqlstate;
          if (auto err = finish_copy(c, &sqlstate); !err.empty())
            throw Error(ErrorCode::Database,
                        "copying into " + t.display + ": " + err +
                            (o_.single_transaction
                                 ? "; nothing was copied (single transaction)"
                                 : "; this table was rolled back, the tables before it are "
                                   "copied and recorded, and a rerun resumes here"))
                .with_sqlstate(sqlstate);
        }
      }
      r.duration_ms = ms_since(t1);
      double secs = std::chrono::duration<double>(Clock::now() - t1).count();
      r.rows_per_second = secs > 0 ? scan.rows / secs : 0;
      progress(t, scan.rows, r.rows_per_second, true);
      if (scan.failures) {
        unit_failed = true;
        r.status = "failed";
        r.note = std::to_string(scan.failures) +
                 (o_.dry_run ? " values would not convert"
                             : " values do not convert; nothing of this table was copied");
        continue;
      }
      r.source_digest = scan.digest;
      if (o_.dry_run) {
        r.status = "planned";
        continue;
      }
      if (!feed) {
        r.status = "rolled-back";
        r.note = "not copied: the single transaction had already failed";
        continue;
      }
      r.copied_rows = scan.rows;
      r.status = "copied";
      reset_sequences(t);
      conn_->exec(
          "INSERT INTO dbsafe.copy_progress (source_digest, table_name, copy_id, source_path, "
          "rows) "
          "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (source_digest, table_name) DO UPDATE SET "
          "copy_id = excluded.copy_id, rows = excluded.rows, finished_at = now()",
          {report_.source_identity, t.display, report_.copy_id, path_, std::to_string(scan.rows)});
    }
    if (copying && !unit_failed) {
      for (const auto &statement : readd) {
        try {
          conn_->simple(statement);
        } catch (const pg::ServerError &e) {
          std::string names;
          for (auto i : unit) names += (names.empty() ? "" : ", ") + plans_[i].display;
          throw Error(ErrorCode::Database, "checking the foreign keys of " + names +
                                               " after the copy: " + e.primary() +
                                               "; these tables were rolled back")
              .with_sqlstate(e.sqlstate());
        }
      }
    }
    if (unit_failed) {
      for (auto i : unit) {
        failed.insert(plans_[i].target);
        auto &r = report_.tables[plans_[i].report];
        if (r.status != "failed") {
          r.status = o_.dry_run ? "planned" : "failed";
          if (!o_.dry_run) {
            r.copied_rows = 0;
            r.note = "rolled back with the other tables of its foreign-key cycle";
          }
        }
      }
      if (copying) {
        if (o_.single_transaction) {
          aborted = true;
        } else {
          conn_->simple("ROLLBACK");
        }
      }
    } else if (copying && !o_.single_transaction) {
      conn_->simple("COMMIT");
    }
  }
  if (!o_.dry_run && o_.single_transaction) {
    conn_->simple(aborted ? "ROLLBACK" : "COMMIT");
    if (aborted)
      for (auto &r : report_.tables)
        if (r.status == "copied") {
          r.status = "rolled-back";
          r.copied_rows = 0;
          r.note = "rolled back: the single transaction had conversion failures";
        }
  }

  for (auto &t : plans_) {
    auto &r = report_.tables[t.report];
    report_.rows_copied += r.status == "copied" ? r.copied_rows : 0;
    if (report_.verify && (r.status == "copied" || r.status == "resumed")) verify(t);
  }
  report_.ok = report_.failures_total == 0;
  for (const auto &r : report_.tables)
    if (r.verified && (r.target_rows != r.source_rows || r.differences_total > 0))
      report_.ok = false;
  report_.duration_ms = ms_since(t0);
  return report_;
}

}  // namespace

CopyReport copy_sqlite(const CopyOptions &options, const CallOptions &call) {
  Copier copier(options, call);
  return copier.run();
}

}  // namespace v1
}  // namespace dbsafe
