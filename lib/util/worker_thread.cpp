#include "util/worker_thread.hpp"

#include <sched.h>

#include <cerrno>
#include <exception>
#include <memory>
#include <system_error>

#include "util/huge_pages.hpp"

namespace dbsafe::util {
namespace {

struct Start {
  std::function<void()> body;
  cpu_set_t allowed;  // the creator's affinity, taken back once running
  bool placed = false;
};

void *run(void *arg) noexcept {
  std::unique_ptr<Start> start(static_cast<Start *>(arg));
  if (start->placed) sched_setaffinity(0, sizeof start->allowed, &start->allowed);
  heap_for_worker_thread();
  start->body();  // noexcept here: a throw ends the process, as with std::thread
  return nullptr;
}

}  // namespace

void WorkerThread::start(std::function<void()> body) {
  auto start = std::make_unique<Start>();
  start->body = std::move(body);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  // Placed on the creator's other CPUs, when it has any.
  if (sched_getaffinity(0, sizeof start->allowed, &start->allowed) == 0) {
    const int here = sched_getcpu();
    if (here >= 0 && CPU_ISSET(here, &start->allowed) && CPU_COUNT(&start->allowed) > 1) {
      cpu_set_t others = start->allowed;
      CPU_CLR(here, &others);
      start->placed = pthread_attr_setaffinity_np(&attr, sizeof others, &others) == 0;
    }
  }
  int rc = pthread_create(&thread_, &attr, run, start.get());
  if (rc == EINVAL && start->placed) {
    // The other CPUs are not ours after all (a cpuset changed meanwhile).
    start->placed = false;
    pthread_attr_destroy(&attr);
    pthread_attr_init(&attr);
    rc = pthread_create(&thread_, &attr, run, start.get());
  }
  pthread_attr_destroy(&attr);
  if (rc != 0) throw std::system_error(rc, std::generic_category(), "cannot start a thread");
  start.release();  // the thread's now
  running_ = true;
}

void WorkerThread::join() noexcept {
  if (!running_) return;
  pthread_join(thread_, nullptr);
  running_ = false;
}

}  // namespace dbsafe::util
