// util::WorkerThread: runs its body once, joins, and leaves the new thread
// free to run wherever its creator may, and nowhere else.
#include <gtest/gtest.h>
#include <sched.h>

#include <atomic>
#include <vector>

#include "util/two_threads.hpp"
#include "util/worker_thread.hpp"

namespace {

using dbsafe::util::WorkerThread;

cpu_set_t affinity_of_this_thread() {
  cpu_set_t set;
  CPU_ZERO(&set);
  EXPECT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  return set;
}

TEST(WorkerThread, RunsItsBodyOnceAndJoins) {
  std::atomic<int> runs{0};
  {
    WorkerThread t([&] { runs.fetch_add(1); });
    EXPECT_TRUE(t.joinable());
    t.join();
    EXPECT_FALSE(t.joinable());
    t.join();  // a second join does nothing
  }
  EXPECT_EQ(runs.load(), 1);
  {
    WorkerThread t([&] { runs.fetch_add(1); });
  }  // the destructor joins
  EXPECT_EQ(runs.load(), 2);
  WorkerThread none;
  EXPECT_FALSE(none.joinable());
}

TEST(WorkerThread, MovedThreadIsJoinedOnce) {
  std::atomic<int> runs{0};
  WorkerThread a([&] { runs.fetch_add(1); });
  WorkerThread b(std::move(a));
  EXPECT_FALSE(a.joinable());
  EXPECT_TRUE(b.joinable());
  b.join();
  EXPECT_EQ(runs.load(), 1);
}

// Placed on another CPU to start, the thread then takes its creator's
// affinity back: it is not pinned.
TEST(WorkerThread, RunsWithItsCreatorsAffinity) {
  const cpu_set_t creator = affinity_of_this_thread();
  cpu_set_t seen;
  CPU_ZERO(&seen);
  WorkerThread t([&] { seen = affinity_of_this_thread(); });
  t.join();
  EXPECT_TRUE(CPU_EQUAL(&seen, &creator));
}

// A creator confined to one CPU (taskset) keeps its helper on that CPU.
TEST(WorkerThread, StaysInsideAConfinedCreatorsCpus) {
  const cpu_set_t original = affinity_of_this_thread();
  const int here = sched_getcpu();
  ASSERT_GE(here, 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(here, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
  cpu_set_t seen;
  CPU_ZERO(&seen);
  int ran_on = -1;
  WorkerThread t([&] {
    seen = affinity_of_this_thread();
    ran_on = sched_getcpu();
  });
  t.join();
  ASSERT_EQ(sched_setaffinity(0, sizeof original, &original), 0);
  EXPECT_TRUE(CPU_EQUAL(&seen, &one));
  EXPECT_EQ(ran_on, here);
}

TEST(WorkerThread, TwoThreadsShareTheWork) {
  std::vector<std::atomic<int>> done(1000);
  std::atomic<std::size_t> next{0};
  dbsafe::util::run_on_two_threads(true, [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < done.size();) done[i].fetch_add(1);
  });
  for (const auto &d : done) EXPECT_EQ(d.load(), 1);
}

}  // namespace
