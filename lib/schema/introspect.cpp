// Introspection: one READ ONLY transaction, one catalog query per kind of
// object (never one per object). The light kinds return their rows as one
// JSON array, so nested lists, arrays and NULLs need no parsing of our own;
// the heavy ones (tables, columns, constraints, indexes) return plain rows.
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "pg/connection.hpp"
#include "schema/model.hpp"

namespace dbsafe::schema {

namespace {

// Namespaces that belong to PostgreSQL itself.
constexpr const char *kUserNamespace =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'";

std::string not_extension_member(const char *catalog, const char *oid) {
  return std::string("NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = '") + catalog +
         "'::regclass AND x.objid = " + oid + " AND x.deptype = 'e')";
}

// The collation of a column or attribute when it is not its type's default.
constexpr const char *kColumnCollation =
    "CASE WHEN a.attcollation <> 0 AND a.attcollation <> ty.typcollation THEN "
    "(SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co "
    "JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END";

constexpr const char *kSequenceFields =
    "'data_type', format_type(s.seqtypid, NULL), 'start', s.seqstart, 'increment', "
    "s.seqincrement, 'min', s.seqmin, 'max', s.seqmax, 'cache', s.seqcache, 'cycle', s.seqcycle";

std::string schemas_query() {
  return "SELECT coalesce(json_agg(json_build_object('name', n.nspname, 'comment', "
         "obj_description(n.oid, 'pg_namespace')) ORDER BY n.nspname), '[]') FROM pg_namespace n "
         "WHERE " +
         std::string(kUserNamespace) + " AND " + not_extension_member("pg_namespace", "n.oid");
}

std::string extensions_query() {
  return "SELECT coalesce(json_agg(json_build_object('name', e.extname, 'schema', n.nspname, "
         "'version', e.extversion) ORDER BY e.extname), '[]') FROM pg_extension e "
         "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql'";
}

std::string types_query() {
  return std::string(
             "SELECT coalesce(json_agg(json_build_object('schema', n.nspname, 'name', t.typname, "
             "'kind', t.typtype, 'type_name', format_type(t.oid, NULL), "
             "'labels', (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e "
             "WHERE e.enumtypid = t.oid), "
             "'base_type', CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) "
             "END, 'not_null', t.typnotnull, 'default', pg_get_expr(t.typdefaultbin, 0), "
             "'collation', CASE WHEN t.typtype = 'd' AND t.typcollation <> 0 AND t.typcollation "
             "<> bt.typcollation THEN (SELECT quote_ident(cn.nspname) || '.' || "
             "quote_ident(co.collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid = "
             "co.collnamespace WHERE co.oid = t.typcollation) END, "
             "'checks', (SELECT json_agg(json_build_object('name', k.conname, 'definition', "
             "pg_get_constraintdef(k.oid)) ORDER BY k.conname) FROM pg_constraint k WHERE "
             "k.contypid = t.oid), "
             "'attributes', (SELECT json_agg(json_build_object('name', a.attname, 'type', "
             "format_type(a.atttypid, a.atttypmod), 'collation', ") +
         kColumnCollation +
         ") ORDER BY a.attnum) FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid "
         "WHERE a.attrelid = t.typrelid AND t.typrelid <> 0 AND a.attnum > 0 AND NOT "
         "a.attisdropped), "
         "'comment', obj_description(t.oid, 'pg_type')) ORDER BY n.nspname, t.typname), '[]') "
         "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
         "LEFT JOIN pg_type bt ON bt.oid = t.typbasetype WHERE " +
         kUserNamespace +
         " AND (t.typtype IN ('e', 'd') OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_class "
         "c WHERE c.oid = t.typrelid) = 'c')) AND " +
         not_extension_member("pg_type", "t.oid");
}

std::string sequences_query() {
  return std::string(
             "SELECT coalesce(json_agg(json_build_object('schema', n.nspname, 'name', "
             "c.relname, ") +
         kSequenceFields +
         ", 'owned_by', (SELECT json_build_object('table', tn.nspname || '.' || tc.relname, "
         "'column', a.attname) FROM pg_depend d JOIN pg_class tc ON tc.oid = d.refobjid "
         "JOIN pg_namespace tn ON tn.oid = tc.relnamespace JOIN pg_attribute a ON a.attrelid = "
         "d.refobjid AND a.attnum = d.refobjsubid WHERE d.classid = 'pg_class'::regclass AND "
         "d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a' LIMIT 1), "
         "'comment', obj_description(c.oid, 'pg_class')) ORDER BY n.nspname, c.relname), '[]') "
         "FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid "
         "= c.relnamespace WHERE " +
         kUserNamespace +
         " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND "
         "d.objid = c.oid AND d.deptype IN ('i', 'e'))";
}

// The heaviest kinds (columns, constraints, indexes) come as plain text rows,
// one per object, rather than JSON built by the server: building a JSON
// object per column cost the server more than reading the catalog did.
// Comments are joined from pg_description instead of one obj_description()
// call per object for the same reason.

// A select list whose columns are found by name (FlatRows).
struct Field {
  const char *name;
  std::string expr;
};
using Fields = std::vector<Field>;

std::string select(const Fields &fields, const std::string &rest) {
  std::string sql = "SELECT ";
  for (std::size_t i = 0; i < fields.size(); ++i) sql += (i ? ", " : "") + fields[i].expr;
  return sql + " " + rest;
}

// LEFT JOIN of the comment on object `oid` of catalog `catalog` (sub-object
// `subid`, 0 for the object itself) as `alias`.description.
std::string comment_join(const char *alias, const char *catalog, const std::string &oid,
                         const std::string &subid = "0") {
  return std::string(" LEFT JOIN pg_description ") + alias + " ON " + alias + ".objoid = " + oid +
         " AND " + alias + ".classoid = '" + catalog + "'::regclass AND " + alias +
         ".objsubid = " + subid;
}

// Ordinary and partitioned tables of user schemas, outside extensions.
std::string user_tables_where() {
  return "c.relkind IN ('r', 'p') AND " + std::string(kUserNamespace) + " AND " +
         not_extension_member("pg_class", "c.oid");
}

const Fields &table_fields() {
  static const Fields f = {
      {"oid", "c.oid"},
      {"schema", "n.nspname"},
      {"name", "c.relname"},
      {"qname", "c.oid::regclass::text"},
      {"partitioned", "c.relkind = 'p'"},
      {"partition_key", "CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END"},
      {"partition_of",
       "CASE WHEN c.relispartition THEN (SELECT pn.nspname || '.' || pc.relname FROM "
       "pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid "
       "= pc.relnamespace WHERE i.inhrelid = c.oid) END"},
      {"partition_bound", "CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END"},
      {"unlogged", "c.relpersistence = 'u'"},
      {"options", "to_json(c.reloptions)"},
      {"rls_enabled", "c.relrowsecurity"},
      {"rls_forced", "c.relforcerowsecurity"},
      {"comment", "d.description"},
  };
  return f;
}

std::string tables_query() {
  return select(table_fields(), "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace" +
                                    comment_join("d", "pg_class", "c.oid") + " WHERE " +
                                    user_tables_where() + " ORDER BY n.nspname, c.relname");
}

// The tables' own rows come first in the queries below, so a column or
// constraint of a table outside them (a table filtered out) is skipped.
std::string of_user_tables(const char *relid) {
  return std::string(relid) +
         " IN (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
         "WHERE " +
         user_tables_where() + ")";
}

const Fields &column_fields() {
  static const Fields f = {
      {"table", "a.attrelid"},
      {"name", "a.attname"},
      {"type", "format_type(a.atttypid, a.atttypmod)"},
      {"collation", kColumnCollation},
      {"not_null", "a.attnotnull"},
      {"default", "CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END"},
      {"generated", "CASE WHEN a.attgenerated <> '' THEN pg_get_expr(ad.adbin, ad.adrelid) END"},
      {"identity", "a.attidentity"},
      {"identity_options",
       std::string("CASE WHEN a.attidentity <> '' THEN (SELECT json_build_object(") +
           kSequenceFields +
           ") FROM pg_depend sd JOIN pg_sequence s ON s.seqrelid = sd.objid WHERE sd.refclassid "
           "= 'pg_class'::regclass AND sd.refobjid = a.attrelid AND sd.refobjsubid = a.attnum "
           "AND sd.classid = 'pg_class'::regclass AND sd.deptype = 'i' LIMIT 1) END"},
      {"inherited", "NOT a.attislocal"},
      {"comment", "d.description"},
  };
  return f;
}

std::string columns_query() {
  return select(column_fields(),
                "FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid LEFT JOIN pg_attrdef "
                "ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum" +
                    comment_join("d", "pg_class", "a.attrelid", "a.attnum") +
                    " WHERE a.attnum > 0 AND NOT a.attisdropped AND " +
                    of_user_tables("a.attrelid") + " ORDER BY a.attrelid, a.attnum");
}

const Fields &constraint_fields() {
  static const Fields f = {
      {"table", "k.conrelid"},
      {"name", "k.conname"},
      {"type", "k.contype"},
      {"definition", "pg_get_constraintdef(k.oid)"},
      {"validated", "k.convalidated"},
      {"references",
       "CASE WHEN k.contype = 'f' THEN (SELECT rn.nspname || '.' || rc.relname FROM pg_class rc "
       "JOIN pg_namespace rn ON rn.oid = rc.relnamespace WHERE rc.oid = k.confrelid) END"},
      {"comment", "d.description"},
  };
  return f;
}

std::string constraints_query() {
  return select(constraint_fields(),
                "FROM pg_constraint k" + comment_join("d", "pg_constraint", "k.oid") +
                    " WHERE k.contype IN ('p', 'u', 'f', 'c', 'x') AND k.conislocal AND " +
                    of_user_tables("k.conrelid") + " ORDER BY k.conrelid, k.conname");
}

const Fields &index_fields() {
  static const Fields f = {
      {"schema", "n.nspname"},
      {"name", "ci.relname"},
      {"table", "tn.nspname || '.' || tc.relname"},
      {"definition", "pg_get_indexdef(i.indexrelid)"},
      {"valid", "i.indisvalid"},
      {"on_partitioned", "tc.relkind = 'p'"},
      {"comment", "d.description"},
  };
  return f;
}

std::string indexes_query() {
  return select(
      index_fields(),
      "FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid JOIN pg_namespace n ON n.oid = "
      "ci.relnamespace JOIN pg_class tc ON tc.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = "
      "tc.relnamespace" +
          comment_join("d", "pg_class", "ci.oid") + " WHERE tc.relkind IN ('r', 'p', 'm') AND " +
          kUserNamespace +
          " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND "
          "k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x')) "
          // An index a partitioned table's index created on a partition is implied by it.
          "AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid) AND " +
          not_extension_member("pg_class", "tc.oid") + " ORDER BY n.nspname, ci.relname");
}

std::string views_query() {
  return "SELECT coalesce(json_agg(json_build_object('schema', n.nspname, 'name', c.relname, "
         "'qname', c.oid::regclass::text, 'materialized', c.relkind = 'm', 'definition', "
         "pg_get_viewdef(c.oid), 'options', c.reloptions, 'populated', c.relispopulated, "
         "'comment', obj_description(c.oid, 'pg_class'), "
         "'depends_on', (SELECT json_agg(DISTINCT rn.nspname || '.' || rc.relname) FROM "
         "pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = "
         "r.oid AND d.refclassid = 'pg_class'::regclass JOIN pg_class rc ON rc.oid = d.refobjid "
         "JOIN pg_namespace rn ON rn.oid = rc.relnamespace WHERE r.ev_class = c.oid AND "
         "d.refobjid <> c.oid)) ORDER BY n.nspname, c.relname), '[]') FROM pg_class c JOIN "
         "pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('v', 'm') AND " +
         std::string(kUserNamespace) + " AND " + not_extension_member("pg_class", "c.oid");
}

std::string functions_query() {
  return "SELECT coalesce(json_agg(json_build_object('schema', n.nspname, 'name', p.proname, "
         "'identity_arguments', pg_get_function_identity_arguments(p.oid), 'kind', p.prokind, "
         "'result', pg_get_function_result(p.oid), 'definition', pg_get_functiondef(p.oid), "
         "'uses_relation_types', EXISTS (SELECT 1 FROM pg_depend d JOIN pg_type t ON t.oid = "
         "d.refobjid JOIN pg_class rc ON rc.oid = t.typrelid WHERE d.classid = "
         "'pg_proc'::regclass AND d.objid = p.oid AND d.refclassid = 'pg_type'::regclass AND "
         "rc.relkind IN ('r', 'p', 'v', 'm', 'f')), "
         "'comment', obj_description(p.oid, 'pg_proc')) ORDER BY n.nspname, p.proname, "
         "pg_get_function_identity_arguments(p.oid)), '[]') FROM pg_proc p JOIN pg_namespace n "
         "ON n.oid = p.pronamespace WHERE p.prokind IN ('f', 'p') AND " +
         std::string(kUserNamespace) + " AND " + not_extension_member("pg_proc", "p.oid") +
         // Functions PostgreSQL makes itself (a range type's constructors).
         " AND NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_proc'::regclass AND "
         "x.objid = p.oid AND x.deptype = 'i')";
}

std::string triggers_query() {
  return "SELECT coalesce(json_agg(json_build_object('table', n.nspname || '.' || c.relname, "
         "'name', t.tgname, 'definition', pg_get_triggerdef(t.oid), 'enabled', t.tgenabled, "
         "'comment', obj_description(t.oid, 'pg_trigger')) ORDER BY n.nspname, c.relname, "
         "t.tgname), '[]') FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN "
         "pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal AND t.tgparentid = "
         "0 AND " +
         std::string(kUserNamespace) + " AND " + not_extension_member("pg_class", "c.oid");
}

std::string policies_query() {
  return "SELECT coalesce(json_agg(json_build_object('table', n.nspname || '.' || c.relname, "
         "'name', p.polname, 'permissive', p.polpermissive, 'command', CASE p.polcmd WHEN 'r' "
         "THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' "
         "ELSE 'ALL' END, 'roles', CASE WHEN p.polroles = '{0}' THEN json_build_array('PUBLIC') "
         "ELSE (SELECT json_agg(quote_ident(r.rolname) ORDER BY r.rolname) FROM pg_roles r "
         "WHERE r.oid = ANY (p.polroles)) END, 'using', pg_get_expr(p.polqual, p.polrelid), "
         "'check', pg_get_expr(p.polwithcheck, p.polrelid), 'comment', obj_description(p.oid, "
         "'pg_policy')) ORDER BY n.nspname, c.relname, p.polname), '[]') FROM pg_policy p JOIN "
         "pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE " +
         std::string(kUserNamespace);
}

// What exists but is not modelled, so a diff never silently ignores it.
std::string unsupported_query() {
  std::string ns = kUserNamespace;
  return "SELECT coalesce(json_agg(json_build_object('schema', s, 'what', w) ORDER BY s, w), "
         "'[]') FROM ("
         "SELECT n.nspname AS s, CASE p.prokind WHEN 'a' THEN 'aggregate ' ELSE 'window "
         "function ' END || n.nspname || '.' || p.proname || '(' || "
         "pg_get_function_identity_arguments(p.oid) || ')' AS w FROM pg_proc p JOIN "
         "pg_namespace n ON n.oid = p.pronamespace WHERE p.prokind IN ('a', 'w') AND " +
         ns + " AND " + not_extension_member("pg_proc", "p.oid") +
         " UNION ALL SELECT n.nspname, 'rule ' || r.rulename || ' on ' || n.nspname || '.' || "
         "c.relname FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n "
         "ON n.oid = c.relnamespace WHERE r.rulename <> '_RETURN' AND " +
         ns +
         " UNION ALL SELECT n.nspname, 'foreign table ' || n.nspname || '.' || c.relname FROM "
         "pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'f' AND " +
         ns + " AND " + not_extension_member("pg_class", "c.oid") +
         " UNION ALL SELECT n.nspname, 'inheritance ' || n.nspname || '.' || c.relname || ' "
         "INHERITS ' || pn.nspname || '.' || pc.relname FROM pg_inherits i JOIN pg_class c ON "
         "c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_class pc ON "
         "pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE NOT "
         "c.relispartition AND c.relkind IN ('r', 'p') AND " +
         ns +
         " UNION ALL SELECT n.nspname, 'operator ' || n.nspname || '.' || o.oprname FROM "
         "pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace WHERE " +
         ns + " AND " + not_extension_member("pg_operator", "o.oid") +
         " UNION ALL SELECT n.nspname, 'range type ' || n.nspname || '.' || t.typname FROM "
         "pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype IN ('r', 'm') "
         "AND " +
         ns + " AND " + not_extension_member("pg_type", "t.oid") +
         " UNION ALL SELECT n.nspname, 'collation ' || n.nspname || '.' || co.collname FROM "
         "pg_collation co JOIN pg_namespace n ON n.oid = co.collnamespace WHERE " +
         ns + " AND " + not_extension_member("pg_collation", "co.oid") + ") u";
}

// --- reading the JSON rows -------------------------------------------------

using simdjson::dom::element;

std::string str(element row, const char *key) {
  element v;
  if (row[key].get(v) || v.is_null()) return {};
  std::string_view s;
  if (v.get_string().get(s)) return {};
  return std::string(s);
}
bool boolean(element row, const char *key) {
  bool b = false;
  if (row[key].get_bool().get(b)) return false;
  return b;
}
std::int64_t integer(element row, const char *key) {
  std::int64_t i = 0;
  if (row[key].get_int64().get(i)) return 0;
  return i;
}
char character(element row, const char *key) {
  std::string s = str(row, key);
  return s.empty() ? 0 : s[0];
}
std::vector<std::string> strings(element row, const char *key) {
  std::vector<std::string> out;
  simdjson::dom::array a;
  if (row[key].get_array().get(a)) return out;
  for (element e : a) {
    std::string_view s;
    if (!e.get_string().get(s)) out.emplace_back(s);
  }
  return out;
}
template <typename F>
void each(element row, const char *key, F &&f) {
  simdjson::dom::array a;
  if (row[key].get_array().get(a)) return;
  for (element e : a) f(e);
}

SequenceOptions sequence_options(element o) {
  SequenceOptions s;
  s.data_type = str(o, "data_type");
  s.start = integer(o, "start");
  s.increment = integer(o, "increment");
  s.min = integer(o, "min");
  s.max = integer(o, "max");
  s.cache = integer(o, "cache");
  s.cycle = boolean(o, "cycle");
  return s;
}

Column column(element o) {
  Column c;
  c.name = str(o, "name");
  c.type = str(o, "type");
  c.collation = str(o, "collation");
  c.not_null = boolean(o, "not_null");
  c.default_expr = str(o, "default");
  c.generated_expr = str(o, "generated");
  c.identity = character(o, "identity");
  element opts;
  if (c.identity && !o["identity_options"].get(opts) && !opts.is_null())
    c.identity_options = sequence_options(opts);
  c.inherited = boolean(o, "inherited");
  c.comment = str(o, "comment");
  return c;
}

class Rows {
 public:
  explicit Rows(const pg::Result &result) : text_(result.text(0, 0)) {
    if (parser_.parse(text_).get(root_))
      throw Error(ErrorCode::Internal, "introspection: the server returned malformed JSON");
  }
  template <typename F>
  void each(F &&f) {
    simdjson::dom::array a;
    if (root_.get_array().get(a)) return;
    for (element e : a) f(e);
  }

