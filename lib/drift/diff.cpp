// The differ. Changes are collected into phases that run in a fixed order,
// so that what depends on an object is dropped before it and created after
// it:
//
//   renames → drop dependents (policies, triggers, views, foreign keys,
//   constraints, indexes) → schemas, extensions → types → sequences →
//   functions → tables and columns → drop tables → sequence ownership →
//   constraints → functions on row types → views → indexes → foreign keys →
//   triggers → policies and RLS → comments → drop functions, sequences,
//   types, extensions, schemas.
#include "drift/diff.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <set>

#include "schema/ddl.hpp"

namespace dbsafe::diff {

using namespace dbsafe::schema;

namespace {

enum Phase {
  kRename,
  kDropDependents,
  kNamespaces,
  kTypes,
  kSequences,
  kFunctions,
  kTables,
  kDropTables,
  kSequenceOwnership,
  kConstraints,
  kLateFunctions,
  kViews,
  kIndexes,
  kForeignKeys,
  kTriggers,
  kPolicies,
  kComments,
  kDropLast,
  kPhaseCount
};

template <typename T>
std::map<std::string, const T *> by_key(const std::vector<T> &items) {
  std::map<std::string, const T *> out;
  for (const auto &i : items) out[i.key()] = &i;
  return out;
}

// "CREATE [UNIQUE] INDEX" and what follows " ON ": an index's definition
// without its name, to recognise an index that was only renamed.
std::string index_body(const std::string &definition) {
  auto kw = definition.find(" INDEX ");
  auto on = definition.find(" ON ", kw == std::string::npos ? 0 : kw + 7);
  if (kw == std::string::npos || on == std::string::npos) return definition;
  return definition.substr(0, kw) + definition.substr(on);
}

const std::string kNotValid = " NOT VALID";

std::string without_not_valid(const std::string &def) {
  if (def.size() > kNotValid.size() &&
      def.compare(def.size() - kNotValid.size(), kNotValid.size(), kNotValid) == 0)
    return def.substr(0, def.size() - kNotValid.size());
  return def;
}

// PostgreSQL's quote_ident for the common case, to find a name inside a
// definition it printed. Keywords it would also quote are not detected; a
// miss only means a rebuilt instead of a rewritten definition.
std::string pg_ident(const std::string &name) {
  bool plain =
      !name.empty() && (std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (char c : name)
    plain = plain && (std::islower(static_cast<unsigned char>(c)) ||
                      std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '$');
  return plain ? name : quote(name);
}

bool ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' || c == '"';
}

// Replaces whole-token occurrences of `from` in `text`.
std::string replace_token(const std::string &text, const std::string &from, const std::string &to) {
  if (from.empty() || from == to) return text;
  std::string out;
  std::size_t pos = 0;
  while (true) {
    auto at = text.find(from, pos);
    if (at == std::string::npos) break;
    bool left_ok = at == 0 || !ident_char(text[at - 1]) || text[at - 1] == '.';
    std::size_t end = at + from.size();
    bool right_ok = end >= text.size() || !ident_char(text[end]);
    // A qualified name's table part is preceded by '.', which is fine for
    // a table; for a column name `.col` means another table's column.
    out += text.substr(pos, at - pos);
    out += (left_ok && right_ok) ? to : from;
    pos = end;
  }
  return out + text.substr(pos);
}

class Differ {
 public:
  Differ(const Model &from, const Model &to)
      : from_(from), to_(to), from_ddl_(from_), to_ddl_(to) {}

  DiffResult run(const std::vector<RenameHint> &renames) {
    apply_renames(renames);
    from_ddl_ = Ddl(from_);
    diff_namespaces();
    diff_types();
    diff_sequences();
    diff_functions();
    diff_tables();
    diff_constraints();
    diff_views();
    diff_indexes();
    diff_triggers();
    diff_policies();
    diff_comments();
    likely_renames();
    unsupported();
    DiffResult r;
    for (auto &phase : phases_)
      for (auto &c : phase) r.changes.push_back(std::move(c));
    r.warnings = std::move(warnings_);
    return r;
  }

 private:
  void add(Phase phase, std::string action, std::string type, std::string object,
           std::string description, std::vector<std::string> sql, bool destructive = false) {
    phases_[phase].push_back(SchemaChange{std::move(action), std::move(type), std::move(object),
                                          std::move(description), std::move(sql), destructive});
  }

  // --- renames (hints only) ------------------------------------------------

  void apply_renames(const std::vector<RenameHint> &renames) {
    for (const auto &hint : renames) {
      if (hint.kind == RenameHint::Kind::Table)
        rename_table(hint);
      else
        rename_column(hint);
    }
  }

  Table *from_table(const std::string &key) {
    for (auto &t : from_.tables)
      if (t.key() == key) return &t;
    return nullptr;
  }

  void rename_table(const RenameHint &hint) {
    Table *t = from_table(hint.from);
    if (!t) {
      warnings_.push_back("rename hint: table " + hint.from +
                          " is not in the source schema; ignored");
      return;
    }
    auto dot = hint.to.find('.');
    std::string schema_name = dot == std::string::npos ? t->schema : hint.to.substr(0, dot);
    std::string name = dot == std::string::npos ? hint.to : hint.to.substr(dot + 1);
    if (schema_name != t->schema)
      throw Error(ErrorCode::Invalid, "rename hint " + hint.from + "=" + hint.to +
                                          ": moving a table to another schema is not a rename; "
                                          "give the new name in schema " +
                                          t->schema);
    std::string old_key = t->key(), old_q = t->qname;
    std::string new_key = schema_name + "." + name;
    std::string new_q = pg_ident(schema_name) + "." + pg_ident(name);
    for (const auto &to_t : to_.tables)
      if (to_t.key() == new_key) new_q = to_t.qname;
    add(kRename, "rename", "table", old_key, "table " + old_key + " renamed to " + new_key,
        {"ALTER TABLE " + quote(t->schema, t->name) + " RENAME TO " + quote(name) + ";"});
    t->name = name;
    t->qname = new_q;
    auto retarget = [&](std::string &def) { def = replace_token(def, old_q, new_q); };
    for (auto &other : from_.tables) {
      if (other.partition_of == old_key) other.partition_of = new_key;
      for (auto &c : other.constraints) {
        if (c.references == old_key) c.references = new_key;
        retarget(c.definition);
      }
    }
    for (auto &i : from_.indexes)
      if (i.table == old_key) {
        i.table = new_key;
        retarget(i.definition);
      }
    for (auto &tr : from_.triggers)
      if (tr.table == old_key) {
        tr.table = new_key;
        retarget(tr.definition);
      }
    for (auto &p : from_.policies)
      if (p.table == old_key) p.table = new_key;
    for (auto &s : from_.sequences)
      if (s.owned_by_table == old_key) s.owned_by_table = new_key;
    for (auto &v : from_.views)
      for (auto &d : v.depends_on)
        if (d == old_key) d = new_key;
    from_.sort();
  }

