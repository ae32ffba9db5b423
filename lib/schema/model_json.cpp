// The model as JSON (docs/schema/schema-model.v1.json) and back, plus the
// canonical order and identifier quoting every renderer shares.
#include <simdjson.h>

#include <algorithm>

#include "schema/model.hpp"
#include "util/json_writer.hpp"

namespace dbsafe::schema {

namespace {
constexpr int kModelSchemaVersion = 1;
}

std::string quote(const std::string &identifier) {
  std::string out = "\"";
  for (char c : identifier) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string quote(const std::string &schema, const std::string &name) {
  return quote(schema) + "." + quote(name);
}

// Under standard_conforming_strings (on since PostgreSQL 9.1) a backslash in
// '' is literal, so doubling quotes is the whole escaping.
std::string literal(const std::string &text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

Model empty_model() {
  Model m;
  m.schemas.push_back({"public", "standard public schema"});
  return m;
}

void Model::sort() {
  auto by_key = [](auto &v) {
    std::sort(v.begin(), v.end(), [](const auto &a, const auto &b) { return a.key() < b.key(); });
  };
  std::sort(schemas.begin(), schemas.end(),
            [](const Namespace &a, const Namespace &b) { return a.name < b.name; });
  std::sort(extensions.begin(), extensions.end(),
            [](const Extension &a, const Extension &b) { return a.name < b.name; });
  by_key(enums);
  by_key(domains);
  by_key(composites);
  by_key(sequences);
  by_key(tables);
  by_key(indexes);
  by_key(views);
  by_key(functions);
  by_key(triggers);
  by_key(policies);
  for (auto &t : tables)
    std::sort(t.constraints.begin(), t.constraints.end(),
              [](const Constraint &a, const Constraint &b) { return a.name < b.name; });
  std::sort(unsupported.begin(), unsupported.end());
}

// --- writing ---------------------------------------------------------------

namespace {

using util::JsonWriter;

void opt(JsonWriter &w, const char *key, const std::string &v) {
  if (!v.empty()) w.field(key, v);
}

void write_strings(JsonWriter &w, const char *key, const std::vector<std::string> &v) {
  if (v.empty()) return;
  w.key(key).begin_array();
  for (const auto &s : v) w.value(s);
  w.end_array();
}

void write_sequence(JsonWriter &w, const SequenceOptions &s) {
  w.field("data_type", s.data_type)
      .field("start", s.start)
      .field("increment", s.increment)
      .field("min", s.min)
      .field("max", s.max)
      .field("cache", s.cache)
      .field("cycle", s.cycle);
}

void write_column(JsonWriter &w, const Column &c) {
  w.begin_object().field("name", c.name).field("type", c.type);
  opt(w, "collation", c.collation);
  if (c.not_null) w.field("not_null", true);
  opt(w, "default", c.default_expr);
  if (c.identity) {
    w.field("identity", c.identity == 'a' ? "always" : "by default");
    w.key("identity_options").begin_object();
    write_sequence(w, c.identity_options);
    w.end_object();
  }
  opt(w, "generated", c.generated_expr);
  if (c.inherited) w.field("inherited", true);
  opt(w, "comment", c.comment);
  w.end_object();
}

}  // namespace

std::string to_json(const Model &m) {
  JsonWriter w;
  w.begin_object().field("schema_version", kModelSchemaVersion);
  w.field("server_version_num", m.server_version_num);
  w.key("schemas").begin_array();
  for (const auto &s : m.schemas) {
    w.begin_object().field("name", s.name);
    opt(w, "comment", s.comment);
    w.end_object();
  }
  w.end_array().key("extensions").begin_array();
  for (const auto &e : m.extensions)
    w.begin_object()
        .field("name", e.name)
        .field("schema", e.schema)
        .field("version", e.version)
        .end_object();
  w.end_array().key("enums").begin_array();
  for (const auto &e : m.enums) {
    w.begin_object()
        .field("schema", e.schema)
        .field("name", e.name)
        .field("type_name", e.type_name);
    write_strings(w, "labels", e.labels);
    opt(w, "comment", e.comment);
    w.end_object();
  }
  w.end_array().key("domains").begin_array();
  for (const auto &d : m.domains) {
    w.begin_object()
        .field("schema", d.schema)
        .field("name", d.name)
        .field("type_name", d.type_name)
        .field("base_type", d.base_type);
    opt(w, "collation", d.collation);
    opt(w, "default", d.default_expr);
    if (d.not_null) w.field("not_null", true);
    if (!d.checks.empty()) {
      w.key("checks").begin_array();
      for (const auto &c : d.checks)
        w.begin_object().field("name", c.name).field("definition", c.definition).end_object();
      w.end_array();
    }
    opt(w, "comment", d.comment);
    w.end_object();
  }
  w.end_array().key("composite_types").begin_array();
  for (const auto &c : m.composites) {
    w.begin_object()
        .field("schema", c.schema)
        .field("name", c.name)
        .field("type_name", c.type_name);
    w.key("attributes").begin_array();
    for (const auto &a : c.attributes) write_column(w, a);
    w.end_array();
    opt(w, "comment", c.comment);
    w.end_object();
  }
  w.end_array().key("sequences").begin_array();
  for (const auto &s : m.sequences) {
    w.begin_object().field("schema", s.schema).field("name", s.name);
    write_sequence(w, s.options);
    if (!s.owned_by_table.empty())
      w.key("owned_by")
          .begin_object()
          .field("table", s.owned_by_table)
          .field("column", s.owned_by_column)
          .end_object();
    opt(w, "comment", s.comment);
    w.end_object();
  }
  w.end_array().key("tables").begin_array();
  for (const auto &t : m.tables) {
    w.begin_object().field("schema", t.schema).field("name", t.name).field("qname", t.qname);
    if (t.partitioned) w.field("partition_key", t.partition_key);
    if (!t.partition_of.empty())
      w.field("partition_of", t.partition_of).field("partition_bound", t.partition_bound);
    if (t.unlogged) w.field("unlogged", true);
    write_strings(w, "options", t.options);
    w.key("columns").begin_array();
    for (const auto &c : t.columns) write_column(w, c);
    w.end_array().key("constraints").begin_array();
    for (const auto &c : t.constraints) {
      w.begin_object()
          .field("name", c.name)
          .field("type", std::string(1, c.type))
          .field("definition", c.definition);
      if (!c.validated) w.field("validated", false);
      opt(w, "references", c.references);
      opt(w, "comment", c.comment);
      w.end_object();
    }
    w.end_array();
    if (t.rls_enabled) w.field("rls_enabled", true);
    if (t.rls_forced) w.field("rls_forced", true);
    opt(w, "comment", t.comment);
    w.end_object();
  }
  w.end_array().key("indexes").begin_array();
  for (const auto &i : m.indexes) {
    w.begin_object()
        .field("schema", i.schema)
        .field("name", i.name)
        .field("table", i.table)
        .field("definition", i.definition);
    if (!i.valid) w.field("valid", false);
    if (i.on_partitioned) w.field("on_partitioned", true);
    opt(w, "comment", i.comment);
    w.end_object();
  }
  w.end_array().key("views").begin_array();
  for (const auto &v : m.views) {
    w.begin_object().field("schema", v.schema).field("name", v.name).field("qname", v.qname);
    if (v.materialized) w.field("materialized", true);
    w.field("definition", v.definition);
    write_strings(w, "options", v.options);
    if (!v.populated) w.field("populated", false);
    write_strings(w, "depends_on", v.depends_on);
    opt(w, "comment", v.comment);
    w.end_object();
  }
  w.end_array().key("functions").begin_array();
  for (const auto &f : m.functions) {
    w.begin_object()
        .field("schema", f.schema)
        .field("name", f.name)
        .field("identity_arguments", f.identity_arguments)
        .field("kind", f.kind == 'p' ? "procedure" : "function")
        .field("result", f.result)
        .field("definition", f.definition);
    if (f.uses_relation_types) w.field("uses_relation_types", true);
    opt(w, "comment", f.comment);
    w.end_object();
  }
  w.end_array().key("triggers").begin_array();
  for (const auto &t : m.triggers) {
    w.begin_object()
        .field("table", t.table)
        .field("name", t.name)
        .field("definition", t.definition);
    if (t.enabled != 'O') w.field("enabled", std::string(1, t.enabled));
    opt(w, "comment", t.comment);
    w.end_object();
  }
  w.end_array().key("policies").begin_array();
  for (const auto &p : m.policies) {
    w.begin_object()
        .field("table", p.table)
        .field("name", p.name)
        .field("permissive", p.permissive)
        .field("command", p.command);
    write_strings(w, "roles", p.roles);
    opt(w, "using", p.using_expr);
    opt(w, "check", p.check_expr);
    opt(w, "comment", p.comment);
    w.end_object();
  }
  w.end_array();
  write_strings(w, "unsupported", m.unsupported);
  w.end_object();
  return w.take();
}

// --- reading ---------------------------------------------------------------

namespace {

using simdjson::dom::element;

class Reader {
 public:
  explicit Reader(std::string origin) : origin_(std::move(origin)) {}

  [[noreturn]] void fail(const std::string &where, const std::string &what) const {
    throw Error(ErrorCode::Parse,
                origin_ + ": " + where + ": " + what +
                    " (a schema model written by `dbsafe schema dump --format json`)");
  }
  std::string str(element o, const char *key, const std::string &where,
                  bool required = false) const {
    element v;
    if (o[key].get(v) || v.is_null()) {
      if (required) fail(where, std::string("\"") + key + "\" is missing");
      return {};
    }
    std::string_view s;
    if (v.get_string().get(s)) fail(where, std::string("\"") + key + "\" must be a string");
    return std::string(s);
  }
  bool boolean(element o, const char *key, const std::string &where, bool fallback = false) const {
    element v;
    if (o[key].get(v) || v.is_null()) return fallback;
    bool b;
    if (v.get_bool().get(b)) fail(where, std::string("\"") + key + "\" must be true or false");
    return b;
  }
  std::int64_t integer(element o, const char *key, const std::string &where,
                       std::int64_t fallback) const {
    element v;
    if (o[key].get(v) || v.is_null()) return fallback;
    std::int64_t i;
    if (v.get_int64().get(i)) fail(where, std::string("\"") + key + "\" must be an integer");
    return i;
  }
  std::vector<std::string> strings(element o, const char *key, const std::string &where) const {
    std::vector<std::string> out;
    element v;
    if (o[key].get(v) || v.is_null()) return out;
    simdjson::dom::array a;
    if (v.get_array().get(a)) fail(where, std::string("\"") + key + "\" must be an array");
    for (element e : a) {
      std::string_view s;
      if (e.get_string().get(s)) fail(where, std::string("\"") + key + "\" must hold strings");
      out.emplace_back(s);
    }
    return out;
  }
  template <typename F>
  void each(element o, const char *key, const std::string &where, F &&f) const {
    element v;
    if (o[key].get(v) || v.is_null()) return;
    simdjson::dom::array a;
    if (v.get_array().get(a)) fail(where, std::string("\"") + key + "\" must be an array");
    std::size_t i = 0;
    for (element e : a) {
      if (!e.is_object())
        fail(where + "." + key + "[" + std::to_string(i) + "]", "must be an object");
      f(e, where + "." + key + "[" + std::to_string(i) + "]");
      ++i;
    }
  }
  SequenceOptions sequence(element o, const std::string &where) const {
    SequenceOptions s;
    s.data_type = str(o, "data_type", where);
    if (s.data_type.empty()) s.data_type = "bigint";
    s.start = integer(o, "start", where, 1);
    s.increment = integer(o, "increment", where, 1);
    s.min = integer(o, "min", where, 1);
    s.max = integer(o, "max", where, 0);
    s.cache = integer(o, "cache", where, 1);
    s.cycle = boolean(o, "cycle", where);
    return s;
  }
  Column column(element o, const std::string &where) const {
    Column c;
    c.name = str(o, "name", where, true);
    c.type = str(o, "type", where, true);
    c.collation = str(o, "collation", where);
    c.not_null = boolean(o, "not_null", where);
    c.default_expr = str(o, "default", where);
    std::string identity = str(o, "identity", where);
    if (identity == "always")
      c.identity = 'a';
    else if (identity == "by default")
      c.identity = 'd';
    else if (!identity.empty())
      fail(where, "\"identity\" must be \"always\" or \"by default\"");
    element opts;
    if (c.identity && !o["identity_options"].get(opts) && opts.is_object())
      c.identity_options = sequence(opts, where + ".identity_options");
    c.generated_expr = str(o, "generated", where);
    c.inherited = boolean(o, "inherited", where);
    c.comment = str(o, "comment", where);
    return c;
  }

 private:
  std::string origin_;
};

}  // namespace

Model from_json(std::string_view json, const std::string &origin) {
  Reader r(origin);
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  element root;
  if (auto err = parser.parse(padded).get(root))
    r.fail("$", std::string("not valid JSON: ") + simdjson::error_message(err));
  if (!root.is_object()) r.fail("$", "must be an object");
  std::int64_t version = r.integer(root, "schema_version", "$", -1);
  if (version != kModelSchemaVersion)
    r.fail("$.schema_version", "is " + std::to_string(version) + "; this dbsafe reads version " +
                                   std::to_string(kModelSchemaVersion));
  Model m;
  m.server_version_num = static_cast<int>(r.integer(root, "server_version_num", "$", 0));
  r.each(root, "schemas", "$", [&](element o, const std::string &w) {
    m.schemas.push_back({r.str(o, "name", w, true), r.str(o, "comment", w)});
  });
  r.each(root, "extensions", "$", [&](element o, const std::string &w) {
    m.extensions.push_back(
        {r.str(o, "name", w, true), r.str(o, "schema", w, true), r.str(o, "version", w)});
  });
  r.each(root, "enums", "$", [&](element o, const std::string &w) {
    m.enums.push_back({r.str(o, "schema", w, true), r.str(o, "name", w, true),
                       r.str(o, "type_name", w, true), r.strings(o, "labels", w),
                       r.str(o, "comment", w)});
  });
  r.each(root, "domains", "$", [&](element o, const std::string &w) {
    Domain d;
    d.schema = r.str(o, "schema", w, true);
    d.name = r.str(o, "name", w, true);
    d.type_name = r.str(o, "type_name", w, true);
    d.base_type = r.str(o, "base_type", w, true);
    d.collation = r.str(o, "collation", w);
    d.default_expr = r.str(o, "default", w);
    d.not_null = r.boolean(o, "not_null", w);
    r.each(o, "checks", w, [&](element c, const std::string &cw) {
      d.checks.push_back({r.str(c, "name", cw, true), r.str(c, "definition", cw, true)});
    });
    d.comment = r.str(o, "comment", w);
    m.domains.push_back(std::move(d));
  });
  r.each(root, "composite_types", "$", [&](element o, const std::string &w) {
    CompositeType c;
    c.schema = r.str(o, "schema", w, true);
    c.name = r.str(o, "name", w, true);
    c.type_name = r.str(o, "type_name", w, true);
    r.each(o, "attributes", w,
           [&](element a, const std::string &aw) { c.attributes.push_back(r.column(a, aw)); });
    c.comment = r.str(o, "comment", w);
    m.composites.push_back(std::move(c));
  });
  r.each(root, "sequences", "$", [&](element o, const std::string &w) {
    Sequence s;
    s.schema = r.str(o, "schema", w, true);
    s.name = r.str(o, "name", w, true);
    s.options = r.sequence(o, w);
    element owner;
    if (!o["owned_by"].get(owner) && owner.is_object()) {
      s.owned_by_table = r.str(owner, "table", w + ".owned_by", true);
      s.owned_by_column = r.str(owner, "column", w + ".owned_by", true);
    }
    s.comment = r.str(o, "comment", w);
    m.sequences.push_back(std::move(s));
  });
  r.each(root, "tables", "$", [&](element o, const std::string &w) {
    Table t;
    t.schema = r.str(o, "schema", w, true);
    t.name = r.str(o, "name", w, true);
    t.qname = r.str(o, "qname", w);
    if (t.qname.empty()) t.qname = quote(t.schema, t.name);
    t.partition_key = r.str(o, "partition_key", w);
    t.partitioned = !t.partition_key.empty();
    t.partition_of = r.str(o, "partition_of", w);
    t.partition_bound = r.str(o, "partition_bound", w);
    t.unlogged = r.boolean(o, "unlogged", w);
    t.options = r.strings(o, "options", w);
    r.each(o, "columns", w,
           [&](element c, const std::string &cw) { t.columns.push_back(r.column(c, cw)); });
    r.each(o, "constraints", w, [&](element c, const std::string &cw) {
      Constraint k;
      k.name = r.str(c, "name", cw, true);
      std::string type = r.str(c, "type", cw, true);
      if (type.size() != 1 || std::string("pufcx").find(type[0]) == std::string::npos)
        r.fail(cw, "\"type\" must be one of p, u, f, c, x");
      k.type = type[0];
      k.definition = r.str(c, "definition", cw, true);
      k.validated = r.boolean(c, "validated", cw, true);
      k.references = r.str(c, "references", cw);
      k.comment = r.str(c, "comment", cw);
      t.constraints.push_back(std::move(k));
    });
    t.rls_enabled = r.boolean(o, "rls_enabled", w);
    t.rls_forced = r.boolean(o, "rls_forced", w);
    t.comment = r.str(o, "comment", w);
    m.tables.push_back(std::move(t));
  });
  r.each(root, "indexes", "$", [&](element o, const std::string &w) {
    Index i;
    i.schema = r.str(o, "schema", w, true);
    i.name = r.str(o, "name", w, true);
    i.table = r.str(o, "table", w, true);
    i.definition = r.str(o, "definition", w, true);
    i.valid = r.boolean(o, "valid", w, true);
    i.on_partitioned = r.boolean(o, "on_partitioned", w);
    i.comment = r.str(o, "comment", w);
    m.indexes.push_back(std::move(i));
  });
  r.each(root, "views", "$", [&](element o, const std::string &w) {
    View v;
    v.schema = r.str(o, "schema", w, true);
    v.name = r.str(o, "name", w, true);
    v.qname = r.str(o, "qname", w);
    if (v.qname.empty()) v.qname = quote(v.schema, v.name);
    v.materialized = r.boolean(o, "materialized", w);
    v.definition = r.str(o, "definition", w, true);
    v.options = r.strings(o, "options", w);
    v.populated = r.boolean(o, "populated", w, true);
    v.depends_on = r.strings(o, "depends_on", w);
    v.comment = r.str(o, "comment", w);
    m.views.push_back(std::move(v));
  });
  r.each(root, "functions", "$", [&](element o, const std::string &w) {
    Function f;
    f.schema = r.str(o, "schema", w, true);
    f.name = r.str(o, "name", w, true);
    f.identity_arguments = r.str(o, "identity_arguments", w);
    f.kind = r.str(o, "kind", w) == "procedure" ? 'p' : 'f';
    f.result = r.str(o, "result", w);
    f.definition = r.str(o, "definition", w, true);
    f.uses_relation_types = r.boolean(o, "uses_relation_types", w);
    f.comment = r.str(o, "comment", w);
    m.functions.push_back(std::move(f));
  });
  r.each(root, "triggers", "$", [&](element o, const std::string &w) {
    Trigger t;
    t.table = r.str(o, "table", w, true);
    t.name = r.str(o, "name", w, true);
    t.definition = r.str(o, "definition", w, true);
    std::string enabled = r.str(o, "enabled", w);
    t.enabled = enabled.empty() ? 'O' : enabled[0];
    t.comment = r.str(o, "comment", w);
    m.triggers.push_back(std::move(t));
  });
  r.each(root, "policies", "$", [&](element o, const std::string &w) {
    Policy p;
    p.table = r.str(o, "table", w, true);
    p.name = r.str(o, "name", w, true);
    p.permissive = r.boolean(o, "permissive", w, true);
    p.command = r.str(o, "command", w);
    if (p.command.empty()) p.command = "ALL";
    p.roles = r.strings(o, "roles", w);
    p.using_expr = r.str(o, "using", w);
    p.check_expr = r.str(o, "check", w);
    p.comment = r.str(o, "comment", w);
    m.policies.push_back(std::move(p));
  });
  m.unsupported = r.strings(root, "unsupported", "$");
  m.sort();
  return m;
}

}  // namespace dbsafe::schema
