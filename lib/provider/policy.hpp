// Internal helpers of the naming and retention policies (policy.cpp).
#pragma once

#include <optional>
#include <string>

#include "dbsafe/provider.hpp"

namespace dbsafe::provider {

// The branch name rotate_snapshot gives the temporary branch that holds the
// backup while a full snapshot quota is made room in: "<name>-bridge-" plus
// a timestamp (timestamped_name).
std::string bridge_prefix(const std::string &name);

// The backup called `name` as a restore should find it: the newest snapshot
// with that name or id, or, while (or after an interrupted) quota rotation
// holds it on a bridge branch, that branch (kind "branch"). nullopt: none.
std::optional<SnapshotInfo> find_backup(Provider &provider, const std::string &name,
                                        const CallOptions &call = {});

// Whether a failed create_snapshot failed because the snapshot quota is full
// (Neon: 422 "snapshots limit exceeded ...").
bool is_snapshot_quota_error(const Error &error);

}  // namespace dbsafe::provider