  void rename_column(const RenameHint &hint) {
    auto dot = hint.from.rfind('.');
    Table *t = dot == std::string::npos ? nullptr : from_table(hint.from.substr(0, dot));
    std::string old_name = dot == std::string::npos ? hint.from : hint.from.substr(dot + 1);
    Column *col = nullptr;
    if (t)
      for (auto &c : t->columns)
        if (c.name == old_name) col = &c;
    if (!col) {
      warnings_.push_back("rename hint: column " + hint.from +
                          " is not in the source schema; ignored");
      return;
    }
    add(kRename, "rename", "column", hint.from, "column " + hint.from + " renamed to " + hint.to,
        {"ALTER TABLE " + quote(t->schema, t->name) + " RENAME COLUMN " + quote(old_name) + " TO " +
         quote(hint.to) + ";"});
    col->name = hint.to;
    std::string a = pg_ident(old_name), b = pg_ident(hint.to);
    for (auto &c : t->constraints) c.definition = replace_token(c.definition, a, b);
    for (auto &i : from_.indexes)
      if (i.table == t->key()) i.definition = replace_token(i.definition, a, b);
    for (auto &s : from_.sequences)
      if (s.owned_by_table == t->key() && s.owned_by_column == old_name)
        s.owned_by_column = hint.to;
  }

  // --- schemas and extensions ---------------------------------------------

  void diff_namespaces() {
    std::set<std::string> from_ns, to_ns;
    for (const auto &s : from_.schemas) from_ns.insert(s.name);
    for (const auto &s : to_.schemas) to_ns.insert(s.name);
    for (const auto &s : to_.schemas)
      if (!from_ns.count(s.name))
        add(kNamespaces, "create", "schema", s.name, "schema " + s.name + " is missing",
            {"CREATE SCHEMA IF NOT EXISTS " + quote(s.name) + ";"});
    for (const auto &s : from_.schemas)
      if (!to_ns.count(s.name))
        add(kDropLast, "drop", "schema", s.name, "schema " + s.name + " is not expected",
            {"DROP SCHEMA " + quote(s.name) + ";"}, true);
    std::map<std::string, const Extension *> fe, te;
    for (const auto &e : from_.extensions) fe[e.name] = &e;
    for (const auto &e : to_.extensions) te[e.name] = &e;
    for (const auto &[name, e] : te) {
      auto it = fe.find(name);
      if (it == fe.end()) {
        add(kNamespaces, "create", "extension", name, "extension " + name + " is missing",
            {"CREATE EXTENSION IF NOT EXISTS " + quote(name) + " WITH SCHEMA " + quote(e->schema) +
             ";"});
      } else {
        if (it->second->schema != e->schema)
          add(kNamespaces, "alter", "extension", name,
              "extension " + name + " is in schema " + it->second->schema + ", expected " +
                  e->schema,
              {"ALTER EXTENSION " + quote(name) + " SET SCHEMA " + quote(e->schema) + ";"});
        if (it->second->version != e->version)
          warnings_.push_back("extension " + name + " is version " + it->second->version +
                              " on one side and " + e->version +
                              " on the other (not changed by dbsafe)");
      }
    }
    for (const auto &[name, e] : fe)
      if (!te.count(name))
        add(kDropLast, "drop", "extension", name, "extension " + name + " is not expected",
            {"DROP EXTENSION " + quote(name) + ";"}, true);
  }

  // --- types ---------------------------------------------------------------

  // Columns of `model` whose type is `type_name` (or an array of it).
  static std::vector<std::pair<const Table *, const Column *>> columns_of_type(
      const Model &model, const std::string &type_name) {
    std::vector<std::pair<const Table *, const Column *>> out;
    for (const auto &t : model.tables)
      for (const auto &c : t.columns)
        if (!c.inherited && (c.type == type_name || c.type == type_name + "[]"))
          out.push_back({&t, &c});
    return out;
  }

