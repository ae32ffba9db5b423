// The deploy pipeline's parts shared between its files.
#pragma once

#include <chrono>
#include <string>

#include "dbsafe/deploy.hpp"

namespace dbsafe {
inline namespace v1 {
namespace deploy_detail {

// The exit code of docs/cli.md for an error code.
int exit_code_for(ErrorCode code);
std::string rfc3339(std::chrono::system_clock::time_point t);

// Writes the audit row into dbsafe.audit of the target (creating the schema
// and table when missing) and appends the line to the target's audit file,
// whatever happened to the row; records the "audit" step in `r`.
void audit(DeployReport &r, const DeployTarget &t, const std::string &apply_url);

// Posts {"text": ...} to the target's webhook; a failure is a warning in
// `r`, never an error. Records the "notify" step.
void notify(DeployReport &r, const DeployTarget &t);

}  // namespace deploy_detail
}  // namespace v1
}  // namespace dbsafe
