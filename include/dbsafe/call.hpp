// Cancellation, deadlines, logging and progress for long calls.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "dbsafe/export.hpp"

namespace dbsafe {
inline namespace v1 {

// A cancel token shared between the caller and a running call.
// Thread safety: request() and requested() may be called from any thread.
class DBSAFE_CXX_API CancelToken {
 public:
  void request() noexcept { requested_.store(true, std::memory_order_release); }
  bool requested() const noexcept { return requested_.load(std::memory_order_acquire); }

 private:
  std::atomic<bool> requested_{false};
};

enum class LogLevel : int { Debug = 10, Info = 20, Warning = 30, Error = 40 };

// What a caller may attach to a long call. Every member is optional.
struct DBSAFE_CXX_API CallOptions {
  std::shared_ptr<const CancelToken> cancel;
  std::optional<std::chrono::milliseconds> timeout;
  std::function<void(LogLevel, std::string_view component, std::string_view message)> log;
  // Receives a JSON event object; returning false aborts the call
  // (ErrorCode::Callback).
  std::function<bool(std::string_view event_json)> progress;
};

// The per-call state the library threads through its work: it starts the
// deadline clock and turns the options into checkpoints.
class DBSAFE_CXX_API CallContext {
 public:
  CallContext() = default;
  explicit CallContext(const CallOptions &options);

  // Throws Error(Cancelled) or Error(Timeout) when the call must stop.
  void checkpoint() const;
  void log(LogLevel level, std::string_view component, std::string_view message) const;
  // Delivers a progress event; throws Error(Callback) when the callback aborts.
  void progress(std::string_view event_json) const;
  // Whether anyone listens to progress (events need not be built otherwise).
  bool has_progress() const noexcept { return options_ != nullptr && bool(options_->progress); }

 private:
  const CallOptions *options_ = nullptr;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
};

}  // namespace v1
}  // namespace dbsafe