  void diff_types() {
    auto fe = by_key(from_.enums), te = by_key(to_.enums);
    for (const auto &[key, e] : te) {
      auto it = fe.find(key);
      if (it == fe.end()) {
        add(kTypes, "create", "enum", key, "enum " + key + " is missing", {Ddl::create_enum(*e)});
        continue;
      }
      const auto &old = it->second->labels;
      if (old == e->labels) continue;
      // Additions only (the old labels, in order, are a subsequence of the
      // new ones): ALTER TYPE ... ADD VALUE keeps every stored value.
      std::size_t j = 0;
      for (const auto &l : e->labels)
        if (j < old.size() && l == old[j]) ++j;
      if (j == old.size()) {
        std::vector<std::string> sql;
        std::string added;
        for (std::size_t i = 0; i < e->labels.size(); ++i) {
          const auto &l = e->labels[i];
          if (std::find(old.begin(), old.end(), l) != old.end()) continue;
          // In label order, the previous label exists by now (old or just
          // added); a new first label goes before the first old one.
          std::string where = i > 0         ? " AFTER " + literal(e->labels[i - 1])
                              : old.empty() ? std::string()
                                            : " BEFORE " + literal(old[0]);
          sql.push_back("ALTER TYPE " + quote(e->schema, e->name) + " ADD VALUE " + literal(l) +
                        where + ";");
          added += (added.empty() ? "" : ", ") + l;
        }
        add(kTypes, "alter", "enum", key, "enum " + key + " lacks value(s) " + added, sql);
        continue;
      }
      recreate_enum(*it->second, *e);
    }
    for (const auto &[key, e] : fe)
      if (!te.count(key))
        add(kDropLast, "drop", "enum", key, "enum " + key + " is not expected",
            {"DROP TYPE " + quote(e->schema, e->name) + ";"}, true);

    auto fd = by_key(from_.domains), td = by_key(to_.domains);
    for (auto i : types_order(to_.domains)) {
      const Domain &d = to_.domains[i];
      auto it = fd.find(d.key());
      if (it == fd.end()) {
        add(kTypes, "create", "domain", d.key(), "domain " + d.key() + " is missing",
            {Ddl::create_domain(d)});
        continue;
      }
      const Domain &o = *it->second;
      std::string q = quote(d.schema, d.name);
      if (o.base_type != d.base_type || o.collation != d.collation) {
        warnings_.push_back("domain " + d.key() + " changed its base type or collation (" +
                            o.base_type + " → " + d.base_type +
                            "); PostgreSQL cannot alter that, so it is dropped and "
                            "created, which fails while columns use it");
        add(kTypes, "alter", "domain", d.key(), "domain " + d.key() + " has another base type",
            {"DROP DOMAIN " + q + ";", Ddl::create_domain(d)}, true);
        continue;
      }
      std::vector<std::string> sql;
      if (o.default_expr != d.default_expr)
        sql.push_back(
            "ALTER DOMAIN " + q +
            (d.default_expr.empty() ? " DROP DEFAULT;" : " SET DEFAULT " + d.default_expr + ";"));
      if (o.not_null != d.not_null)
        sql.push_back("ALTER DOMAIN " + q + (d.not_null ? " SET NOT NULL;" : " DROP NOT NULL;"));
      for (const auto &c : o.checks)
        if (std::find(d.checks.begin(), d.checks.end(), c) == d.checks.end())
          sql.push_back("ALTER DOMAIN " + q + " DROP CONSTRAINT " + quote(c.name) + ";");
      for (const auto &c : d.checks)
        if (std::find(o.checks.begin(), o.checks.end(), c) == o.checks.end())
          sql.push_back("ALTER DOMAIN " + q + " ADD CONSTRAINT " + quote(c.name) + " " +
                        c.definition + ";");
      if (!sql.empty())
        add(kTypes, "alter", "domain", d.key(), "domain " + d.key() + " differs", sql);
    }
    for (const auto &[key, d] : fd)
      if (!td.count(key))
        add(kDropLast, "drop", "domain", key, "domain " + key + " is not expected",
            {"DROP DOMAIN " + quote(d->schema, d->name) + ";"}, true);

    auto fc = by_key(from_.composites), tc = by_key(to_.composites);
    for (const auto &[key, c] : tc) {
      auto it = fc.find(key);
      if (it == fc.end()) {
        add(kTypes, "create", "type", key, "type " + key + " is missing",
            {Ddl::create_composite(*c)});
        continue;
      }
      std::vector<std::string> sql;
      std::string q = quote(c->schema, c->name);
      for (const auto &a : c->attributes) {
        auto o = std::find_if(it->second->attributes.begin(), it->second->attributes.end(),
                              [&](const Column &x) { return x.name == a.name; });
        if (o == it->second->attributes.end())
          sql.push_back("ALTER TYPE " + q + " ADD ATTRIBUTE " + quote(a.name) + " " + a.type + ";");
        else if (o->type != a.type || o->collation != a.collation) {
          std::string type = a.type + (a.collation.empty() ? "" : " COLLATE " + a.collation);
          if (columns_of_type(from_, c->type_name).empty()) {
            sql.push_back("ALTER TYPE " + q + " ALTER ATTRIBUTE " + quote(a.name) + " TYPE " +
                          type + ";");
          } else {
            // PostgreSQL refuses to retype an attribute of a type a column
            // uses: the attribute is dropped and added, losing its values.
            warnings_.push_back(
                "attribute " + a.name + " of type " + key +
                " changes type while columns use the type: it is dropped and added, "
                "so its stored values are lost; convert them by hand if they matter");
            sql.push_back("ALTER TYPE " + q + " DROP ATTRIBUTE " + quote(a.name) + ";");
            sql.push_back("ALTER TYPE " + q + " ADD ATTRIBUTE " + quote(a.name) + " " + type + ";");
          }
        }
      }
      for (const auto &o : it->second->attributes)
        if (std::none_of(c->attributes.begin(), c->attributes.end(),
                         [&](const Column &x) { return x.name == o.name; }))
          sql.push_back("ALTER TYPE " + q + " DROP ATTRIBUTE " + quote(o.name) + ";");
      if (!sql.empty())
        add(kTypes, "alter", "type", key, "type " + key + " has other attributes", sql);
    }
    for (const auto &[key, c] : fc)
      if (!tc.count(key))
        add(kDropLast, "drop", "type", key, "type " + key + " is not expected",
            {"DROP TYPE " + quote(c->schema, c->name) + ";"}, true);
  }

  static std::vector<std::size_t> types_order(const std::vector<Domain> &domains) {
    return topological_order(domains.size(), [&](std::size_t i) {
      std::vector<std::size_t> deps;
      for (std::size_t j = 0; j < domains.size(); ++j)
        if (j != i && domains[i].base_type == domains[j].type_name) deps.push_back(j);
      return deps;
    });
  }

  // Values removed or reordered: PostgreSQL cannot drop an enum value, so
  // the type is rebuilt and every column using it converted through text (a
  // stored value that no longer exists makes the conversion fail, which is
  // the right outcome: nothing is silently lost).
  void recreate_enum(const EnumType &old, const EnumType &e) {
    std::string q = quote(e.schema, e.name);
    std::string old_name = e.name + "_old";
    std::vector<std::string> sql{"ALTER TYPE " + q + " RENAME TO " + quote(old_name) + ";",
                                 Ddl::create_enum(e)};
    std::string old_type_name = old.type_name;
    for (auto [t, c] : columns_of_type(from_, old.type_name)) {
      std::string tq = quote(t->schema, t->name);
      bool array = c->type.size() > 2 && c->type.compare(c->type.size() - 2, 2, "[]") == 0;
      if (!c->default_expr.empty())
        sql.push_back("ALTER TABLE " + tq + " ALTER COLUMN " + quote(c->name) + " DROP DEFAULT;");
      sql.push_back("ALTER TABLE " + tq + " ALTER COLUMN " + quote(c->name) + " TYPE " + q +
                    (array ? "[]" : "") + " USING (" + quote(c->name) + "::text" +
                    (array ? "[]" : "") + "::" + q + (array ? "[]" : "") + ");");
      // The default comes back from the target column in the table phase.
      if (!c->default_expr.empty()) enum_defaults_dropped_.insert(t->key() + "." + c->name);
      altered_relations_.insert(t->key());
    }
    sql.push_back("DROP TYPE " + quote(e.schema, old_name) + ";");
    add(kTypes, "alter", "enum", e.key(),
        "enum " + e.key() + " has values removed or reordered: rebuilt", sql, true);
  }

