#include "dbsafe/dbsafe.h"

int main(int argc, char **argv) {
  return dbsafe_cli_main(argc, argv);
}
