// The C ABI as a C caller sees it: only dbsafe.h, linked to libdbsafe.so.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "dbsafe/dbsafe.h"

namespace {

std::string fixture(const char *name) {
  return std::string(DBSAFE_SOURCE_DIR) + "/tests/fixtures/" + name;
}

TEST(CApi, Versions) {
  int major = -1, minor = -1, patch = -1;
  dbsafe_version(&major, &minor, &patch);
  EXPECT_EQ(major, DBSAFE_VERSION_MAJOR);
  EXPECT_EQ(minor, DBSAFE_VERSION_MINOR);
  EXPECT_EQ(patch, DBSAFE_VERSION_PATCH);
  dbsafe_version(nullptr, nullptr, nullptr);
  EXPECT_EQ(std::string(dbsafe_version_string()),
            std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch));
  EXPECT_EQ(dbsafe_abi_version(), static_cast<uint32_t>(DBSAFE_ABI_VERSION));
}

TEST(CApi, EveryStatusHasAName) {
  const std::vector<std::pair<int, std::string>> expected{{DBSAFE_OK, "DBSAFE_OK"},
                                                          {DBSAFE_ERROR, "DBSAFE_ERROR"},
                                                          {DBSAFE_EINVALID, "DBSAFE_EINVALID"},
                                                          {DBSAFE_ENOTFOUND, "DBSAFE_ENOTFOUND"},
                                                          {DBSAFE_EPARSE, "DBSAFE_EPARSE"},
                                                          {DBSAFE_EDB, "DBSAFE_EDB"},
                                                          {DBSAFE_EHTTP, "DBSAFE_EHTTP"},
                                                          {DBSAFE_EAUTH, "DBSAFE_EAUTH"},
                                                          {DBSAFE_ETIMEOUT, "DBSAFE_ETIMEOUT"},
                                                          {DBSAFE_ECANCELLED, "DBSAFE_ECANCELLED"},
                                                          {DBSAFE_EUSER, "DBSAFE_EUSER"},
                                                          {DBSAFE_EVERSION, "DBSAFE_EVERSION"},
                                                          {DBSAFE_EIO, "DBSAFE_EIO"},
                                                          {DBSAFE_ECONNECT, "DBSAFE_ECONNECT"}};
  for (const auto &[code, name] : expected) EXPECT_EQ(dbsafe_status_name(code), name);
  EXPECT_STREQ(dbsafe_status_name(1), "DBSAFE_UNKNOWN");
  EXPECT_STREQ(dbsafe_status_name(-1000), "DBSAFE_UNKNOWN");
}

TEST(CApi, NullErrorAccessorsAreSafe) {
  EXPECT_EQ(dbsafe_error_code(nullptr), DBSAFE_OK);
  EXPECT_STREQ(dbsafe_error_message(nullptr), "");
  EXPECT_EQ(dbsafe_error_sqlstate(nullptr), nullptr);
  EXPECT_EQ(dbsafe_error_file(nullptr), nullptr);
  EXPECT_STREQ(dbsafe_error_detail_json(nullptr), "{}");
  dbsafe_error_free(nullptr);
  dbsafe_buf_dispose(nullptr);
  dbsafe_cancel_free(nullptr);
}

TEST(CApi, ListsAFixtureAsJson) {
  dbsafe_buf buf = DBSAFE_BUF_INIT;
  dbsafe_error *err = nullptr;
  ASSERT_EQ(dbsafe_migrations_open(&buf, fixture("prisma").c_str(), nullptr, nullptr, &err),
            DBSAFE_OK);
  EXPECT_EQ(err, nullptr);
  ASSERT_NE(buf.ptr, nullptr);
  EXPECT_EQ(buf.ptr[buf.size], '\0');
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(buf.ptr, buf.size);
  EXPECT_EQ(int64_t(doc["schema_version"]), 1);
  EXPECT_EQ(uint64_t(doc["count"]), 2u);
  dbsafe_buf_dispose(&buf);
  EXPECT_EQ(buf.ptr, nullptr);
  EXPECT_EQ(buf.size, 0u);
}

