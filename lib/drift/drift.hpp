// Drift and verify from one replay of the migrations, for the deploy
// pipeline (both need the live model and the expected one).
#pragma once

#include <string>

#include "dbsafe/schema.hpp"

namespace dbsafe::diff {

struct DriftAndVerify {
  DiffReport drift;
  VerifyReport verify;
};

// What drift() and verify() return, from one replay and one introspection.
DriftAndVerify drift_and_verify(const std::string &database_url, const std::string &migrations_dir,
                                const DiffOptions &options, const CallOptions &call);

}  // namespace dbsafe::diff
