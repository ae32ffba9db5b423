// A helper thread that starts on another CPU than the thread that made it.
//
// On the virtual machines CI and deploys run on, Linux often queues a new
// thread on its creator's CPU while the other one idles, and leaves it there
// until the creator blocks: measured here, a fresh process's helper started
// 3 ms late in more than half of the runs, so `dbsafe check` of a 163-file
// project used 1.08 CPUs instead of two. A thread created with its affinity
// set to the other CPUs starts within 0.1 ms. Once running, it takes back
// the affinity its creator had, so the scheduler may move it as it likes and
// a process confined to some CPUs (taskset, a cpuset) stays confined.
#pragma once

#include <pthread.h>

#include <functional>
#include <utility>

namespace dbsafe::util {

class WorkerThread {
 public:
  WorkerThread() = default;
  // Starts `body` on the new thread, after heap_for_worker_thread(). `body`
  // must not throw (a throw ends the process, as with std::thread); throws
  // std::system_error when no thread can be started.
  explicit WorkerThread(std::function<void()> body) { start(std::move(body)); }
  WorkerThread(const WorkerThread &) = delete;
  WorkerThread &operator=(const WorkerThread &) = delete;
  WorkerThread(WorkerThread &&other) noexcept { *this = std::move(other); }
  WorkerThread &operator=(WorkerThread &&other) noexcept {
    if (this != &other) {
      join();
      thread_ = other.thread_;
      running_ = std::exchange(other.running_, false);
    }
    return *this;
  }
  ~WorkerThread() { join(); }

  bool joinable() const noexcept { return running_; }
  // Waits for the thread to end; does nothing when none runs.
  void join() noexcept;

 private:
  void start(std::function<void()> body);

  pthread_t thread_{};
  bool running_ = false;
};

}  // namespace dbsafe::util