TEST(CApi, ErrorObjectCarriesEveryField) {
  dbsafe_buf buf = DBSAFE_BUF_INIT;
  dbsafe_error *err = nullptr;
  std::string missing = fixture("does-not-exist");
  ASSERT_EQ(dbsafe_migrations_open(&buf, missing.c_str(), nullptr, nullptr, &err),
            DBSAFE_ENOTFOUND);
  EXPECT_EQ(buf.ptr, nullptr);  // nothing to release on failure but the error
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(dbsafe_error_code(err), DBSAFE_ENOTFOUND);
  EXPECT_EQ(std::string(dbsafe_error_file(err)), missing);
  EXPECT_NE(std::string(dbsafe_error_message(err)).find("no such directory"), std::string::npos);
  EXPECT_EQ(dbsafe_error_sqlstate(err), nullptr);
  EXPECT_EQ(dbsafe_error_http_status(err), 0);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(std::string(dbsafe_error_json(err)));
  EXPECT_EQ(int64_t(doc["code"]), DBSAFE_ENOTFOUND);
  EXPECT_EQ(std::string_view(doc["name"]), "DBSAFE_ENOTFOUND");
  EXPECT_EQ(std::string_view(doc["file"]), missing);
  EXPECT_TRUE(doc["sqlstate"].is_null());
  dbsafe_error_free(err);
}

TEST(CApi, PositionFieldsOfAnInputError) {
  dbsafe_buf buf = DBSAFE_BUF_INIT;
  dbsafe_error *err = nullptr;
  // The CRLF fixture is valid; build a broken one through the C API's view:
  // an invalid layout value is rejected before any reading.
  dbsafe_source_options opts = DBSAFE_SOURCE_OPTIONS_INIT;
  opts.layout = 42;
  EXPECT_EQ(dbsafe_migrations_open(&buf, fixture("prisma").c_str(), &opts, nullptr, &err),
            DBSAFE_EINVALID);
  EXPECT_STREQ(dbsafe_error_message(err),
               "dbsafe_source_options.layout is 42, not a dbsafe_layout value");
  dbsafe_error_free(err);
}

TEST(CApi, ArgumentsAreChecked) {
  dbsafe_buf buf = DBSAFE_BUF_INIT;
  EXPECT_EQ(dbsafe_migrations_open(nullptr, "x", nullptr, nullptr, nullptr), DBSAFE_EINVALID);
  EXPECT_EQ(dbsafe_migrations_open(&buf, nullptr, nullptr, nullptr, nullptr), DBSAFE_EINVALID);
  EXPECT_EQ(dbsafe_migrations_open(&buf, "", nullptr, nullptr, nullptr), DBSAFE_EINVALID);
  char junk[] = "x";
  dbsafe_buf used = {junk, 1, 2};
  dbsafe_error *err = nullptr;
  EXPECT_EQ(dbsafe_migrations_open(&used, fixture("prisma").c_str(), nullptr, nullptr, &err),
            DBSAFE_EINVALID);
  EXPECT_STREQ(dbsafe_error_message(err),
               "out_listing_json already holds data; dispose it or pass a DBSAFE_BUF_INIT buffer");
  dbsafe_error_free(err);
  EXPECT_EQ(dbsafe_cancel_new(nullptr, nullptr), DBSAFE_EINVALID);
}

TEST(CApi, OptionStructVersionsAreEnforced) {
  dbsafe_buf buf = DBSAFE_BUF_INIT;
  dbsafe_error *err = nullptr;
  dbsafe_source_options zero{};
  EXPECT_EQ(dbsafe_migrations_open(&buf, fixture("prisma").c_str(), &zero, nullptr, &err),
            DBSAFE_EVERSION);
  EXPECT_STREQ(dbsafe_error_message(err),
               "dbsafe_source_options has version 0, but this library knows versions 1 to 1; "
               "initialise it with its _INIT macro or _init function");
  dbsafe_error_free(err);
  dbsafe_call_options future = DBSAFE_CALL_OPTIONS_INIT;
  future.version = 99;
  EXPECT_EQ(dbsafe_migrations_open(&buf, fixture("prisma").c_str(), nullptr, &future, nullptr),
            DBSAFE_EVERSION);

  dbsafe_call_options call;
  EXPECT_EQ(dbsafe_call_options_init(&call, 0), DBSAFE_EVERSION);
  EXPECT_EQ(dbsafe_call_options_init(&call, 2), DBSAFE_EVERSION);
  EXPECT_EQ(dbsafe_call_options_init(nullptr, 1), DBSAFE_EINVALID);
  ASSERT_EQ(dbsafe_call_options_init(&call, DBSAFE_CALL_OPTIONS_VERSION), DBSAFE_OK);
  EXPECT_EQ(call.version, 1u);
  EXPECT_EQ(call.cancel, nullptr);
  EXPECT_EQ(call.timeout_ms, 0u);
  dbsafe_source_options source;
  ASSERT_EQ(dbsafe_source_options_init(&source, DBSAFE_SOURCE_OPTIONS_VERSION), DBSAFE_OK);
  EXPECT_EQ(source.layout, DBSAFE_LAYOUT_AUTO);
  EXPECT_EQ(source.max_file_bytes, 0u);
}

