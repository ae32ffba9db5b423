// Shows the plan of a migration directory, then applies what is pending.
//   deploy_migrations prisma/migrations        (URL from DIRECT_URL or DATABASE_URL)
#include <dbsafe/dbsafe.hpp>
#include <iostream>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::cerr << "usage: deploy_migrations DIR\n";
    return 3;
  }
  dbsafe::MigrateOptions options;  // safe mode, lock_timeout 5 s, URL from the environment
  try {
    auto status = dbsafe::migrate_status(argv[1], options);
    std::cout << status.plan.count(dbsafe::MigrationState::Pending) << " pending of "
              << status.plan.migrations.size() << "\n";
    dbsafe::CallOptions call;
    call.log = [](dbsafe::LogLevel, std::string_view, std::string_view message) {
      std::cerr << message << "\n";
    };
    auto report = dbsafe::migrate_deploy(argv[1], options, call);
    for (const auto &m : report.applied)
      std::cout << "applied " << m.name << " in " << m.elapsed_ms << " ms\n";
    std::cout << "up to date: " << (report.plan.status_code() == 0 ? "yes" : "no") << "\n";
  } catch (const dbsafe::Error &e) {
    std::cerr << e.message() << "\n";
    return e.code() == dbsafe::ErrorCode::State ? 2 : 5;
  }
}