 private:
  simdjson::padded_string text_;
  simdjson::dom::parser parser_;
  element root_;
};

// Rows of a flat query (select() of `fields`), read by field name.
class FlatRows {
 public:
  FlatRows(pg::Result result, const Fields &fields) : result_(std::move(result)), fields_(fields) {}

  class Row {
   public:
    Row(const FlatRows &rows, int index) : rows_(rows), index_(index) {}
    bool null(const char *name) const { return rows_.result_.is_null(index_, col(name)); }
    std::string str(const char *name) const { return rows_.result_.text(index_, col(name)); }
    bool boolean(const char *name) const { return str(name) == "t"; }
    char character(const char *name) const {
      std::string s = str(name);
      return s.empty() ? 0 : s[0];
    }
    // A column holding a JSON array of strings (to_json of a text[]).
    std::vector<std::string> strings(const char *name) const {
      std::vector<std::string> out;
      if (null(name)) return out;
      simdjson::dom::parser parser;
      simdjson::dom::array a;
      if (parser.parse(str(name)).get_array().get(a))
        throw Error(ErrorCode::Internal,
                    std::string("introspection: ") + name + " is not a JSON array");
      for (element e : a) {
        std::string_view v;
        if (!e.get_string().get(v)) out.emplace_back(v);
      }
      return out;
    }

