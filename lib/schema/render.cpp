// A whole model as DDL, in an order that runs on an empty database: types
// before the tables that use them, tables before their constraints, views
// after what they read (pg_depend), foreign keys after every key they
// reference, comments last. Within a kind, objects follow the model's
// sorted order, so the output is deterministic and diffs well.
#include <map>

#include "schema/ddl.hpp"

namespace dbsafe::schema {

namespace {

void emit(std::string &out, const std::string &statement) {
  out += statement;
  out += '\n';
}

void section(std::string &out, const char *title) {
  out += "\n-- ";
  out += title;
  out += "\n";
}

// Types that name other types of the same kind (a domain over a domain, a
// composite holding a composite) come after them.
template <typename T, typename UsesFn>
std::vector<std::size_t> types_in_order(const std::vector<T> &types, UsesFn uses) {
  return topological_order(types.size(), [&](std::size_t i) {
    std::vector<std::size_t> deps;
    for (std::size_t j = 0; j < types.size(); ++j)
      if (j != i && uses(types[i], types[j].type_name)) deps.push_back(j);
    return deps;
  });
}

bool names_type(const std::string &type, const std::string &type_name) {
  return type == type_name || type == type_name + "[]";
}

}  // namespace

std::vector<std::size_t> view_order(const std::vector<View> &views) {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < views.size(); ++i) index[views[i].key()] = i;
  return topological_order(views.size(), [&](std::size_t i) {
    std::vector<std::size_t> deps;
    for (const auto &d : views[i].depends_on) {
      auto it = index.find(d);
      if (it != index.end() && it->second != i) deps.push_back(it->second);
    }
    return deps;
  });
}

std::vector<std::size_t> table_order(const std::vector<Table> &tables) {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < tables.size(); ++i) index[tables[i].key()] = i;
  return topological_order(tables.size(), [&](std::size_t i) {
    std::vector<std::size_t> deps;
    auto it = index.find(tables[i].partition_of);
    if (it != index.end()) deps.push_back(it->second);
    return deps;
  });
}

