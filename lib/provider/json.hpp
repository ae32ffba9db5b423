// The JSON forms of provider values, shared by the CLI's --format json and
// the C ABI so a script and a binding see the same documents.
#pragma once

#include <string>
#include <vector>

#include "dbsafe/provider.hpp"
#include "util/json_writer.hpp"

namespace dbsafe::provider {

// {"id","name","parent_id","state","default","protected","created_at","expires_at"}
void write_branch(util::JsonWriter &w, const BranchInfo &b);
// {"id","name","source_branch_id","created_at","expires_at","protected","kind"}:
// the same fields, in the same order, as the snapshots of a rotate report.
void write_snapshot(util::JsonWriter &w, const SnapshotInfo &s);

std::string branch_json(const BranchInfo &b);
std::string snapshot_json(const SnapshotInfo &s);
// {"schema_version":1,"branches":[...]} / {"schema_version":1,"snapshots":[...]}
std::string branches_json(const std::vector<BranchInfo> &list);
std::string snapshots_json(const std::vector<SnapshotInfo> &list);
// {"schema_version":1,"branch":{...},"replaced_by":"...","notes":[...]}
std::string restore_json(const RestoreResult &r);

}  // namespace dbsafe::provider
