// DDL for one object at a time, shared by the renderer (a whole model) and
// the differ (the statements of one change). Every statement ends in ';'.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "schema/model.hpp"

namespace dbsafe::schema {

// A model's objects by key, for the statements that name another object
// (a partition's parent, a policy's table).
class Ddl {
 public:
  explicit Ddl(const Model &model);

  const Table *table(const std::string &key) const;
  const View *view(const std::string &key) const;
  // The SQL name of a table or view key ("schema.name"), quoted.
  std::string relation(const std::string &key) const;

  static std::string column_definition(const Column &c);
  static std::string sequence_options(const SequenceOptions &s, bool with_type);
  std::string create_table(const Table &t) const;
  static std::string create_sequence(const Sequence &s);
  std::string sequence_owned_by(const Sequence &s) const;
  static std::string create_enum(const EnumType &e);
  static std::string create_domain(const Domain &d);
  static std::string create_composite(const CompositeType &c);
  static std::string add_constraint(const Table &t, const Constraint &c);
  static std::string create_index(const Index &i);
  static std::string create_view(const View &v);
  static std::string create_function(const Function &f);
  static std::string drop_function(const Function &f);
  std::vector<std::string> create_trigger(const Trigger &t) const;
  std::string trigger_state(const Trigger &t) const;  // "" when enabled (the default)
  std::string create_policy(const Policy &p) const;
  static std::string create_extension(const Extension &e);
  static std::string comment(const std::string &what, const std::string &comment);

  // "TABLE public.t", "COLUMN public.t.c", ... for COMMENT ON.
  static std::string table_target(const Table &t) { return "TABLE " + quote(t.schema, t.name); }
  static std::string function_target(const Function &f);

 private:
  std::map<std::string, const Table *> tables_;
  std::map<std::string, const View *> views_;
};

// Orders items so each comes after the items it depends on; ties keep the
// input order (already sorted by key), so the result is deterministic.
// `deps(i)` returns the indexes of the items `i` depends on.
template <typename DepsFn>
std::vector<std::size_t> topological_order(std::size_t n, DepsFn deps) {
  std::vector<int> state(n, 0);  // 0 new, 1 visiting, 2 done
  std::vector<std::size_t> out;
  out.reserve(n);
  // Iterative DFS: a cycle (which PostgreSQL would not allow) is broken
  // rather than looping.
  for (std::size_t root = 0; root < n; ++root) {
    if (state[root]) continue;
    std::vector<std::pair<std::size_t, std::vector<std::size_t>>> stack;
    stack.push_back({root, deps(root)});
    state[root] = 1;
    while (!stack.empty()) {
      auto &[node, pending] = stack.back();
      if (pending.empty()) {
        state[node] = 2;
        out.push_back(node);
        stack.pop_back();
        continue;
      }
      std::size_t next = pending.back();
      pending.pop_back();
      if (next < n && state[next] == 0) {
        state[next] = 1;
        stack.push_back({next, deps(next)});
      }
    }
  }
  return out;
}

// Views after the views they read; partitions after their parents.
std::vector<std::size_t> view_order(const std::vector<View> &views);
std::vector<std::size_t> table_order(const std::vector<Table> &tables);

}  // namespace dbsafe::schema