struct Recorder {
  std::vector<std::string> events, logs;
  int abort_after = -1;
  dbsafe_cancel *cancel_after_first = nullptr;
  int sleep_ms = 0;
};

int record_progress(void *payload, const char *event) {
  auto *r = static_cast<Recorder *>(payload);
  r->events.emplace_back(event);
  if (r->cancel_after_first) dbsafe_cancel_request(r->cancel_after_first);
  if (r->sleep_ms) std::this_thread::sleep_for(std::chrono::milliseconds(r->sleep_ms));
  return r->abort_after >= 0 && static_cast<int>(r->events.size()) > r->abort_after ? 1 : 0;
}

void record_log(void *payload, int, const char *component, const char *message) {
  static_cast<Recorder *>(payload)->logs.push_back(std::string(component) + ": " + message);
}

TEST(CApi, ProgressLogCancelAndTimeout) {
  Recorder r;
  dbsafe_call_options call = DBSAFE_CALL_OPTIONS_INIT;
  call.progress = record_progress;
  call.log = record_log;
  call.payload = &r;
  dbsafe_buf buf = DBSAFE_BUF_INIT;
  ASSERT_EQ(dbsafe_migrations_open(&buf, fixture("prisma").c_str(), nullptr, &call, nullptr),
            DBSAFE_OK);
  dbsafe_buf_dispose(&buf);
  EXPECT_EQ(r.events.size(), 2u);
  ASSERT_FALSE(r.logs.empty());
  EXPECT_EQ(r.logs[0].rfind("source: ", 0), 0u);

  Recorder aborting;
  aborting.abort_after = 0;
  call.payload = &aborting;
  dbsafe_error *err = nullptr;
  EXPECT_EQ(dbsafe_migrations_open(&buf, fixture("prisma").c_str(), nullptr, &call, &err),
            DBSAFE_EUSER);
  EXPECT_EQ(buf.ptr, nullptr);
  dbsafe_error_free(err);

  dbsafe_cancel *cancel = nullptr;
  ASSERT_EQ(dbsafe_cancel_new(&cancel, nullptr), DBSAFE_OK);
  EXPECT_FALSE(dbsafe_cancel_is_requested(cancel));
  Recorder cancelling;
  cancelling.cancel_after_first = cancel;
  call.payload = &cancelling;
  call.cancel = cancel;
  EXPECT_EQ(dbsafe_migrations_open(&buf, fixture("prisma").c_str(), nullptr, &call, nullptr),
            DBSAFE_ECANCELLED);
  EXPECT_TRUE(dbsafe_cancel_is_requested(cancel));
  EXPECT_EQ(cancelling.events.size(), 1u);
  dbsafe_cancel_request(cancel);  // idempotent
  dbsafe_cancel_free(cancel);

  Recorder slow;
  slow.sleep_ms = 20;
  call.cancel = nullptr;
  call.payload = &slow;
  call.timeout_ms = 5;
  EXPECT_EQ(dbsafe_migrations_open(&buf, fixture("prisma").c_str(), nullptr, &call, nullptr),
            DBSAFE_ETIMEOUT);
}

