#include "dbsafe/provider.hpp"

#include "provider/factory.hpp"

namespace dbsafe {
inline namespace v1 {

Provider::~Provider() = default;

std::unique_ptr<Provider> Provider::open(const ProviderOptions &options) {
  if (options.kind == "local") return provider::make_local_provider(options);
  if (options.kind == "neon")
    // The Neon provider is built on another branch; this one only knows local.
    throw Error(ErrorCode::Invalid, "provider kind \"neon\" is not available in this build");
  throw Error(ErrorCode::Invalid, "unknown provider kind \"" + options.kind +
                                      "\": the kinds are \"neon\" and \"local\"");
}

}  // namespace v1
}  // namespace dbsafe
