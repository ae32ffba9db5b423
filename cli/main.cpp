#include "dbsafe/dbsafe.h"
#include "util/huge_pages.hpp"

int main(int argc, char **argv) {
  // The command's malloc settings are set here, not in the library, so
  // programs that embed dbsafe keep their own.
  dbsafe::util::set_up_command_heap();
  return dbsafe_cli_main(argc, argv);
}
