#include "dbsafe/call.hpp"

#include "dbsafe/error.hpp"

namespace dbsafe {
inline namespace v1 {

CallContext::CallContext(const CallOptions &options) : options_(&options) {
  if (options.timeout) deadline_ = std::chrono::steady_clock::now() + *options.timeout;
}

void CallContext::checkpoint() const {
  if (options_ == nullptr) return;
  if (options_->cancel && options_->cancel->requested())
    throw Error(ErrorCode::Cancelled, "cancelled by the caller");
  if (deadline_ != std::chrono::steady_clock::time_point::max() &&
      std::chrono::steady_clock::now() >= deadline_)
    throw Error(ErrorCode::Timeout, "the call's timeout of " +
                                        std::to_string(options_->timeout->count()) +
                                        " ms expired; raise the timeout or pass 0 for none");
}

void CallContext::log(LogLevel level, std::string_view component, std::string_view message) const {
  if (options_ != nullptr && options_->log) options_->log(level, component, message);
}

void CallContext::progress(std::string_view event_json) const {
  if (options_ == nullptr || !options_->progress) return;
  if (!options_->progress(event_json))
    throw Error(ErrorCode::Callback, "the progress callback asked to stop the call");
}

}  // namespace v1
}  // namespace dbsafe