std::string render_sql(const Model &m, const RenderOptions &options) {
  Ddl ddl(m);
  std::string out;
  if (options.header) {
    out += "-- Schema written by dbsafe";
    if (m.server_version_num)
      out += " from PostgreSQL " + std::to_string(m.server_version_num / 10000) + "." +
             std::to_string(m.server_version_num % 10000);
    out += ".\n-- Names are schema-qualified; it does not depend on search_path.\n";
    // Function bodies may name tables created further down.
    out += "SET check_function_bodies = false;\n";
  }
  if (!m.schemas.empty()) {
    section(out, "schemas");
    for (const auto &s : m.schemas) emit(out, "CREATE SCHEMA IF NOT EXISTS " + quote(s.name) + ";");
  }
  if (!m.extensions.empty()) {
    section(out, "extensions");
    for (const auto &e : m.extensions) emit(out, Ddl::create_extension(e));
  }
  if (!m.enums.empty() || !m.domains.empty() || !m.composites.empty()) {
    section(out, "types");
    for (const auto &e : m.enums) emit(out, Ddl::create_enum(e));
    for (auto i : types_in_order(m.domains, [](const Domain &d, const std::string &n) {
           return names_type(d.base_type, n);
         }))
      emit(out, Ddl::create_domain(m.domains[i]));
    for (auto i : types_in_order(m.composites, [](const CompositeType &c, const std::string &n) {
           for (const auto &a : c.attributes)
             if (names_type(a.type, n)) return true;
           return false;
         }))
      emit(out, Ddl::create_composite(m.composites[i]));
  }
  if (!m.sequences.empty()) {
    section(out, "sequences");
    for (const auto &s : m.sequences) emit(out, Ddl::create_sequence(s));
  }
  bool late_functions = false;
  if (!m.functions.empty()) {
    section(out, "functions");
    for (const auto &f : m.functions) {
      if (f.uses_relation_types)
        late_functions = true;
      else
        emit(out, Ddl::create_function(f));
    }
  }
  if (!m.tables.empty()) {
    section(out, "tables");
    for (auto i : table_order(m.tables)) emit(out, ddl.create_table(m.tables[i]));
    for (const auto &s : m.sequences)
      if (!s.owned_by_table.empty()) emit(out, ddl.sequence_owned_by(s));
    bool any_key = false;
    for (const auto &t : m.tables)
      for (const auto &c : t.constraints) any_key = any_key || c.type != 'f';
    if (any_key) section(out, "keys and checks");
    for (const auto &t : m.tables)
      for (const auto &c : t.constraints)
        if (c.type != 'f') emit(out, Ddl::add_constraint(t, c));
  }
  if (late_functions) {
    section(out, "functions on table types");
    for (const auto &f : m.functions)
      if (f.uses_relation_types) emit(out, Ddl::create_function(f));
  }
  if (!m.views.empty()) {
    section(out, "views");
    for (auto i : view_order(m.views)) emit(out, Ddl::create_view(m.views[i]));
  }
  if (!m.indexes.empty()) {
    section(out, "indexes");
    for (const auto &i : m.indexes) emit(out, Ddl::create_index(i));
  }
  bool any_fk = false;
  for (const auto &t : m.tables)
    for (const auto &c : t.constraints) any_fk = any_fk || c.type == 'f';
  if (any_fk) {
    section(out, "foreign keys");
    for (const auto &t : m.tables)
      for (const auto &c : t.constraints)
        if (c.type == 'f') emit(out, Ddl::add_constraint(t, c));
  }
  if (!m.triggers.empty()) {
    section(out, "triggers");
    for (const auto &t : m.triggers)
      for (const auto &s : ddl.create_trigger(t)) emit(out, s);
  }
  bool any_rls = !m.policies.empty();
  for (const auto &t : m.tables) any_rls = any_rls || t.rls_enabled || t.rls_forced;
  if (any_rls) {
    section(out, "row-level security");
    for (const auto &t : m.tables) {
      if (t.rls_enabled)
        emit(out, "ALTER TABLE " + quote(t.schema, t.name) + " ENABLE ROW LEVEL SECURITY;");
      if (t.rls_forced)
        emit(out, "ALTER TABLE " + quote(t.schema, t.name) + " FORCE ROW LEVEL SECURITY;");
    }
    for (const auto &p : m.policies) emit(out, ddl.create_policy(p));
  }
  std::string comments;
  auto add = [&](const std::string &what, const std::string &text) {
    if (!text.empty()) comments += Ddl::comment(what, text) + "\n";
  };
  for (const auto &s : m.schemas) add("SCHEMA " + quote(s.name), s.comment);
  for (const auto &e : m.enums) add("TYPE " + quote(e.schema, e.name), e.comment);
  for (const auto &d : m.domains) add("DOMAIN " + quote(d.schema, d.name), d.comment);
  for (const auto &c : m.composites) add("TYPE " + quote(c.schema, c.name), c.comment);
  for (const auto &s : m.sequences) add("SEQUENCE " + quote(s.schema, s.name), s.comment);
  for (const auto &t : m.tables) {
    add(Ddl::table_target(t), t.comment);
    for (const auto &c : t.columns)
      if (!c.inherited) add("COLUMN " + quote(t.schema, t.name) + "." + quote(c.name), c.comment);
    for (const auto &c : t.constraints)
      add("CONSTRAINT " + quote(c.name) + " ON " + quote(t.schema, t.name), c.comment);
  }
  for (const auto &i : m.indexes) add("INDEX " + quote(i.schema, i.name), i.comment);
  for (const auto &v : m.views)
    add(std::string(v.materialized ? "MATERIALIZED VIEW " : "VIEW ") + quote(v.schema, v.name),
        v.comment);
  for (const auto &f : m.functions) add(Ddl::function_target(f), f.comment);
  for (const auto &t : m.triggers)
    add("TRIGGER " + quote(t.name) + " ON " + ddl.relation(t.table), t.comment);
  for (const auto &p : m.policies)
    add("POLICY " + quote(p.name) + " ON " + ddl.relation(p.table), p.comment);
  if (!comments.empty()) {
    section(out, "comments");
    out += comments;
  }
  if (!m.unsupported.empty()) {
    section(out, "not modelled by dbsafe (write these by hand)");
    for (const auto &u : m.unsupported) out += "--   " + u + "\n";
  }
  return out;
}

}  // namespace dbsafe::schema