  static bool is_enum(const Model &m, const std::string &type) {
    std::string base = type.size() > 2 && type.compare(type.size() - 2, 2, "[]") == 0
                           ? type.substr(0, type.size() - 2)
                           : type;
    return std::any_of(m.enums.begin(), m.enums.end(),
                       [&](const EnumType &e) { return e.type_name == base; });
  }

  // --- sequences -----------------------------------------------------------

  void diff_sequences() {
    auto fs = by_key(from_.sequences), ts = by_key(to_.sequences);
    for (const auto &[key, s] : ts) {
      auto it = fs.find(key);
      std::string q = quote(s->schema, s->name);
      if (it == fs.end()) {
        add(kSequences, "create", "sequence", key, "sequence " + key + " is missing",
            {Ddl::create_sequence(*s)});
        if (!s->owned_by_table.empty())
          add(kSequenceOwnership, "alter", "sequence", key,
              "sequence " + key + " is owned by its column", {to_ddl_.sequence_owned_by(*s)});
        continue;
      }
      if (!(it->second->options == s->options))
        add(kSequences, "alter", "sequence", key, "sequence " + key + " has other parameters",
            {"ALTER SEQUENCE " + q + " " + Ddl::sequence_options(s->options, true) + ";"});
      if (it->second->owned_by_table != s->owned_by_table ||
          it->second->owned_by_column != s->owned_by_column)
        add(kSequenceOwnership, "alter", "sequence", key, "sequence " + key + " has another owner",
            {to_ddl_.sequence_owned_by(*s)});
    }
    for (const auto &[key, s] : fs)
      if (!ts.count(key))
        add(kDropLast, "drop", "sequence", key, "sequence " + key + " is not expected",
            {"DROP SEQUENCE IF EXISTS " + quote(s->schema, s->name) + ";"}, true);
  }

  // --- functions -----------------------------------------------------------

  void diff_functions() {
    auto ff = by_key(from_.functions), tf = by_key(to_.functions);
    for (const auto &[key, f] : tf) {
      auto it = ff.find(key);
      Phase phase = f->uses_relation_types ? kLateFunctions : kFunctions;
      const char *type = f->kind == 'p' ? "procedure" : "function";
      if (it == ff.end()) {
        add(phase, "create", type, key, std::string(type) + " " + key + " is missing",
            {Ddl::create_function(*f)});
      } else if (it->second->definition != f->definition) {
        std::vector<std::string> sql;
        // CREATE OR REPLACE cannot change the result type or the kind.
        if (it->second->result != f->result || it->second->kind != f->kind)
          sql.push_back(Ddl::drop_function(*it->second));
        sql.push_back(Ddl::create_function(*f));
        add(phase, "alter", type, key, std::string(type) + " " + key + " has another definition",
            sql);
      }
    }
    for (const auto &[key, f] : ff)
      if (!tf.count(key))
        add(kDropLast, "drop", f->kind == 'p' ? "procedure" : "function", key,
            key + " is not expected", {Ddl::drop_function(*f)}, true);
  }

  // --- tables and columns --------------------------------------------------

  void diff_tables() {
    auto ft = by_key(from_.tables), tt = by_key(to_.tables);
    for (auto i : table_order(to_.tables)) {
      const Table &t = to_.tables[i];
      auto it = ft.find(t.key());
      if (it == ft.end()) {
        add(kTables, "create", "table", t.key(), "table " + t.key() + " is missing",
            {to_ddl_.create_table(t)});
        new_relations_.insert(t.key());
        continue;
      }
      const Table &o = *it->second;
      if (o.partition_key != t.partition_key || o.partition_of != t.partition_of ||
          o.partition_bound != t.partition_bound) {
        warnings_.push_back(
            "table " + t.key() +
            " is partitioned differently; PostgreSQL cannot alter that, "
            "so it is dropped and created (its rows are lost: move them by hand first)");
        add(kTables, "alter", "table", t.key(), "table " + t.key() + " is partitioned differently",
            {"DROP TABLE " + quote(o.schema, o.name) + ";", to_ddl_.create_table(t)}, true);
        dropped_relations_.insert(t.key());
        new_relations_.insert(t.key());
        continue;
      }
      diff_columns(o, t);
      std::string q = quote(t.schema, t.name);
      if (o.unlogged != t.unlogged)
        add(kTables, "alter", "table", t.key(),
            std::string("table ") + t.key() +
                (t.unlogged ? " should be unlogged" : " should be logged"),
            {"ALTER TABLE " + q + (t.unlogged ? " SET UNLOGGED;" : " SET LOGGED;")});
      if (o.options != t.options) {
        std::vector<std::string> sql;
        std::vector<std::string> reset;
        for (const auto &opt : o.options) {
          std::string name = opt.substr(0, opt.find('='));
          bool kept = std::any_of(t.options.begin(), t.options.end(), [&](const std::string &x) {
            return x.substr(0, x.find('=')) == name;
          });
          if (!kept) reset.push_back(name);
        }
        if (!reset.empty()) {
          std::string s;
          for (const auto &r : reset) s += (s.empty() ? "" : ", ") + r;
          sql.push_back("ALTER TABLE " + q + " RESET (" + s + ");");
        }
        if (!t.options.empty()) {
          std::string s;
          for (const auto &r : t.options) s += (s.empty() ? "" : ", ") + r;
          sql.push_back("ALTER TABLE " + q + " SET (" + s + ");");
        }
        add(kTables, "alter", "table", t.key(), "table " + t.key() + " has other storage options",
            sql);
      }
    }
    // Partitions before their parents, though dropping a parent drops them.
    auto order = table_order(from_.tables);
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      const Table &o = from_.tables[*it];
      if (tt.count(o.key())) continue;
      if (!o.partition_of.empty() && !tt.count(o.partition_of) && ft.count(o.partition_of)) {
        dropped_relations_.insert(o.key());  // goes with its parent
        continue;
      }
      add(kDropTables, "drop", "table", o.key(), "table " + o.key() + " is not expected",
          {"DROP TABLE " + quote(o.schema, o.name) + ";"}, true);
      dropped_relations_.insert(o.key());
    }
  }

