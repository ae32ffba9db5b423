#include "provider/json.hpp"

namespace dbsafe::provider {

void write_branch(util::JsonWriter &w, const BranchInfo &b) {
  w.begin_object()
      .field("id", b.id)
      .field("name", b.name)
      .field("parent_id", b.parent_id)
      .field("state", b.state)
      .field("default", b.is_default)
      .field("protected", b.is_protected)
      .field("created_at", b.created_at)
      .field("expires_at", b.expires_at)
      .end_object();
}

void write_snapshot(util::JsonWriter &w, const SnapshotInfo &s) {
  w.begin_object()
      .field("id", s.id)
      .field("name", s.name)
      .field("source_branch_id", s.source_branch_id)
      .field("created_at", s.created_at)
      .field("expires_at", s.expires_at)
      .field("protected", s.is_protected)
      .field("kind", s.kind)
      .end_object();
}

std::string branch_json(const BranchInfo &b) {
  util::JsonWriter w;
  write_branch(w, b);
  return w.take();
}

std::string snapshot_json(const SnapshotInfo &s) {
  util::JsonWriter w;
  write_snapshot(w, s);
  return w.take();
}

std::string branches_json(const std::vector<BranchInfo> &list) {
  util::JsonWriter w;
  w.begin_object().field("schema_version", 1).key("branches").begin_array();
  for (const auto &b : list) write_branch(w, b);
  w.end_array().end_object();
  return w.take();
}

std::string snapshots_json(const std::vector<SnapshotInfo> &list) {
  util::JsonWriter w;
  w.begin_object().field("schema_version", 1).key("snapshots").begin_array();
  for (const auto &s : list) write_snapshot(w, s);
  w.end_array().end_object();
  return w.take();
}

std::string restore_json(const RestoreResult &r) {
  util::JsonWriter w;
  w.begin_object().field("schema_version", 1).key("branch");
  write_branch(w, r.branch);
  w.field("replaced_by", r.replaced_by).key("notes").begin_array();
  for (const auto &n : r.notes) w.value(n);
  w.end_array().end_object();
  return w.take();
}

}  // namespace dbsafe::provider
