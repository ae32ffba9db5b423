// Sharing one piece of work between the calling thread and a helper thread.
#pragma once

#include "util/worker_thread.hpp"

namespace dbsafe::util {

// Runs `work` on the calling thread and, when `with_helper` is true, on one
// helper thread at the same time; returns once both calls have returned.
// The two calls share the work between them themselves (an atomic index
// into a list, say). `work` must not throw: each caller records a failure
// where its own order of errors decides which one is reported.
template <typename Work>
void run_on_two_threads(bool with_helper, Work &&work) {
  WorkerThread helper;
  if (with_helper) helper = WorkerThread([&work] { work(); });
  work();
  helper.join();
}

}  // namespace dbsafe::util
