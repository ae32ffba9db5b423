// Ctrl-C (SIGINT) and SIGTERM during a long command cancel the running call
// (and its statement on the server) through a cancel token; a second signal
// ends the process the usual way.
#pragma once

#include <memory>

#include "dbsafe/call.hpp"

namespace dbsafe::cli {

// Routes the two signals to `token` while it lives; one scope at a time.
class InterruptScope {
 public:
  explicit InterruptScope(std::shared_ptr<CancelToken> token);
  ~InterruptScope();
  InterruptScope(const InterruptScope &) = delete;
  InterruptScope &operator=(const InterruptScope &) = delete;

 private:
  void (*previous_int_)(int) = nullptr;
  void (*previous_term_)(int) = nullptr;
};

}  // namespace dbsafe::cli
