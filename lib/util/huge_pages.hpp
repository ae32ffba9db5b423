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

// Sets malloc up for a command that runs once and exits: memory it frees is
// kept for its next allocation rather than returned to the system and
// faulted in again, the main heap is marked for huge pages, and every later
// heap_for_worker_thread() call does the same for its thread's heap. Call
// once, first thing in main(). The huge pages are only a hint: where the
// kernel or the allocator does not cooperate, memory stays on small pages
// and nothing else changes.
void set_up_command_heap();

// Called first by each worker thread the library starts; does nothing unless
// set_up_command_heap() ran.
void heap_for_worker_thread();

}  // namespace dbsafe::util
