// Provider::open: picks the implementation by kind.
#include "dbsafe/provider.hpp"

#include "provider/factory.hpp"

namespace dbsafe {
inline namespace v1 {

Provider::~Provider() = default;

std::unique_ptr<Provider> Provider::open(const ProviderOptions &options) {
  if (options.kind == "neon") return provider::make_neon_provider(options);
  if (options.kind == "local") return provider::make_local_provider(options);
  throw Error(ErrorCode::Invalid, "unknown provider kind \"" + options.kind +
                                      "\"; the kinds are \"neon\" and \"local\"");
}

}  // namespace v1
}  // namespace dbsafe