TEST(CApi, ChecksumMatchesLikePrisma) {
  const char lf[] = "SELECT 1;\n";
  const char crlf[] = "SELECT 1;\r\n";
  // Digests from `sha256sum`, the independent oracle.
  const char *lf_sum = "b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd";
  const char *crlf_sum = "d3cd5042f97738960d802ad6b3a548dfa18152215118ba18f04493bc6944b0e4";
  EXPECT_EQ(dbsafe_checksum_matches(lf, sizeof lf - 1, lf_sum), 1);
  EXPECT_EQ(dbsafe_checksum_matches(crlf, sizeof crlf - 1, crlf_sum), 1);
  EXPECT_EQ(dbsafe_checksum_matches(crlf, sizeof crlf - 1, lf_sum), 1);  // git changed endings
  EXPECT_EQ(dbsafe_checksum_matches(lf, sizeof lf - 1, crlf_sum), 1);
  EXPECT_EQ(dbsafe_checksum_matches("SELECT 2;\n", 10, lf_sum), 0);
  EXPECT_EQ(dbsafe_checksum_matches(nullptr, 0, lf_sum), 0);
  EXPECT_EQ(dbsafe_checksum_matches(lf, sizeof lf - 1, nullptr), 0);
}

}  // namespace

namespace {

TEST(CApiCheck, ChecksAFixtureAndTakesOptionsAsJson) {
  std::string dir = fixture("prisma");
  const char *paths[] = {dir.c_str()};
  dbsafe_buf buf = DBSAFE_BUF_INIT;
  dbsafe_error *err = nullptr;
  ASSERT_EQ(dbsafe_check(&buf, paths, 1, "{\"runner\":\"prisma\",\"config\":\"-\"}", nullptr, &err),
            DBSAFE_OK)
      << dbsafe_error_message(err);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(buf.ptr, buf.size);
  EXPECT_EQ(int64_t(doc["schema_version"]), 1);
  EXPECT_EQ(std::string_view(doc["summary"]["runner"]), "prisma");
  EXPECT_EQ(uint64_t(doc["summary"]["files"]), 2u);
  dbsafe_buf_dispose(&buf);

  EXPECT_EQ(dbsafe_check(&buf, paths, 1, "{\"runner\":\"fast\"}", nullptr, &err), DBSAFE_EINVALID);
  EXPECT_STREQ(dbsafe_error_message(err), "options_json: runner must be \"safe\" or \"prisma\"");
  dbsafe_error_free(err);
  EXPECT_EQ(dbsafe_check(&buf, paths, 1, "{\"nope\":1}", nullptr, &err), DBSAFE_EINVALID);
  EXPECT_STREQ(dbsafe_error_message(err), "options_json: unknown option \"nope\"");
  dbsafe_error_free(err);
  EXPECT_EQ(dbsafe_check(&buf, nullptr, 0, nullptr, nullptr, nullptr), DBSAFE_EINVALID);
}

TEST(CApiCheck, CheckSqlReportsFindingsWithPositions) {
  const char sql[] = "SELECT 1;\nALTER TABLE users DROP COLUMN email;\n";
  dbsafe_buf buf = DBSAFE_BUF_INIT;
  ASSERT_EQ(dbsafe_check_sql(&buf, sql, sizeof sql - 1, "m.sql", "{\"config\":\"-\"}", nullptr),
            DBSAFE_OK);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(buf.ptr, buf.size);
  auto first = doc["findings"].at(0);
  EXPECT_EQ(std::string_view(first["rule"]), "drop-column");
  EXPECT_EQ(int64_t(first["line"]), 2);
  EXPECT_EQ(std::string_view(first["level"]), "error");
  EXPECT_TRUE(bool(doc["summary"]["failed"]));
  dbsafe_buf_dispose(&buf);
}

TEST(CApiCheck, StatsFromAnUnreachableServerIsAConnectError) {
  dbsafe_buf buf = DBSAFE_BUF_INIT;
  dbsafe_error *err = nullptr;
  EXPECT_EQ(dbsafe_stats_collect(&buf, "postgresql://u:canary-pw@127.0.0.1:1/db?connect_timeout=2",
                                 nullptr, &err),
            DBSAFE_ECONNECT);
  std::string message = dbsafe_error_message(err);
  EXPECT_EQ(message.find("canary-pw"), std::string::npos) << message;
  EXPECT_EQ(message.rfind("cannot connect to the database: ", 0), 0u) << message;
  dbsafe_error_free(err);
}

}  // namespace

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