   private:
    int col(const char *name) const {
      for (std::size_t i = 0; i < rows_.fields_.size(); ++i)
        if (std::string_view(rows_.fields_[i].name) == name) return static_cast<int>(i);
      throw Error(ErrorCode::Internal, std::string("introspection: no field ") + name);
    }
    const FlatRows &rows_;
    int index_;
  };

  template <typename F>
  void each(F &&f) const {
    for (int i = 0; i < result_.rows(); ++i) f(Row(*this, i));
  }

 private:
  pg::Result result_;
  const Fields &fields_;
};

Column column(const FlatRows::Row &r) {
  Column c;
  c.name = r.str("name");
  c.type = r.str("type");
  c.collation = r.str("collation");
  c.not_null = r.boolean("not_null");
  c.default_expr = r.str("default");
  c.generated_expr = r.str("generated");
  c.identity = r.character("identity");
  if (c.identity && !r.null("identity_options")) {
    simdjson::dom::parser parser;
    element opts;
    if (parser.parse(r.str("identity_options")).get(opts))
      throw Error(ErrorCode::Internal, "introspection: malformed identity options");
    c.identity_options = sequence_options(opts);
  }
  c.inherited = r.boolean("inherited");
  c.comment = r.str("comment");
  return c;
}

struct Filter {
  const SchemaFilter &f;
  bool schema(const std::string &name) const {
    if (!f.include_history && name == "dbsafe") return false;
    if (std::find(f.exclude.begin(), f.exclude.end(), name) != f.exclude.end()) return false;
    return f.include.empty() ||
           std::find(f.include.begin(), f.include.end(), name) != f.include.end();
  }
  bool table(const std::string &schema_name, const std::string &name) const {
    return schema(schema_name) && (f.include_history || name != "_prisma_migrations");
  }
  // For keys "schema.name" of tables that were read.
};

}  // namespace

Model introspect(const std::string &database_url, const SchemaFilter &filter,
                 const CallContext &ctx) {
  auto conn = pg::Connection::open(pg::parse_target(database_url).conninfo, ctx);
  Model m;
  Filter keep{filter};
  const std::vector<std::string> settings = {
      "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
      // Every name outside pg_catalog comes out schema-qualified.
      "SET LOCAL search_path = pg_catalog",
      "SET LOCAL statement_timeout = '120s'",
      // The queries below name their driving catalog first and join the
      // rest by key; searching for another join order cost the planner
      // more than it found (2 of the 30 ms of a 286-index schema).
      "SET LOCAL join_collapse_limit = 1",
  };
  // Read in this order below.
  const std::vector<std::string> queries = {
      "SHOW server_version_num",
      schemas_query(),
      extensions_query(),
      types_query(),
      tables_query(),
      columns_query(),
      constraints_query(),
      views_query(),
      sequences_query(),
      indexes_query(),
      functions_query(),
      triggers_query(),
      policies_query(),
      unsupported_query(),
      "COMMIT",
  };
  // Everything goes out at once, as one simple query: the server runs each
  // query while the rows of the one before are read into the model.
  std::string batch;
  for (const auto &statements : {settings, queries})
    for (const auto &statement : statements) batch += statement + ";\n";
  conn.send_statements(batch);
  for (std::size_t i = 0; i < settings.size(); ++i) conn.next_result();
  m.server_version_num = std::stoi(conn.next_result().text(0, 0));
  ctx.checkpoint();

  Rows(conn.next_result()).each([&](element r) {
    if (keep.schema(str(r, "name"))) m.schemas.push_back({str(r, "name"), str(r, "comment")});
  });
  Rows(conn.next_result()).each([&](element r) {
    // An extension belongs to the schema its objects live in.
    if (keep.schema(str(r, "schema")))
      m.extensions.push_back({str(r, "name"), str(r, "schema"), str(r, "version")});
  });
  ctx.checkpoint();
  Rows(conn.next_result()).each([&](element r) {
    std::string schema_name = str(r, "schema");
    if (!keep.schema(schema_name)) return;
    char kind = character(r, "kind");
    if (kind == 'e') {
      m.enums.push_back({schema_name, str(r, "name"), str(r, "type_name"), strings(r, "labels"),
                         str(r, "comment")});
    } else if (kind == 'd') {
      Domain d;
      d.schema = schema_name;
      d.name = str(r, "name");
      d.type_name = str(r, "type_name");
      d.base_type = str(r, "base_type");
      d.collation = str(r, "collation");
      d.default_expr = str(r, "default");
      d.not_null = boolean(r, "not_null");
      each(r, "checks", [&](element c) {
        d.checks.push_back({str(c, "name"), str(c, "definition")});
      });
      d.comment = str(r, "comment");
      m.domains.push_back(std::move(d));
    } else {
      CompositeType c;
      c.schema = schema_name;
      c.name = str(r, "name");
      c.type_name = str(r, "type_name");
      each(r, "attributes", [&](element a) { c.attributes.push_back(column(a)); });
      c.comment = str(r, "comment");
      m.composites.push_back(std::move(c));
    }
  });
  ctx.checkpoint();

  std::set<std::string> tables_read;
  std::map<std::string, std::size_t> table_by_oid;  // index into m.tables
  FlatRows(conn.next_result(), table_fields()).each([&](const FlatRows::Row &r) {
    Table t;
    t.schema = r.str("schema");
    t.name = r.str("name");
    if (!keep.table(t.schema, t.name)) return;
    t.qname = r.str("qname");
    t.partitioned = r.boolean("partitioned");
    t.partition_key = r.str("partition_key");
    t.partition_of = r.str("partition_of");
    t.partition_bound = r.str("partition_bound");
    t.unlogged = r.boolean("unlogged");
    t.options = r.strings("options");
    t.rls_enabled = r.boolean("rls_enabled");
    t.rls_forced = r.boolean("rls_forced");
    t.comment = r.str("comment");
    tables_read.insert(t.key());
    table_by_oid[r.str("oid")] = m.tables.size();
    m.tables.push_back(std::move(t));
  });
  auto table_of = [&](const FlatRows::Row &r) -> Table * {
    auto it = table_by_oid.find(r.str("table"));
    return it == table_by_oid.end() ? nullptr : &m.tables[it->second];
  };
  FlatRows(conn.next_result(), column_fields()).each([&](const FlatRows::Row &r) {
    if (Table *t = table_of(r)) t->columns.push_back(column(r));
  });
  // Only a partition's columns come from its parent's definition; plain
  // inheritance is not modelled (it is listed as unsupported).
  for (auto &t : m.tables)
    if (t.partition_of.empty())
      for (auto &c : t.columns) c.inherited = false;
  FlatRows(conn.next_result(), constraint_fields()).each([&](const FlatRows::Row &r) {
    Table *t = table_of(r);
    if (!t) return;
    Constraint k;
    k.name = r.str("name");
    k.type = r.character("type");
    k.definition = r.str("definition");
    k.validated = r.boolean("validated");
    k.references = r.str("references");
    k.comment = r.str("comment");
    t->constraints.push_back(std::move(k));
  });
  ctx.checkpoint();

  std::set<std::string> views_read;
  Rows(conn.next_result()).each([&](element r) {
    View v;
    v.schema = str(r, "schema");
    v.name = str(r, "name");
    if (!keep.schema(v.schema)) return;
    v.qname = str(r, "qname");
    v.materialized = boolean(r, "materialized");
    v.definition = str(r, "definition");
    v.options = strings(r, "options");
    v.populated = boolean(r, "populated");
    v.depends_on = strings(r, "depends_on");
    v.comment = str(r, "comment");
    views_read.insert(v.key());
    m.views.push_back(std::move(v));
  });

  Rows(conn.next_result()).each([&](element r) {
    Sequence s;
    s.schema = str(r, "schema");
    s.name = str(r, "name");
    if (!keep.schema(s.schema)) return;
    s.options = sequence_options(r);
    element owner;
    if (!r["owned_by"].get(owner) && !owner.is_null()) {
      s.owned_by_table = str(owner, "table");
      s.owned_by_column = str(owner, "column");
      // A sequence owned by a table left out (the history table) goes with it.
      if (!tables_read.count(s.owned_by_table)) return;
    }
    s.comment = str(r, "comment");
    m.sequences.push_back(std::move(s));
  });
  ctx.checkpoint();

  FlatRows(conn.next_result(), index_fields()).each([&](const FlatRows::Row &r) {
    Index i;
    i.schema = r.str("schema");
    i.name = r.str("name");
    i.table = r.str("table");
    if (!tables_read.count(i.table) && !views_read.count(i.table)) return;
    i.definition = r.str("definition");
    i.valid = r.boolean("valid");
    i.on_partitioned = r.boolean("on_partitioned");
    i.comment = r.str("comment");
    m.indexes.push_back(std::move(i));
  });
  Rows(conn.next_result()).each([&](element r) {
    Function f;
    f.schema = str(r, "schema");
    if (!keep.schema(f.schema)) return;
    f.name = str(r, "name");
    f.identity_arguments = str(r, "identity_arguments");
    f.kind = character(r, "kind");
    f.result = str(r, "result");
    f.definition = str(r, "definition");
    f.uses_relation_types = boolean(r, "uses_relation_types");
    f.comment = str(r, "comment");
    m.functions.push_back(std::move(f));
  });
  ctx.checkpoint();
  Rows(conn.next_result()).each([&](element r) {
    Trigger t;
    t.table = str(r, "table");
    if (!tables_read.count(t.table) && !views_read.count(t.table)) return;
    t.name = str(r, "name");
    t.definition = str(r, "definition");
    t.enabled = character(r, "enabled");
    t.comment = str(r, "comment");
    m.triggers.push_back(std::move(t));
  });
  Rows(conn.next_result()).each([&](element r) {
    Policy p;
    p.table = str(r, "table");
    if (!tables_read.count(p.table)) return;
    p.name = str(r, "name");
    p.permissive = boolean(r, "permissive");
    p.command = str(r, "command");
    p.roles = strings(r, "roles");
    p.using_expr = str(r, "using");
    p.check_expr = str(r, "check");
    p.comment = str(r, "comment");
    m.policies.push_back(std::move(p));
  });
  Rows(conn.next_result()).each([&](element r) {
    if (keep.schema(str(r, "schema"))) m.unsupported.push_back(str(r, "what"));
  });
  conn.next_result();  // COMMIT
  conn.finish_statements();
  m.sort();
  return m;
}

}  // namespace dbsafe::schema
