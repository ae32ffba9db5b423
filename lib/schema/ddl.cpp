#include "schema/ddl.hpp"

#include <algorithm>

namespace dbsafe::schema {

namespace {

std::string join(const std::vector<std::string> &parts, const char *sep) {
  std::string out;
  for (const auto &p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

// pg_get_viewdef ends the query with ';' and may start it with a space.
std::string view_query(const std::string &definition) {
  std::size_t begin = definition.find_first_not_of(" \n");
  std::size_t end = definition.find_last_not_of(" \n;");
  if (begin == std::string::npos || end == std::string::npos || end < begin) return definition;
  return definition.substr(begin, end - begin + 1);
}

}  // namespace

Ddl::Ddl(const Model &model) {
  for (const auto &t : model.tables) tables_[t.key()] = &t;
  for (const auto &v : model.views) views_[v.key()] = &v;
}

const Table *Ddl::table(const std::string &key) const {
  auto it = tables_.find(key);
  return it == tables_.end() ? nullptr : it->second;
}

const View *Ddl::view(const std::string &key) const {
  auto it = views_.find(key);
  return it == views_.end() ? nullptr : it->second;
}

std::string Ddl::relation(const std::string &key) const {
  if (const Table *t = table(key)) return quote(t->schema, t->name);
  if (const View *v = view(key)) return quote(v->schema, v->name);
  // Not in this model: split at the first dot (schema names seldom hold one).
  auto dot = key.find('.');
  return dot == std::string::npos ? quote(key) : quote(key.substr(0, dot), key.substr(dot + 1));
}

std::string Ddl::sequence_options(const SequenceOptions &s, bool with_type) {
  std::string out;
  if (with_type) out += "AS " + s.data_type + " ";
  out += "START WITH " + std::to_string(s.start) + " INCREMENT BY " + std::to_string(s.increment) +
         " MINVALUE " + std::to_string(s.min) + " MAXVALUE " + std::to_string(s.max) + " CACHE " +
         std::to_string(s.cache) + (s.cycle ? " CYCLE" : " NO CYCLE");
  return out;
}

std::string Ddl::column_definition(const Column &c) {
  std::string out = quote(c.name) + " " + c.type;
  if (!c.collation.empty()) out += " COLLATE " + c.collation;
  if (!c.generated_expr.empty()) out += " GENERATED ALWAYS AS (" + c.generated_expr + ") STORED";
  if (c.identity)
    out += std::string(" GENERATED ") + (c.identity == 'a' ? "ALWAYS" : "BY DEFAULT") +
           " AS IDENTITY (" + sequence_options(c.identity_options, false) + ")";
  if (!c.default_expr.empty()) out += " DEFAULT " + c.default_expr;
  if (c.not_null) out += " NOT NULL";
  return out;
}

std::string Ddl::create_table(const Table &t) const {
  std::string q = quote(t.schema, t.name);
  std::string out = std::string("CREATE ") + (t.unlogged ? "UNLOGGED " : "") + "TABLE " + q;
  if (!t.partition_of.empty()) {
    out += " PARTITION OF " + relation(t.partition_of) + " " + t.partition_bound;
  } else {
    out += " (";
    bool first = true;
    for (const auto &c : t.columns) {
      if (c.inherited) continue;
      out += first ? "\n    " : ",\n    ";
      out += column_definition(c);
      first = false;
    }
    out += first ? ")" : "\n)";
  }
  if (t.partitioned) out += " PARTITION BY " + t.partition_key;
  if (!t.options.empty()) out += " WITH (" + join(t.options, ", ") + ")";
  return out + ";";
}

std::string Ddl::create_sequence(const Sequence &s) {
  return "CREATE SEQUENCE " + quote(s.schema, s.name) + " " + sequence_options(s.options, true) +
         ";";
}

std::string Ddl::sequence_owned_by(const Sequence &s) const {
  if (s.owned_by_table.empty())
    return "ALTER SEQUENCE " + quote(s.schema, s.name) + " OWNED BY NONE;";
  return "ALTER SEQUENCE " + quote(s.schema, s.name) + " OWNED BY " + relation(s.owned_by_table) +
         "." + quote(s.owned_by_column) + ";";
}

std::string Ddl::create_enum(const EnumType &e) {
  std::vector<std::string> labels;
  for (const auto &l : e.labels) labels.push_back(literal(l));
  return "CREATE TYPE " + quote(e.schema, e.name) + " AS ENUM (" + join(labels, ", ") + ");";
}

std::string Ddl::create_domain(const Domain &d) {
  std::string out = "CREATE DOMAIN " + quote(d.schema, d.name) + " AS " + d.base_type;
  if (!d.collation.empty()) out += " COLLATE " + d.collation;
  if (!d.default_expr.empty()) out += " DEFAULT " + d.default_expr;
  if (d.not_null) out += " NOT NULL";
  for (const auto &c : d.checks) out += " CONSTRAINT " + quote(c.name) + " " + c.definition;
  return out + ";";
}

std::string Ddl::create_composite(const CompositeType &c) {
  std::vector<std::string> attrs;
  for (const auto &a : c.attributes) {
    std::string s = quote(a.name) + " " + a.type;
    if (!a.collation.empty()) s += " COLLATE " + a.collation;
    attrs.push_back(s);
  }
  return "CREATE TYPE " + quote(c.schema, c.name) + " AS (" + join(attrs, ", ") + ");";
}

std::string Ddl::add_constraint(const Table &t, const Constraint &c) {
  return "ALTER TABLE " + quote(t.schema, t.name) + " ADD CONSTRAINT " + quote(c.name) + " " +
         c.definition + ";";
}

std::string Ddl::create_index(const Index &i) {
  std::string def = i.definition;
  // pg_get_indexdef says ON ONLY for a partitioned table's index, whose
  // partitions' indexes pg_dump attaches one by one; without ONLY the
  // partitions' indexes are made (and attached) with it.
  if (i.on_partitioned) {
    auto at = def.find(" ON ONLY ");
    if (at != std::string::npos) def.replace(at, 9, " ON ");
  }
  return def + ";";
}

std::string Ddl::create_view(const View &v) {
  std::string out = std::string("CREATE ") + (v.materialized ? "MATERIALIZED VIEW " : "VIEW ") +
                    quote(v.schema, v.name);
  if (!v.options.empty()) out += " WITH (" + join(v.options, ", ") + ")";
  out += " AS\n" + view_query(v.definition);
  if (v.materialized) out += v.populated ? "\nWITH DATA" : "\nWITH NO DATA";
  return out + ";";
}

std::string Ddl::create_function(const Function &f) {
  std::string def = f.definition;
  while (!def.empty() && (def.back() == '\n' || def.back() == ' ')) def.pop_back();
  return def + ";";
}

std::string Ddl::function_target(const Function &f) {
  return std::string(f.kind == 'p' ? "PROCEDURE " : "FUNCTION ") + quote(f.schema, f.name) + "(" +
         f.identity_arguments + ")";
}

std::string Ddl::drop_function(const Function &f) {
  return "DROP " + function_target(f) + ";";
}

std::vector<std::string> Ddl::create_trigger(const Trigger &t) const {
  std::vector<std::string> out{t.definition + ";"};
  std::string state = trigger_state(t);
  if (!state.empty()) out.push_back(state);
  return out;
}

std::string Ddl::trigger_state(const Trigger &t) const {
  const char *verb = t.enabled == 'D'   ? "DISABLE"
                     : t.enabled == 'R' ? "ENABLE REPLICA"
                     : t.enabled == 'A' ? "ENABLE ALWAYS"
                                        : nullptr;
  if (!verb) return {};
  return "ALTER TABLE " + relation(t.table) + " " + verb + " TRIGGER " + quote(t.name) + ";";
}

std::string Ddl::create_policy(const Policy &p) const {
  std::string out = "CREATE POLICY " + quote(p.name) + " ON " + relation(p.table) + " AS " +
                    (p.permissive ? "PERMISSIVE" : "RESTRICTIVE") + " FOR " + p.command;
  out += " TO " + (p.roles.empty() ? std::string("PUBLIC") : join(p.roles, ", "));
  if (!p.using_expr.empty()) out += " USING (" + p.using_expr + ")";
  if (!p.check_expr.empty()) out += " WITH CHECK (" + p.check_expr + ")";
  return out + ";";
}

std::string Ddl::create_extension(const Extension &e) {
  return "CREATE EXTENSION IF NOT EXISTS " + quote(e.name) + " WITH SCHEMA " + quote(e.schema) +
         ";";
}

std::string Ddl::comment(const std::string &what, const std::string &comment) {
  return "COMMENT ON " + what + " IS " +
         (comment.empty() ? std::string("NULL") : literal(comment)) + ";";
}

}  // namespace dbsafe::schema