  void diff_columns(const Table &o, const Table &t) {
    std::string q = quote(t.schema, t.name);
    std::string alter = "ALTER TABLE " + q + " ";
    auto find = [](const Table &table, const std::string &name) -> const Column * {
      for (const auto &c : table.columns)
        if (c.name == name) return &c;
      return nullptr;
    };
    for (const auto &c : t.columns) {
      if (c.inherited) continue;
      std::string key = t.key() + "." + c.name;
      const Column *oc = find(o, c.name);
      if (!oc) {
        add(kTables, "create", "column", key, "column " + key + " is missing",
            {alter + "ADD COLUMN " + Ddl::column_definition(c) + ";"});
        continue;
      }
      std::vector<std::string> sql;
      std::vector<std::string> what;
      std::string col = "ALTER COLUMN " + quote(c.name) + " ";
      bool generated_changed = oc->generated_expr != c.generated_expr;
      if (generated_changed && c.generated_expr.empty()) {
        sql.push_back(alter + col + "DROP EXPRESSION;");
        what.push_back("is no longer generated");
        generated_changed = false;
      }
      if (generated_changed) {
        // A stored generated expression cannot be altered in place.
        add(kTables, "alter", "column", key,
            "column " + key + " has another generated expression: dropped and added",
            {alter + "DROP COLUMN " + quote(c.name) + ";",
             alter + "ADD COLUMN " + Ddl::column_definition(c) + ";"},
            true);
        altered_relations_.insert(t.key());
        continue;
      }
      bool type_changed = oc->type != c.type || oc->collation != c.collation;
      std::string old_default =
          enum_defaults_dropped_.count(key) ? std::string() : oc->default_expr;
      if (type_changed && !old_default.empty()) {
        // The old default may not cast to the new type; set again below.
        sql.push_back(alter + col + "DROP DEFAULT;");
        old_default.clear();
      }
      if (oc->identity && (!c.identity || type_changed)) {
        sql.push_back(alter + col + "DROP IDENTITY;");
        what.push_back("identity dropped");
      }
      if (type_changed) {
        // Enums have no casts to other types: go through text.
        bool array = c.type.size() > 2 && c.type.compare(c.type.size() - 2, 2, "[]") == 0;
        std::string via =
            is_enum(from_, oc->type) || is_enum(to_, c.type) ? (array ? "::text[]" : "::text") : "";
        sql.push_back(alter + col + "TYPE " + c.type +
                      (c.collation.empty() ? "" : " COLLATE " + c.collation) + " USING " +
                      quote(c.name) + via + "::" + c.type + ";");
        retyped_tables_.insert(t.key());
        what.push_back("type " + oc->type + " → " + c.type);
        altered_relations_.insert(t.key());
      }
      if (old_default != c.default_expr) {
        sql.push_back(
            alter + col +
            (c.default_expr.empty() ? "DROP DEFAULT;" : "SET DEFAULT " + c.default_expr + ";"));
        what.push_back(c.default_expr.empty() ? "default removed" : "default " + c.default_expr);
      }
      if (oc->not_null != c.not_null) {
        sql.push_back(alter + col + (c.not_null ? "SET NOT NULL;" : "DROP NOT NULL;"));
        what.push_back(c.not_null ? "should be NOT NULL" : "should allow NULL");
      }
      std::string kind = c.identity == 'a' ? "ALWAYS" : "BY DEFAULT";
      if (c.identity && (!oc->identity || type_changed)) {
        sql.push_back(alter + col + "ADD GENERATED " + kind + " AS IDENTITY (" +
                      Ddl::sequence_options(c.identity_options, false) + ");");
        what.push_back("identity added");
      } else if (c.identity && oc->identity) {
        if (c.identity != oc->identity) {
          sql.push_back(alter + col + "SET GENERATED " + kind + ";");
          what.push_back("identity " + kind);
        }
        if (!(c.identity_options == oc->identity_options)) {
          const auto &s = c.identity_options;
          sql.push_back(alter + col + "SET START WITH " + std::to_string(s.start) +
                        " SET INCREMENT BY " + std::to_string(s.increment) + " SET MINVALUE " +
                        std::to_string(s.min) + " SET MAXVALUE " + std::to_string(s.max) +
                        " SET CACHE " + std::to_string(s.cache) +
                        (s.cycle ? " SET CYCLE;" : " SET NO CYCLE;"));
          what.push_back("identity options");
        }
      }
      if (!sql.empty()) {
        std::string description = "column " + key + ": ";
        for (std::size_t i = 0; i < what.size(); ++i) description += (i ? ", " : "") + what[i];
        add(kTables, "alter", "column", key, description, sql);
      }
    }
    for (const auto &oc : o.columns) {
      if (oc.inherited || find(t, oc.name)) continue;
      add(kTables, "drop", "column", t.key() + "." + oc.name,
          "column " + t.key() + "." + oc.name + " is not expected",
          {alter + "DROP COLUMN " + quote(oc.name) + ";"}, true);
      altered_relations_.insert(t.key());
    }
  }

  // --- constraints ---------------------------------------------------------

  struct Keyed {
    const Table *table;
    const Constraint *constraint;
  };

  static std::map<std::string, Keyed> constraints_of(const Model &m) {
    std::map<std::string, Keyed> out;
    for (const auto &t : m.tables)
      for (const auto &c : t.constraints) out[t.key() + "." + c.name] = {&t, &c};
    return out;
  }

