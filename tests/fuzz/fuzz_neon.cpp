// libFuzzer target: the Neon provider against a server whose JSON answers the
// fuzzer writes. Every provider call runs through the real HTTP client to a
// loopback server, so the branch, snapshot, operation and error documents
// are parsed exactly as Neon's would be, including pagination, 409 adoption,
// 423 waits and operation polling.
//
// Input: byte 0 picks the provider call; the rest is the server's answers in
// order, separated by "\n%%\n". An answer may start with a status ("409 ");
// otherwise it is 200. Once the answers run out the server says 404.
//
// Besides not crashing or hanging, the API key must never appear in an
// error message.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dbsafe/provider.hpp"
#include "fuzz_support.hpp"

namespace {

constexpr std::string_view kApiKey = "napi_fuzzcanary7c2e";

std::vector<dbsafe::fuzz::LoopbackServer::Answer> answers(std::string_view text) {
  std::vector<dbsafe::fuzz::LoopbackServer::Answer> out;
  for (std::string_view part : dbsafe::fuzz::split(text, "\n%%\n")) {
    dbsafe::fuzz::LoopbackServer::Answer a;
    if (part.size() >= 4 && part[3] == ' ' && part[0] >= '1' && part[0] <= '5' && part[1] >= '0' &&
        part[1] <= '9' && part[2] >= '0' && part[2] <= '9') {
      a.status = (part[0] - '0') * 100 + (part[1] - '0') * 10 + (part[2] - '0');
      part.remove_prefix(4);
    }
    // An interim answer would make the client wait for the real one, which
    // this server never sends: it stands for a plain 200 instead.
    if (a.status < 200) a.status = 200;
    a.body = std::string(part);
    out.push_back(std::move(a));
  }
  return out;
}

void run(dbsafe::Provider &p, unsigned op, const dbsafe::CallOptions &call) {
  using namespace dbsafe;
  switch (op % 14) {
    case 0:
      (void)p.list_branches(call);
      break;
    case 1:
      (void)p.find_branch("br-fuzzy-branch-123456", call);
      break;
    case 2:
      (void)p.find_branch("preview/pr-7", call);
      break;
    case 3:
      (void)p.default_branch(call);
      break;
    case 4: {
      CreateBranchOptions o;
      o.name = "dbsafe-fuzz";
      o.parent = "main";
      (void)p.create_branch(o, call);
      break;
    }
    case 5:
      p.delete_branch("dbsafe-fuzz", call);
      break;
    case 6:
      (void)p.restore_branch("main", "2026-01-01T00:00:00Z", "", call);
      break;
    case 7:
      (void)p.connection_url("", true, call);
      break;
    case 8:
      (void)p.connection_url("preview/pr-7", false, call);
      break;
    case 9:
      (void)p.list_snapshots(call);
      break;
    case 10: {
      CreateSnapshotOptions o;
      o.name = "dbsafe-pre-deploy";
      (void)p.create_snapshot(o, call);
      break;
    }
    case 11:
      p.delete_snapshot("dbsafe-pre-deploy", call);
      break;
    case 12: {
      RestoreOptions o;
      o.target_branch = "main";
      (void)p.restore_snapshot("snap-fuzz-123", o, call);
      break;
    }
    default: {
      RestoreOptions o;
      o.preserve_under_name = "main (before)";
      (void)p.restore_snapshot("dbsafe-pre-deploy", o, call);
      break;
    }
  }
}

}  // namespace

// The requests go to a plain-HTTP loopback server: loading the system's CA
// certificates for every client the target makes would take most of the time,
// and a proxy set on the fuzzing machine must not receive the requests.
extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  ::setenv("SSL_CERT_FILE", "/nonexistent", 1);
  ::setenv("SSL_CERT_DIR", "/nonexistent", 1);
  for (const char *name : {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"})
    ::unsetenv(name);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace dbsafe;
  static fuzz::LoopbackServer server;
  if (size == 0) return 0;
  ProviderOptions options;
  options.kind = "neon";
  options.api_key = std::string(kApiKey);
  options.project_id = "fuzz-project-1";
  options.api_host = server.base_url() + "/api/v2";
  // Polling and 423 waits end after a few answers instead of minutes.
  options.operation_timeout = std::chrono::milliseconds(200);
  options.poll_interval = std::chrono::milliseconds(1);
  server.script(answers(std::string_view(reinterpret_cast<const char *>(data) + 1, size - 1)));
  CallOptions call;
  call.timeout = std::chrono::milliseconds(5000);
  try {
    auto provider = Provider::open(options);
    run(*provider, data[0], call);
  } catch (const Error &e) {
    if (e.message().find(kApiKey) != std::string::npos) __builtin_trap();
    if (e.detail_json().find(kApiKey) != std::string::npos) __builtin_trap();
  }
  return 0;
}
