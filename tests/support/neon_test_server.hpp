// The local Neon API v2 test server (tests/neon-server) for GoogleTest
// suites: started through scripts/neon-test-server, its ready lines read,
// stopped with SIGTERM when the object goes (the shared one at exit).
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dbsafe::testing {

class NeonTestServer {
 public:
  // Why the server cannot run here (no /usr/bin/python3, no PostgreSQL
  // binaries); empty when it can.
  static std::string unavailable_reason();

  // One server per test process, started on first use with
  // --operation-delay-ms 100, --snapshot-quota 10 and a canary API key. Throws std::runtime_error
  // when it fails.
  static NeonTestServer &shared();

  // A server of its own, for a suite that needs other flags.
  static std::unique_ptr<NeonTestServer> start(const std::vector<std::string> &args);

  ~NeonTestServer();
  NeonTestServer(const NeonTestServer &) = delete;
  NeonTestServer &operator=(const NeonTestServer &) = delete;

  const std::string &api_host() const { return vars_.at("NEON_API_HOST"); }
  const std::string &ca_file() const { return vars_.at("NEON_CA_FILE"); }
  const std::string &api_key() const { return vars_.at("NEON_API_KEY"); }
  const std::string &project_id() const { return vars_.at("NEON_PROJECT_ID"); }
  const std::string &admin_url() const { return vars_.at("NEON_ADMIN_URL"); }
  // Any ready line by name ("" when absent).
  std::string var(const std::string &name) const;

  // A call to /__admin (no key): `method` "GET" / "POST" / "DELETE", `path`
  // below /__admin, e.g. "/faults". Returns the body; throws on failure.
  std::string admin(const std::string &method, const std::string &path,
                    const std::string &body = {}) const;

 private:
  NeonTestServer() = default;
  pid_t pid_ = -1;
  std::string log_path_;
  std::map<std::string, std::string> vars_;
};

}  // namespace dbsafe::testing