  void diff_constraints() {
    auto fc = constraints_of(from_), tc = constraints_of(to_);
    // A key that goes away takes the foreign keys that reference it along.
    std::set<std::string> rekeyed_tables;
    std::set<std::string> handled_from, handled_to;
    // Renamed only: same table, same definition, other name.
    for (const auto &[key, k] : fc) {
      if (tc.count(key) || dropped_relations_.count(k.table->key())) continue;
      for (const auto &[tkey, tk] : tc) {
        if (fc.count(tkey) || handled_to.count(tkey) || tk.table->key() != k.table->key()) continue;
        if (tk.constraint->definition != k.constraint->definition ||
            tk.constraint->type != k.constraint->type)
          continue;
        add(kTables, "rename", "constraint", key,
            "constraint " + key + " is named " + tk.constraint->name,
            {"ALTER TABLE " + quote(k.table->schema, k.table->name) + " RENAME CONSTRAINT " +
             quote(k.constraint->name) + " TO " + quote(tk.constraint->name) + ";"});
        handled_from.insert(key);
        handled_to.insert(tkey);
        break;
      }
    }
    // Unique indexes that go or change also take the foreign keys resting
    // on them along.
    {
      auto fi = by_key(from_.indexes), ti = by_key(to_.indexes);
      for (const auto &[key, i] : fi) {
        if (i->definition.rfind("CREATE UNIQUE", 0) != 0) continue;
        auto it = ti.find(key);
        if (it == ti.end() || it->second->definition != i->definition || !i->valid)
          rekeyed_tables.insert(i->table);
      }
    }
    // Drops are collected first and emitted foreign keys first: a key
    // cannot go while a foreign key still rests on it.
    std::vector<std::pair<Keyed, std::string>> drops;
    for (const auto &[key, k] : fc) {
      if (handled_from.count(key) || dropped_relations_.count(k.table->key())) continue;
      auto it = tc.find(key);
      bool gone = it == tc.end();
      bool changed = !gone && it->second.constraint->definition != k.constraint->definition;
      if (changed && it->second.constraint->type == k.constraint->type) {
        const std::string &a = k.constraint->definition, &b = it->second.constraint->definition;
        // Not validated here, validated there: VALIDATE, no rebuild.
        if (without_not_valid(a) == b && a != b) {
          add(k.constraint->type == 'f' ? kForeignKeys : kConstraints, "alter",
              object_type(*k.constraint), key, "constraint " + key + " is NOT VALID",
              {"ALTER TABLE " + quote(k.table->schema, k.table->name) + " VALIDATE CONSTRAINT " +
               quote(k.constraint->name) + ";"});
          handled_to.insert(key);
          continue;
        }
        // Validated here where the target leaves it NOT VALID: stronger, kept.
        if (without_not_valid(b) == a && a != b) {
          handled_to.insert(key);
          continue;
        }
      }
      if (!gone && !changed) continue;
      if (k.constraint->type == 'p' || k.constraint->type == 'u' || k.constraint->type == 'x')
        rekeyed_tables.insert(k.table->key());
      drops.push_back({k, gone ? "is not expected" : "has another definition"});
      dropped_constraints_.insert(key);
    }
    // Foreign keys that must go first: those referencing a table that is
    // dropped (even from another dropped table, or the drop fails), and
    // those whose columns on either side change type or whose referenced
    // key is rebuilt (they come back afterwards).
    for (const auto &[key, k] : fc) {
      if (k.constraint->type != 'f' || dropped_constraints_.count(key) || handled_from.count(key))
        continue;
      const std::string &owner = k.table->key(), &target = k.constraint->references;
      if (dropped_relations_.count(target) && target != owner) {
        drops.push_back({k, "references a table that is dropped"});
        dropped_constraints_.insert(key);
        continue;
      }
      if (dropped_relations_.count(owner) || !tc.count(key)) continue;
      if (!rekeyed_tables.count(target) && !retyped_tables_.count(target) &&
          !retyped_tables_.count(owner))
        continue;
      drops.push_back({k, "goes while the columns or key it links change"});
      dropped_constraints_.insert(key);
    }
    std::stable_partition(drops.begin(), drops.end(),
                          [](const auto &d) { return d.first.constraint->type == 'f'; });
    for (const auto &[k, why] : drops) drop_constraint(k, why);
    for (const auto &[key, k] : tc) {
      if (handled_to.count(key)) continue;
      auto it = fc.find(key);
      bool present = it != fc.end() && !dropped_constraints_.count(key) &&
                     !dropped_relations_.count(k.table->key());
      if (present) continue;
      add(k.constraint->type == 'f' ? kForeignKeys : kConstraints, "create",
          object_type(*k.constraint), key, object_type(*k.constraint) + " " + key + " is missing",
          {Ddl::add_constraint(*k.table, *k.constraint)});
    }
  }

  static std::string object_type(const Constraint &c) {
    switch (c.type) {
      case 'p':
        return "primary key";
      case 'u':
        return "unique constraint";
      case 'f':
        return "foreign key";
      case 'x':
        return "exclusion constraint";
      default:
        return "check constraint";
    }
  }

  void drop_constraint(const Keyed &k, const std::string &why) {
    add(kDropDependents, "drop", object_type(*k.constraint),
        k.table->key() + "." + k.constraint->name,
        object_type(*k.constraint) + " " + k.table->key() + "." + k.constraint->name + " " + why,
        {"ALTER TABLE " + quote(k.table->schema, k.table->name) + " DROP CONSTRAINT " +
         quote(k.constraint->name) + ";"});
  }

  // --- indexes -------------------------------------------------------------

  void diff_indexes() {
    auto fi = by_key(from_.indexes), ti = by_key(to_.indexes);
    std::set<std::string> handled_to;
    for (const auto &[key, o] : fi) {
      if (ti.count(key) || gone(o->table)) continue;
      for (const auto &[tkey, t] : ti) {
        if (fi.count(tkey) || handled_to.count(tkey) || t->table != o->table || !o->valid) continue;
        if (index_body(t->definition) != index_body(o->definition)) continue;
        add(kIndexes, "rename", "index", key, "index " + key + " is named " + t->name,
            {"ALTER INDEX " + quote(o->schema, o->name) + " RENAME TO " + quote(t->name) + ";"});
        handled_to.insert(tkey);
        handled_from_indexes_.insert(key);
        break;
      }
    }
    for (const auto &[key, o] : fi) {
      if (handled_from_indexes_.count(key) || gone(o->table)) continue;
      auto it = ti.find(key);
      if (it != ti.end() && it->second->definition == o->definition &&
          (o->valid || !it->second->valid))
        continue;
      std::string why = it == ti.end() ? "is not expected"
                        : !o->valid    ? "is INVALID (a failed concurrent build)"
                                       : "has another definition";
      add(kDropDependents, "drop", "index", key, "index " + key + " " + why,
          {"DROP INDEX " + quote(o->schema, o->name) + ";"});
      dropped_indexes_.insert(key);
    }
    for (const auto &[key, t] : ti) {
      if (handled_to.count(key)) continue;
      bool present = fi.count(key) && !dropped_indexes_.count(key) && !gone(t->table);
      if (present) continue;
      add(kIndexes, "create", "index", key, "index " + key + " is missing",
          {Ddl::create_index(*t)});
    }
  }

  // A relation whose dependents vanish with it (dropped, or recreated).
  bool gone(const std::string &key) const {
    return dropped_relations_.count(key) || recreated_views_.count(key);
  }

  // --- views ---------------------------------------------------------------

