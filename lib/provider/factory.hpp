// The provider implementations, created by Provider::open (provider.cpp).
#pragma once

#include <memory>

#include "dbsafe/provider.hpp"

namespace dbsafe::provider {

// Neon API v2 (lib/provider/neon.cpp).
std::unique_ptr<Provider> make_neon_provider(const ProviderOptions &options);
// Any PostgreSQL server you own: a snapshot is a database copy (local.cpp).
std::unique_ptr<Provider> make_local_provider(const ProviderOptions &options);

}  // namespace dbsafe::provider
