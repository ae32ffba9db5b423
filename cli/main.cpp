#include <malloc.h>

#include "dbsafe/dbsafe.h"
#include "util/huge_pages.hpp"

int main(int argc, char **argv) {
  // A command runs once and exits: memory it frees is better kept for its
  // next allocation than returned to the system and faulted in again (a
  // check of a large migration allocates and frees parse trees of several
  // megabytes per file). Set here, not in the library, so programs that
  // embed dbsafe keep their own malloc settings.
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024);
  mallopt(M_TOP_PAD, 16 * 1024 * 1024);
  dbsafe::util::use_huge_page_heaps();
  return dbsafe_cli_main(argc, argv);
}