  void diff_views() {
    auto fv = by_key(from_.views), tv = by_key(to_.views);
    // Views to rebuild: changed ones, and (transitively) views that read a
    // relation whose columns change, since PostgreSQL refuses to alter those.
    std::set<std::string> rebuild;
    for (const auto &[key, v] : fv) {
      auto it = tv.find(key);
      if (it == tv.end() || it->second->definition != v->definition ||
          it->second->options != v->options || it->second->materialized != v->materialized)
        rebuild.insert(key);
    }
    bool grew = true;
    while (grew) {
      grew = false;
      for (const auto &[key, v] : fv) {
        if (rebuild.count(key)) continue;
        for (const auto &d : v->depends_on)
          if (rebuild.count(d) || altered_relations_.count(d) || dropped_relations_.count(d)) {
            rebuild.insert(key);
            grew = true;
            break;
          }
      }
    }
    auto from_order = view_order(from_.views);
    for (auto it = from_order.rbegin(); it != from_order.rend(); ++it) {
      const View &v = from_.views[*it];
      if (!rebuild.count(v.key())) continue;
      bool kept = tv.count(v.key());
      add(kDropDependents, "drop", v.materialized ? "materialized view" : "view", v.key(),
          std::string(v.materialized ? "materialized view " : "view ") + v.key() +
              (kept ? " is rebuilt" : " is not expected"),
          {std::string("DROP ") + (v.materialized ? "MATERIALIZED VIEW " : "VIEW ") +
           quote(v.schema, v.name) + ";"},
          !kept && v.materialized);
      recreated_views_.insert(v.key());
    }
    for (auto i : view_order(to_.views)) {
      const View &v = to_.views[i];
      if (fv.count(v.key()) && !rebuild.count(v.key())) continue;
      add(kViews, fv.count(v.key()) ? "alter" : "create",
          v.materialized ? "materialized view" : "view", v.key(),
          std::string(v.materialized ? "materialized view " : "view ") + v.key() +
              (fv.count(v.key()) ? " is rebuilt" : " is missing"),
          {Ddl::create_view(v)});
    }
  }

  // --- triggers and policies -----------------------------------------------

  void diff_triggers() {
    auto ft = by_key(from_.triggers), tt = by_key(to_.triggers);
    for (const auto &[key, o] : ft) {
      if (gone(o->table)) continue;
      auto it = tt.find(key);
      if (it != tt.end() && it->second->definition == o->definition) continue;
      add(kDropDependents, "drop", "trigger", key,
          "trigger " + key + (it == tt.end() ? " is not expected" : " has another definition"),
          {"DROP TRIGGER " + quote(o->name) + " ON " + from_ddl_.relation(o->table) + ";"});
      dropped_triggers_.insert(key);
    }
    for (const auto &[key, t] : tt) {
      auto it = ft.find(key);
      bool present = it != ft.end() && !dropped_triggers_.count(key) && !gone(t->table);
      if (!present) {
        add(kTriggers, "create", "trigger", key, "trigger " + key + " is missing",
            to_ddl_.create_trigger(*t));
      } else if (it->second->enabled != t->enabled) {
        std::string s = to_ddl_.trigger_state(*t);
        if (s.empty())
          s = "ALTER TABLE " + to_ddl_.relation(t->table) + " ENABLE TRIGGER " + quote(t->name) +
              ";";
        add(kTriggers, "alter", "trigger", key, "trigger " + key + " is enabled differently", {s});
      }
    }
  }

  void diff_policies() {
    auto fp = by_key(from_.policies), tp = by_key(to_.policies);
    std::set<std::string> dropped;
    for (const auto &[key, o] : fp) {
      if (gone(o->table)) continue;
      auto it = tp.find(key);
      bool recreate = it == tp.end() || it->second->command != o->command ||
                      it->second->permissive != o->permissive ||
                      (it->second->using_expr.empty() && !o->using_expr.empty()) ||
                      (it->second->check_expr.empty() && !o->check_expr.empty());
      if (!recreate) continue;
      add(kDropDependents, "drop", "policy", key,
          "policy " + key + (it == tp.end() ? " is not expected" : " is rebuilt"),
          {"DROP POLICY " + quote(o->name) + " ON " + from_ddl_.relation(o->table) + ";"});
      dropped.insert(key);
    }
    for (const auto &[key, p] : tp) {
      auto it = fp.find(key);
      if (it == fp.end() || dropped.count(key) || gone(p->table)) {
        add(kPolicies, "create", "policy", key, "policy " + key + " is missing",
            {to_ddl_.create_policy(*p)});
        continue;
      }
      const Policy &o = *it->second;
      if (o.roles == p->roles && o.using_expr == p->using_expr && o.check_expr == p->check_expr)
        continue;
      std::string sql = "ALTER POLICY " + quote(p->name) + " ON " + to_ddl_.relation(p->table);
      std::string roles;
      for (const auto &r : p->roles) roles += (roles.empty() ? "" : ", ") + r;
      sql += " TO " + (roles.empty() ? std::string("PUBLIC") : roles);
      if (!p->using_expr.empty()) sql += " USING (" + p->using_expr + ")";
      if (!p->check_expr.empty()) sql += " WITH CHECK (" + p->check_expr + ")";
      add(kPolicies, "alter", "policy", key, "policy " + key + " has other roles or expressions",
          {sql + ";"});
    }
    auto ft = by_key(from_.tables);
    for (const auto &t : to_.tables) {
      auto it = ft.find(t.key());
      bool was_enabled = it != ft.end() && !gone(t.key()) && it->second->rls_enabled;
      bool was_forced = it != ft.end() && !gone(t.key()) && it->second->rls_forced;
      std::string q = quote(t.schema, t.name);
      if (was_enabled != t.rls_enabled)
        add(kPolicies, "alter", "table", t.key(),
            "row-level security on " + t.key() + (t.rls_enabled ? " is off" : " is on"),
            {"ALTER TABLE " + q + (t.rls_enabled ? " ENABLE" : " DISABLE") +
             " ROW LEVEL SECURITY;"});
      if (was_forced != t.rls_forced)
        add(kPolicies, "alter", "table", t.key(),
            "forced row-level security on " + t.key() + (t.rls_forced ? " is off" : " is on"),
            {"ALTER TABLE " + q + (t.rls_forced ? " FORCE" : " NO FORCE") +
             " ROW LEVEL SECURITY;"});
    }
  }

  // --- comments ------------------------------------------------------------

  void comment_change(const std::string &type, const std::string &key, const std::string &target,
                      const std::string *old_comment, const std::string &new_comment) {
    std::string before = old_comment ? *old_comment : std::string();
    if (before == new_comment) return;
    add(kComments, "alter", "comment", key, "comment on " + type + " " + key + " differs",
        {Ddl::comment(target, new_comment)});
  }

  template <typename T, typename TargetFn>
  void comments_of(const char *type, const std::vector<T> &from_items,
                   const std::vector<T> &to_items, TargetFn target, bool rebuilt_loses = false) {
    auto fm = by_key(from_items);
    for (const auto &i : to_items) {
      auto it = fm.find(i.key());
      bool fresh = it == fm.end() || (rebuilt_loses && rebuilt(i));
      comment_change(type, i.key(), target(i), fresh ? nullptr : &it->second->comment, i.comment);
    }
  }

