// Lists a migration set with its Prisma-compatible checksums.
//   list_migrations prisma/migrations
#include <dbsafe/dbsafe.hpp>
#include <iostream>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::cerr << "usage: list_migrations DIR\n";
    return 3;
  }
  try {
    auto set = dbsafe::MigrationSet::open(argv[1]);
    std::cout << set.migrations().size() << " " << dbsafe::layout_name(set.layout())
              << " migrations in " << set.root() << "\n";
    for (const auto &m : set.migrations()) std::cout << m.name << " " << m.checksum << "\n";
    return 0;
  } catch (const dbsafe::Error &e) {
    std::cerr << dbsafe::error_code_name(e.code()) << ": " << e.message() << "\n";
    return 3;
  }
}
