// The provider implementations behind Provider::open, one factory per kind.
// Each reads what its options leave empty from the environment and throws
// Error(Invalid) naming what is missing.
#pragma once

#include <memory>

#include "dbsafe/provider.hpp"

namespace dbsafe::provider {

// Neon API v2 (branches, snapshots, point-in-time restore) over HTTPS (neon.cpp).
std::unique_ptr<Provider> make_neon_provider(const ProviderOptions &options);

// Any PostgreSQL server you own: a snapshot is a database copy (local.cpp).
std::unique_ptr<Provider> make_local_provider(const ProviderOptions &options);

}  // namespace dbsafe::provider