  bool rebuilt(const Index &i) const { return dropped_indexes_.count(i.key()) || gone(i.table); }
  bool rebuilt(const View &v) const { return recreated_views_.count(v.key()) > 0; }
  bool rebuilt(const Trigger &t) const { return dropped_triggers_.count(t.key()) || gone(t.table); }
  template <typename T>
  bool rebuilt(const T &) const {
    return false;
  }

  void diff_comments() {
    std::map<std::string, const Namespace *> fs;
    for (const auto &s : from_.schemas) fs[s.name] = &s;
    for (const auto &s : to_.schemas) {
      auto it = fs.find(s.name);
      comment_change("schema", s.name, "SCHEMA " + quote(s.name),
                     it == fs.end() ? nullptr : &it->second->comment, s.comment);
    }
    comments_of("enum", from_.enums, to_.enums,
                [](const EnumType &e) { return "TYPE " + quote(e.schema, e.name); });
    comments_of("domain", from_.domains, to_.domains,
                [](const Domain &d) { return "DOMAIN " + quote(d.schema, d.name); });
    comments_of("type", from_.composites, to_.composites,
                [](const CompositeType &c) { return "TYPE " + quote(c.schema, c.name); });
    comments_of("sequence", from_.sequences, to_.sequences,
                [](const Sequence &s) { return "SEQUENCE " + quote(s.schema, s.name); });
    comments_of(
        "index", from_.indexes, to_.indexes,
        [](const Index &i) { return "INDEX " + quote(i.schema, i.name); }, true);
    comments_of(
        "view", from_.views, to_.views,
        [](const View &v) {
          return std::string(v.materialized ? "MATERIALIZED VIEW " : "VIEW ") +
                 quote(v.schema, v.name);
        },
        true);
    comments_of("function", from_.functions, to_.functions,
                [](const Function &f) { return Ddl::function_target(f); });
    comments_of(
        "trigger", from_.triggers, to_.triggers,
        [&](const Trigger &t) {
          return "TRIGGER " + quote(t.name) + " ON " + to_ddl_.relation(t.table);
        },
        true);
    comments_of("policy", from_.policies, to_.policies, [&](const Policy &p) {
      return "POLICY " + quote(p.name) + " ON " + to_ddl_.relation(p.table);
    });
    auto ft = by_key(from_.tables);
    auto fc = constraints_of(from_);
    for (const auto &t : to_.tables) {
      auto it = ft.find(t.key());
      bool fresh = it == ft.end() || dropped_relations_.count(t.key());
      comment_change("table", t.key(), Ddl::table_target(t), fresh ? nullptr : &it->second->comment,
                     t.comment);
      for (const auto &c : t.columns) {
        if (c.inherited) continue;
        const std::string *old = nullptr;
        if (!fresh)
          for (const auto &oc : it->second->columns)
            if (oc.name == c.name) old = &oc.comment;
        comment_change("column", t.key() + "." + c.name,
                       "COLUMN " + quote(t.schema, t.name) + "." + quote(c.name), old, c.comment);
      }
      for (const auto &c : t.constraints) {
        std::string key = t.key() + "." + c.name;
        auto k = fc.find(key);
        const std::string *old = fresh || k == fc.end() || dropped_constraints_.count(key)
                                     ? nullptr
                                     : &k->second.constraint->comment;
        comment_change("constraint", key,
                       "CONSTRAINT " + quote(c.name) + " ON " + quote(t.schema, t.name), old,
                       c.comment);
      }
    }
  }

  // --- warnings ------------------------------------------------------------

  void likely_renames() {
    auto ft = by_key(from_.tables), tt = by_key(to_.tables);
    auto shape = [](const Table &t) {
      std::vector<std::pair<std::string, std::string>> cols;
      for (const auto &c : t.columns) cols.push_back({c.name, c.type});
      std::sort(cols.begin(), cols.end());
      return cols;
    };
    for (const auto &[key, o] : ft) {
      if (tt.count(key)) continue;
      for (const auto &[nkey, n] : tt)
        if (!ft.count(nkey) && n->schema == o->schema && !o->columns.empty() &&
            shape(*o) == shape(*n))
          warnings_.push_back(
              "table " + key + " is dropped and " + nkey +
              " created with the same columns; if it was renamed, say so with --rename 'table " +
              key + "=" + nkey + "' to keep its rows");
    }
    for (const auto &[key, n] : tt) {
      auto it = ft.find(key);
      if (it == ft.end()) continue;
      for (const auto &oc : it->second->columns) {
        if (std::any_of(n->columns.begin(), n->columns.end(),
                        [&](const Column &c) { return c.name == oc.name; }))
          continue;
        for (const auto &nc : n->columns) {
          bool is_new = std::none_of(it->second->columns.begin(), it->second->columns.end(),
                                     [&](const Column &c) { return c.name == nc.name; });
          if (is_new && nc.type == oc.type)
            warnings_.push_back(
                "column " + key + "." + oc.name + " is dropped and " + nc.name +
                " added with the same type; if it was renamed, say so with --rename 'column " +
                key + "." + oc.name + "=" + nc.name + "' to keep its values");
        }
      }
    }
  }

  void unsupported() {
    for (const auto &u : from_.unsupported)
      if (std::find(to_.unsupported.begin(), to_.unsupported.end(), u) == to_.unsupported.end())
        warnings_.push_back("not modelled by dbsafe, only in the source: " + u +
                            " (reconcile it by hand)");
    for (const auto &u : to_.unsupported)
      if (std::find(from_.unsupported.begin(), from_.unsupported.end(), u) ==
          from_.unsupported.end())
        warnings_.push_back("not modelled by dbsafe, only in the target: " + u +
                            " (reconcile it by hand)");
  }

  Model from_;  // a copy: rename hints rewrite it
  const Model &to_;
  Ddl from_ddl_, to_ddl_;
  std::array<std::vector<SchemaChange>, kPhaseCount> phases_;
  std::vector<std::string> warnings_;
  std::set<std::string> new_relations_, dropped_relations_, altered_relations_, recreated_views_;
  std::set<std::string> dropped_constraints_, dropped_indexes_, dropped_triggers_,
      handled_from_indexes_;
  std::set<std::string> enum_defaults_dropped_, retyped_tables_;
};

}  // namespace

DiffResult diff_models(const Model &from, const Model &to, const std::vector<RenameHint> &renames) {
  return Differ(from, to).run(renames);
}

}  // namespace dbsafe::diff
