// Checks a migration set for risky statements and fails on errors.
//   check_migrations prisma/migrations
#include <dbsafe/dbsafe.hpp>
#include <iostream>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::cerr << "usage: check_migrations DIR\n";
    return 3;
  }
  try {
    dbsafe::CheckOptions options;
    options.runner = dbsafe::Runner::Prisma;  // judged for `prisma migrate deploy`
    auto report = dbsafe::check({argv[1]}, options);
    for (const auto &f : report.findings)
      std::cout << f.file << ":" << f.line << ": " << dbsafe::level_name(f.level) << " [" << f.rule
                << "] " << f.message << "\n";
    return report.summary.failed ? 1 : 0;
  } catch (const dbsafe::Error &e) {
    std::cerr << dbsafe::error_code_name(e.code()) << ": " << e.message() << "\n";
    return 3;
  }
}
