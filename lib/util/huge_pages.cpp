#include "util/huge_pages.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <vector>

extern char end;  // the end of the program's data: the brk heap starts above it

namespace dbsafe::util {
namespace {

constexpr std::uintptr_t kHugePage = std::uintptr_t{2} << 20;
// glibc's heaps for threads other than the main one are reservations of this
// size (HEAP_MAX_SIZE on 64-bit), aligned to it, with the arena at the start.
constexpr std::uintptr_t kThreadHeap = std::uintptr_t{64} << 20;
// How much of the main heap is reserved for huge pages at start-up: address
// space only, touched (and so counted) 2 MiB at a time as it is used.
constexpr std::size_t kMainHeapReserve = std::size_t{256} << 20;
// How far the heap grows past a request afterwards (a check of a large
// migration allocates and frees parse trees of several megabytes per file).
constexpr int kTopPad = 16 << 20;

std::atomic<bool> enabled{false};
void *volatile below_the_boundary = nullptr;

std::uintptr_t align_up(std::uintptr_t value, std::uintptr_t alignment) {
  return (value + alignment - 1) & ~(alignment - 1);
}

bool in_main_heap(std::uintptr_t address) {
  return address >= reinterpret_cast<std::uintptr_t>(&end) &&
         address < reinterpret_cast<std::uintptr_t>(sbrk(0));
}

}  // namespace

void set_up_command_heap() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  // A huge page can only back a 2 MiB range that no small page was faulted
  // into first. So: grow the heap now while writing nothing into the new
  // part, mark the new part from its first 2 MiB boundary, and keep the
  // bytes below that boundary allocated, so later allocations start on it.
  mallopt(M_TOP_PAD, static_cast<int>(kMainHeapReserve));
  // One chunk more than the free top: malloc must move the break, and writes
  // only the headers of this block and of the new top, both just above the
  // old end of the heap.
  const std::size_t free_top = mallinfo2().keepcost;
  void *probe = std::malloc(free_top + 64);
  mallopt(M_TOP_PAD, kTopPad);
  if (probe == nullptr) return;
  const auto block = reinterpret_cast<std::uintptr_t>(probe);
  const auto heap_end = reinterpret_cast<std::uintptr_t>(sbrk(0));
  const auto first_huge = align_up(block + free_top + 64 + 4096, kHugePage);
  const std::size_t below_first_huge = first_huge - block - 64;
  std::free(probe);
  if (heap_end <= first_huge + kHugePage) return;  // the heap did not grow in place
  if (madvise(reinterpret_cast<void *>(first_huge), heap_end - first_huge, MADV_HUGEPAGE) != 0)
    return;  // a kernel without transparent huge pages
  enabled = true;
  // Takes the freed block back, up to just below the boundary, for good:
  // the command exits without freeing it. Stored through a volatile so the
  // compiler cannot drop an allocation nothing reads.
  below_the_boundary = std::malloc(below_first_huge);
}

void heap_for_worker_thread() {
  if (!enabled.load(std::memory_order_relaxed)) return;
  // The first allocation attaches the thread to an arena (its own, or one a
  // finished thread left).
  void *first = std::malloc(1);
  const auto address = reinterpret_cast<std::uintptr_t>(first);
  std::free(first);
  if (address == 0 || in_main_heap(address)) return;  // shares the main heap: done above
  const auto heap = address & ~(kThreadHeap - 1);
  // The whole reservation, so the heap keeps the mark as malloc extends it:
  // a thread whose heap grows past its first 2 MiB (a large migration's
  // parse trees) gets huge pages from there. The first 2 MiB already hold
  // small pages (the arena itself), so the thread's allocations start at
  // the next boundary instead, as the main heap's do: the rest of the first
  // 2 MiB is taken, untouched, for good. A 21-file check's parse thread
  // took 113 small page faults there; one huge page instead cut the whole
  // check's CPU time by 5 % (2.79 -> 2.65 ms, perf stat, 40 runs). Moving
  // the first 2 MiB onto a huge page at once (MADV_COLLAPSE) was tried:
  // where a page fault is cheap it cost more than it saved, a quarter of a
  // 21-file check (3.9 vs 2.9 ms) and of the whole corpus's (65 vs 55 ms).
  madvise(reinterpret_cast<void *>(heap), kThreadHeap, MADV_HUGEPAGE);
  // Once per heap: a thread can take over the heap of one that finished.
  static std::mutex mutex;
  static std::vector<std::uintptr_t> moved_past_the_boundary;
  std::lock_guard<std::mutex> lock(mutex);
  if (std::find(moved_past_the_boundary.begin(), moved_past_the_boundary.end(), heap) !=
      moved_past_the_boundary.end())
    return;
  moved_past_the_boundary.push_back(heap);
  const std::uintptr_t boundary = heap + kHugePage;
  constexpr std::uintptr_t kSlack = 4096;  // the block's own header and the new top's
  if (address + kSlack < boundary) below_the_boundary = std::malloc(boundary - address - kSlack);
}

}  // namespace dbsafe::util
