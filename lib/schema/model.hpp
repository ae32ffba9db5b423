// The schema model: what introspection reads from pg_catalog, what the DDL
// renderer writes and what the differ compares. Definitions are kept in the
// form PostgreSQL's own deparsers print them (pg_get_indexdef,
// pg_get_constraintdef, pg_get_viewdef, pg_get_functiondef, pg_get_expr,
// format_type), read with search_path = pg_catalog so every name outside
// pg_catalog is schema-qualified: two models read from two servers compare
// by plain string equality, and the renderer can emit them as they are.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dbsafe/schema.hpp"

namespace dbsafe::schema {

// Sequence parameters, shared by sequences and identity columns.
struct SequenceOptions {
  std::string data_type = "bigint";
  std::int64_t start = 1, increment = 1, min = 1, max = 0, cache = 1;
  bool cycle = false;
  bool operator==(const SequenceOptions &) const = default;
};

struct Column {
  std::string name;
  std::string type;       // format_type, e.g. "character varying(255)", public."Role"[]
  std::string collation;  // qualified; empty when the type's default
  bool not_null = false;
  std::string default_expr;  // pg_get_expr; empty when none
  char identity = 0;         // 'a' ALWAYS, 'd' BY DEFAULT, 0 none
  SequenceOptions identity_options;
  std::string generated_expr;  // STORED generated column expression; empty when none
  bool inherited = false;      // a partition's column, from its parent
  std::string comment;
};

// A table constraint: primary key, unique, foreign key, check, exclusion.
struct Constraint {
  std::string name;
  char type = 'c';         // p u f c x (pg_constraint.contype)
  std::string definition;  // pg_get_constraintdef, with NOT VALID when not validated
  bool validated = true;
  std::string references;  // foreign key: the referenced table (qualified key)
  std::string comment;
};

struct Table {
  std::string schema, name;
  std::string qname;  // as PostgreSQL prints it (regclass text), e.g. public."User"
  bool partitioned = false;
  std::string partition_key;    // pg_get_partkeydef, for a partitioned table
  std::string partition_of;     // parent key (schema.name) for a partition
  std::string partition_bound;  // e.g. FOR VALUES IN (1)
  bool unlogged = false;
  std::vector<std::string> options;  // reloptions, e.g. fillfactor=70
  std::vector<Column> columns;       // attnum order
  std::vector<Constraint> constraints;
  bool rls_enabled = false, rls_forced = false;
  std::string comment;
  std::string key() const { return schema + "." + name; }
};

struct Index {
  std::string schema, name;
  std::string table;       // key (schema.name) of the table or materialized view
  std::string definition;  // pg_get_indexdef
  bool valid = true;       // pg_index.indisvalid
  bool on_partitioned = false;
  std::string comment;
  std::string key() const { return schema + "." + name; }
};

struct Sequence {
  std::string schema, name;
  SequenceOptions options;
  std::string owned_by_table;  // key of the owning table; empty when none
  std::string owned_by_column;
  std::string comment;
  std::string key() const { return schema + "." + name; }
};

struct EnumType {
  std::string schema, name;
  std::string type_name;  // format_type, as columns spell it
  std::vector<std::string> labels;
  std::string comment;
  std::string key() const { return schema + "." + name; }
};

struct DomainCheck {
  std::string name, definition;
  bool operator==(const DomainCheck &) const = default;
};

struct Domain {
  std::string schema, name;
  std::string type_name;
  std::string base_type;
  std::string collation;
  std::string default_expr;
  bool not_null = false;
  std::vector<DomainCheck> checks;
  std::string comment;
  std::string key() const { return schema + "." + name; }
};

struct CompositeType {
  std::string schema, name;
  std::string type_name;
  std::vector<Column> attributes;  // name, type, collation
  std::string comment;
  std::string key() const { return schema + "." + name; }
};

struct View {
  std::string schema, name;
  std::string qname;
  bool materialized = false;
  std::string definition;               // pg_get_viewdef (the SELECT)
  std::vector<std::string> options;     // reloptions (check_option, security_barrier, ...)
  bool populated = true;                // materialized: WITH DATA
  std::vector<std::string> depends_on;  // keys of the relations it reads (pg_depend)
  std::string comment;
  std::string key() const { return schema + "." + name; }
};

struct Function {
  std::string schema, name;
  std::string identity_arguments;    // pg_get_function_identity_arguments
  char kind = 'f';                   // f function, p procedure
  std::string result;                // pg_get_function_result
  std::string definition;            // pg_get_functiondef (CREATE OR REPLACE ...)
  bool uses_relation_types = false;  // its signature names a table or view row type
  std::string comment;
  std::string key() const { return schema + "." + name + "(" + identity_arguments + ")"; }
};

struct Trigger {
  std::string table;  // key
  std::string name;
  std::string definition;  // pg_get_triggerdef
  char enabled = 'O';      // pg_trigger.tgenabled: O, D, R, A
  std::string comment;
  std::string key() const { return table + "." + name; }
};

struct Policy {
  std::string table;  // key
  std::string name;
  bool permissive = true;
  std::string command;             // ALL, SELECT, INSERT, UPDATE, DELETE
  std::vector<std::string> roles;  // quoted role names, or PUBLIC
  std::string using_expr, check_expr;
  std::string comment;
  std::string key() const { return table + "." + name; }
};

struct Extension {
  std::string name, schema, version;
};

struct Namespace {
  std::string name;
  std::string comment;
};

struct Model {
  int server_version_num = 0;  // 0: not from a server (empty, hand-made)
  std::vector<Namespace> schemas;
  std::vector<Extension> extensions;
  std::vector<EnumType> enums;
  std::vector<Domain> domains;
  std::vector<CompositeType> composites;
  std::vector<Sequence> sequences;
  std::vector<Table> tables;
  std::vector<Index> indexes;
  std::vector<View> views;
  std::vector<Function> functions;
  std::vector<Trigger> triggers;
  std::vector<Policy> policies;
  // Objects present but not modelled (aggregates, rules, inheritance, ...),
  // e.g. "aggregate public.my_sum(integer)": reported, never diffed.
  std::vector<std::string> unsupported;

  // Sorts every list by key (the canonical order of JSON and diffs).
  void sort();
};

// A new database's schema: the `public` schema with its standard comment
// (what `empty` means as a diff source).
Model empty_model();

// Reads a live database: a fixed number of catalog queries in one READ ONLY
// transaction (safe through a pooler).
Model introspect(const std::string &database_url, const SchemaFilter &filter,
                 const CallContext &ctx);

std::string to_json(const Model &model);
// Throws Error(Parse) naming the path inside the document.
Model from_json(std::string_view json, const std::string &origin);

struct RenderOptions {
  bool header = true;  // the leading comment and SET check_function_bodies
};
// DDL that recreates the model on an empty database, in dependency order.
std::string render_sql(const Model &model, const RenderOptions &options = {});

// Identifier quoting as dbsafe writes it: always double-quoted.
std::string quote(const std::string &identifier);
std::string quote(const std::string &schema, const std::string &name);
std::string literal(const std::string &text);

}  // namespace dbsafe::schema
