// Heap memory on transparent huge pages, for the dbsafe command only.
//
// A command is a short process that allocates a few megabytes and exits, and
// on the virtual machines CI and deploys run on, faulting in a 4 KiB page
// costs more than ten microseconds: `dbsafe check` of a small project spent
// as long taking page faults as analysing SQL. One 2 MiB page costs about as
// much as one small one. The system's THP mode here is usually `madvise`, so
// memory is only backed by huge pages where the program asks for it.
//
// Programs that embed dbsafe (Node, Python, C++ tools) keep their own malloc
// and are never touched: only the command's main() opts in.
#pragma once

namespace dbsafe::util {

// Marks the main malloc heap for huge pages and makes every later
// heap_for_worker_thread() call do the same for its thread's heap. Call once,
// first thing in main(). Only a hint: where the kernel or the allocator does
// not cooperate, memory stays on small pages and nothing else changes.
void use_huge_page_heaps();

// Called first by each worker thread the library starts; does nothing unless
// use_huge_page_heaps() ran.
void heap_for_worker_thread();

}  // namespace dbsafe::util
