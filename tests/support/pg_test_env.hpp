// PostgreSQL test harness for GoogleTest suites.
//
// Every test process talks to a real PostgreSQL server:
//   * if DBSAFE_TEST_DATABASE_URL is set (a server URL whose user may CREATE
//     DATABASE), that server is used;
//   * otherwise the process starts its own throwaway cluster with
//     `scripts/pg-throwaway start <tmpdir>` and stops and removes it at the end.
//
// Each test that needs a database creates a TestDatabase: a uniquely named
// database (dbsafe_t_<pid>_<counter>_<random>) created in the constructor and
// dropped WITH (FORCE) in the destructor, so tests can run in parallel, in one
// process or many.
//
// Use pg_test_env_main.cpp as the test binary's main (it registers
// PostgresEnvironment), or register the environment yourself.
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace dbsafe::testing {

// Makes the server available for the whole test program: SetUp starts a
// throwaway cluster unless DBSAFE_TEST_DATABASE_URL is set; TearDown stops
// (and removes) only a cluster that this process started.
class PostgresEnvironment : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;
};

// URL of the server (connecting to its maintenance database). Starts the
// throwaway cluster on first use if PostgresEnvironment has not done so yet;
// throws std::runtime_error when no server can be had.
const std::string &server_url();

// `server` with its database replaced by `database`. Works for
// postgres:// / postgresql:// URLs (query parameters are kept) and for
// keyword=value connection strings.
std::string url_for_database(const std::string &server, const std::string &database);

// A fresh, empty database for one test. Not copyable; movable.
class TestDatabase {
 public:
  // Creates the database on server_url(); throws std::runtime_error on failure.
  TestDatabase();
  ~TestDatabase();

  TestDatabase(const TestDatabase &) = delete;
  TestDatabase &operator=(const TestDatabase &) = delete;
  TestDatabase(TestDatabase &&other) noexcept;
  TestDatabase &operator=(TestDatabase &&other) noexcept;

  const std::string &name() const { return name_; }
  const std::string &url() const { return url_; }

 private:
  void drop() noexcept;

  std::string server_;  // server URL the database was created on
  std::string name_;
  std::string url_;
};

}  // namespace dbsafe::testing
