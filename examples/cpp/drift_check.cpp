// A scheduled drift check: exits 1 when the database no longer matches its
// migrations, and prints what differs and the SQL that brings it back.
//   drift_check prisma/migrations        (URL from DIRECT_URL or DATABASE_URL)
#include <dbsafe/dbsafe.hpp>
#include <cstdlib>
#include <iostream>

int main(int argc, char **argv) {
  const char *url = std::getenv("DIRECT_URL");
  if (url == nullptr || *url == '\0') url = std::getenv("DATABASE_URL");
  if (argc != 2 || url == nullptr || *url == '\0') {
    std::cerr << "usage: DATABASE_URL=postgresql://... drift_check DIR\n";
    return 3;
  }
  try {
    dbsafe::DiffReport report = dbsafe::drift(url, argv[1]);
    if (report.empty()) {
      std::cout << "no drift\n";
      return 0;
    }
    for (const auto &c : report.changes) std::cout << (c.destructive ? "! " : "- ") << c.description << "\n";
    for (const auto &w : report.warnings) std::cout << "warning: " << w << "\n";
    std::cout << "\n" << report.sql();
    return 1;
  } catch (const dbsafe::Error &e) {
    std::cerr << dbsafe::error_code_name(e.code()) << ": " << e.message() << "\n";
    return e.code() == dbsafe::ErrorCode::Connect || e.code() == dbsafe::ErrorCode::Auth ? 4 : 3;
  }
}