// A TCP listener on 127.0.0.1 that accepts connections and never answers.
struct SilentServer {
  int fd = -1;
  int port = 0;
  SilentServer() {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
    listen(fd, 8);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len);
    port = ntohs(addr.sin_port);
  }
  ~SilentServer() { close(fd); }
  std::string url() const {
    return "postgresql://u@127.0.0.1:" + std::to_string(port) + "/db?connect_timeout=30";
  }
};

TEST(CApiCheck, ConnectingHonoursTheTimeoutAndTheCancelToken) {
  SilentServer server;
  dbsafe_buf buf = DBSAFE_BUF_INIT;
  dbsafe_call_options call = DBSAFE_CALL_OPTIONS_INIT;
  call.timeout_ms = 300;
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(dbsafe_stats_collect(&buf, server.url().c_str(), &call, nullptr), DBSAFE_ETIMEOUT);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));

  dbsafe_cancel *cancel = nullptr;
  ASSERT_EQ(dbsafe_cancel_new(&cancel, nullptr), DBSAFE_OK);
  call.timeout_ms = 0;
  call.cancel = cancel;
  std::thread canceller([cancel] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    dbsafe_cancel_request(cancel);
  });
  start = std::chrono::steady_clock::now();
  EXPECT_EQ(dbsafe_stats_collect(&buf, server.url().c_str(), &call, nullptr), DBSAFE_ECANCELLED);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  canceller.join();
  dbsafe_cancel_free(cancel);
}

}  // namespace

namespace {

TEST(CApiMigrate, OptionsAndArgumentsAreChecked) {
  const std::string app = std::string(DBSAFE_SOURCE_DIR) + "/examples/prisma-app/prisma/migrations";
  dbsafe_buf buf = DBSAFE_BUF_INIT;
  dbsafe_error *err = nullptr;
  EXPECT_EQ(dbsafe_migrate_status(&buf, app.c_str(), "{\"mode\": \"fast\"}", nullptr, &err),
            DBSAFE_EINVALID);
  EXPECT_NE(std::string(dbsafe_error_message(err)).find("mode"), std::string::npos);
  dbsafe_error_free(err);
  err = nullptr;
  EXPECT_EQ(dbsafe_migrate_deploy(&buf, app.c_str(), "{\"lock_timeout_ms\": -1}", nullptr, &err),
            DBSAFE_EINVALID);
  dbsafe_error_free(err);
  err = nullptr;
  EXPECT_EQ(dbsafe_migrate_status(&buf, nullptr, nullptr, nullptr, nullptr), DBSAFE_EINVALID);
  EXPECT_EQ(dbsafe_migrate_resolve(&buf, app.c_str(), "x", 7, nullptr, nullptr, nullptr),
            DBSAFE_EINVALID);
  EXPECT_EQ(dbsafe_migrate_baseline(&buf, app.c_str(), "", nullptr, nullptr, nullptr),
            DBSAFE_EINVALID);
  // A pooler URL is refused for deploy before any connection is tried.
  EXPECT_EQ(dbsafe_migrate_deploy(&buf, app.c_str(),
                                  "{\"database_url\": "
                                  "\"postgresql://u:canary-pw@ep-x-pooler.neon.tech/db\"}",
                                  nullptr, &err),
            DBSAFE_EINVALID);
  std::string message = dbsafe_error_message(err);
  EXPECT_NE(message.find("DIRECT_URL"), std::string::npos) << message;
  EXPECT_EQ(message.find("canary-pw"), std::string::npos) << message;
  dbsafe_error_free(err);
  err = nullptr;
  EXPECT_EQ(dbsafe_migrate_status(
                &buf, app.c_str(),
                "{\"database_url\": \"postgresql://u:canary-pw@127.0.0.1:1/db?connect_timeout=2\", "
                "\"connect_retry_ms\": 0}",
                nullptr, &err),
            DBSAFE_ECONNECT);
  EXPECT_EQ(std::string(dbsafe_error_message(err)).find("canary-pw"), std::string::npos);
  dbsafe_error_free(err);
  EXPECT_EQ(buf.ptr, nullptr);
  EXPECT_STREQ(dbsafe_status_name(DBSAFE_ESTATE), "DBSAFE_ESTATE");
}

}  // namespace
