// dbsafe backup create | verify | restore | prune (include/dbsafe/backup.hpp).
//
// A backup is a pg_dump file plus `<file>.manifest.json` beside it. A file
// is written as `<file>.partial`, read back and only then renamed into
// place; the manifest follows, so a listed backup is always a complete one.
// Restores run in one transaction, so a failure leaves the target as it was.
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string_view>

#include "backup/programs.hpp"
#include "dbsafe/backup.hpp"
#include "dbsafe/version.hpp"
#include "drift/shadow.hpp"
#include "pg/connection.hpp"
#include "util/subprocess.hpp"
#include "util/time.hpp"

namespace dbsafe {
inline namespace v1 {

namespace {

namespace fs = std::filesystem;
using backup::ChildConnection;
using backup::Program;
using Clock = std::chrono::steady_clock;

constexpr const char *kManifestSuffix = ".manifest.json";

std::int64_t ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

std::string utc(std::time_t t, const char *format) {
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

std::optional<std::time_t> parse_utc(const std::string &text) {
  return util::parse_utc_time(text);
}

std::string env_or_empty(const char *name) {
  const char *v = std::getenv(name);
  return v ? v : "";
}

// The URL a command works on: the option, else DIRECT_URL (a direct
// connection, as seed 003 uses for pg_dump), else DATABASE_URL.
std::string resolve_url(const std::string &given, const char *what) {
  if (!given.empty()) return given;
  if (auto direct = env_or_empty("DIRECT_URL"); !direct.empty()) return direct;
  if (auto url = env_or_empty("DATABASE_URL"); !url.empty()) return url;
  throw Error(ErrorCode::Invalid, std::string(what) +
                                      " needs a database: pass database_url (--database-url) or "
                                      "set DIRECT_URL or DATABASE_URL");
}

pg::Target direct_target(const std::string &url, const char *what) {
  auto target = pg::parse_target(url);
  if (!target.pooler_reason.empty())
    throw Error(ErrorCode::Invalid,
                std::string(what) + " needs a direct connection, and " + target.pooler_reason +
                    ": a transaction pooler hands each statement to another session, which "
                    "pg_dump, pg_restore and psql do not survive. Use the direct URL (DIRECT_URL)");
  return target;
}

void fsync_path(const fs::path &p, bool directory) {
  int fd = ::open(p.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// --- reading a backup ------------------------------------------------------

struct FileDigest {
  std::uint64_t bytes = 0;
  std::string sha256;
};

FileDigest digest_file(const fs::path &path, const CallContext &ctx) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::Io, "cannot read " + path.string()).with_file(path.string());
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!md || EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) != 1)
    throw Error(ErrorCode::Internal, "OpenSSL could not start a SHA-256 digest");
  std::vector<char> buf(1 << 20);
  FileDigest d;
  int chunks = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto n = static_cast<std::size_t>(in.gcount());
    if (n == 0) break;
    EVP_DigestUpdate(md.get(), buf.data(), n);
    d.bytes += n;
    if (++chunks % 64 == 0) ctx.checkpoint();
  }
  if (in.bad()) throw Error(ErrorCode::Io, "reading " + path.string() + " failed");
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(md.get(), out, &size);
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned i = 0; i < size; ++i) {
    d.sha256 += kHex[out[i] >> 4];
    d.sha256 += kHex[out[i] & 0xF];
  }
  return d;
}

// What an archive holds, counted the same way for both formats: object
// headers ("TABLE", "TABLE DATA", ...).
struct Contents {
  std::uint64_t tables = 0, table_data = 0, entries = 0;
  std::set<std::string> roles;  // plain: the roles its OWNER TO / GRANT lines name
};

// pg_restore -l: "215; 1259 16385 TABLE public t alice"; ';' starts a comment.
Contents count_toc(const std::string &listing) {
  Contents c;
  std::string_view rest(listing);
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (line.empty() || line.front() == ';') continue;
    ++c.entries;
    // After "<dumpid>; <tableoid> <oid> " comes the type.
    auto semi = line.find("; ");
    if (semi == std::string_view::npos) continue;
    std::string_view after = line.substr(semi + 2);
    for (int skip = 0; skip < 2; ++skip) {
      auto sp = after.find(' ');
      after = sp == std::string_view::npos ? std::string_view() : after.substr(sp + 1);
    }
    if (after.starts_with("TABLE DATA "))
      ++c.table_data;
    else if (after.starts_with("TABLE "))
      ++c.tables;
  }
  return c;
}

// The names a plain dump hands objects or privileges to, so a throwaway
// cluster can have those roles before the SQL runs.
void collect_roles(std::string_view line, std::set<std::string> &roles) {
  std::string_view list;
  if (line.starts_with("ALTER ")) {
    auto at = line.rfind(" OWNER TO ");
    if (at == std::string_view::npos) return;
    list = line.substr(at + 10);
  } else if (line.starts_with("GRANT ")) {
    auto at = line.rfind(" TO ");
    if (at == std::string_view::npos) return;
    list = line.substr(at + 4);
  } else if (line.starts_with("REVOKE ")) {
    auto at = line.rfind(" FROM ");
    if (at == std::string_view::npos) return;
    list = line.substr(at + 6);
  } else {
    return;
  }
  if (!list.ends_with(";")) return;
  list.remove_suffix(1);
  for (const char *tail : {" WITH GRANT OPTION", " WITH ADMIN OPTION"})
    if (auto at = list.find(tail); at != std::string_view::npos) list = list.substr(0, at);
  if (auto at = list.find(" GRANTED BY "); at != std::string_view::npos) list = list.substr(0, at);
  while (!list.empty()) {
    auto comma = list.find(", ");
    std::string_view name = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 2);
    std::string role;
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
      for (std::size_t i = 1; i + 1 < name.size(); ++i) {
        role += name[i];
        if (name[i] == '"') ++i;  // "" inside a quoted name
      }
    } else {
      role = std::string(name);
      if (role == "PUBLIC" || role == "CURRENT_USER" || role == "SESSION_USER") continue;
    }
    if (!role.empty()) roles.insert(role);
  }
}

// Reads a gzip file to its end in chunks, handing each to `sink`; throws
// Error(Parse) naming the file and the byte where the stream broke.
template <typename Sink>
void read_gzip(const fs::path &path, const CallContext &ctx, Sink &&sink) {
  gzFile gz = ::gzopen(path.c_str(), "rb");
  if (!gz) throw Error(ErrorCode::Io, "cannot open " + path.string());
  std::unique_ptr<gzFile_s, decltype(&::gzclose)> guard(gz, ::gzclose);
  ::gzbuffer(gz, 1 << 17);
  std::vector<char> buf(1 << 17);
  bool first = true;
  int chunks = 0;
  for (;;) {
    int n = ::gzread(gz, buf.data(), static_cast<unsigned>(buf.size()));
    if (first && ::gzdirect(gz))
      throw Error(ErrorCode::Parse, path.string() + " is not a gzip file").with_file(path.string());
    first = false;
    if (n < 0 || (n == 0 && !::gzeof(gz))) {
      int code = 0;
      const char *why = ::gzerror(gz, &code);
      throw Error(ErrorCode::Parse, path.string() + ": the gzip stream is damaged after " +
                                        std::to_string(::gztell(gz)) + " bytes of SQL (" +
                                        (why ? why : "read error") + ")")
          .with_file(path.string());
    }
    if (n == 0) break;
    sink(std::string_view(buf.data(), static_cast<std::size_t>(n)));
    if (++chunks % 64 == 0) ctx.checkpoint();
  }
  int code = 0;
  const char *why = ::gzerror(gz, &code);
  if (code != Z_OK && code != Z_STREAM_END)
    throw Error(ErrorCode::Parse,
                path.string() + ": the gzip stream is damaged (" + (why ? why : "read error") + ")")
        .with_file(path.string());
}

// Scans a plain SQL dump: the header and the "dump complete" comment pg_dump
// writes last (a dump cut short lacks it; only blank lines, "--" and the
// \unrestrict line of newer pg_dumps may follow it), and the object headers.
struct PlainScan {
  Contents contents;
  bool header = false, trailer = false;
};

PlainScan scan_plain(const fs::path &path, const CallContext &ctx) {
  PlainScan s;
  std::string pending;
  bool in_copy = false;
  std::uint64_t line_no = 0;
  auto line = [&](std::string_view l) {
    ++line_no;
    if (line_no <= 3 && l == "-- PostgreSQL database dump") s.header = true;
    if (in_copy) {
      if (l == "\\.") in_copy = false;
      return;
    }
    if (l.starts_with("COPY ") && l.ends_with(" FROM stdin;")) in_copy = true;
    if (l == "-- PostgreSQL database dump complete")
      s.trailer = true;
    else if (!l.empty() && l != "--" && !l.starts_with("\\unrestrict "))
      s.trailer = false;
    if (l.starts_with("-- Name: ") || l.starts_with("-- Data for Name: ")) {
      ++s.contents.entries;
      if (l.find("; Type: TABLE DATA;") != std::string_view::npos)
        ++s.contents.table_data;
      else if (l.find("; Type: TABLE;") != std::string_view::npos)
        ++s.contents.tables;
    }
    collect_roles(l, s.contents.roles);
  };
  read_gzip(path, ctx, [&](std::string_view chunk) {
    pending.append(chunk);
    std::size_t start = 0;
    for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n', start)) {
      line(std::string_view(pending).substr(start, nl - start));
      start = nl + 1;
    }
    pending.erase(0, start);
  });
  if (!pending.empty()) line(pending);
  return s;
}

// --- programs --------------------------------------------------------------

Program pg_tool(const char *name, const std::string &bindir, int need_major, const std::string &why,
                const CallContext &ctx) {
  return backup::choose_program(backup::find_programs(name, bindir, ctx), name, need_major, why);
}

// The pg_restore / psql that reads what a pg_dump of `manifest` wrote.
Program reader_for(const BackupManifest &m, const char *name, const std::string &bindir,
                   const CallContext &ctx) {
  int major = backup::major_of(m.pg_dump_version);
  return pg_tool(name, bindir, major,
                 m.file + " was written by pg_dump " + m.pg_dump_version +
                     " and older programs cannot read what newer ones write",
                 ctx);
}

// Runs a program to its end with stderr in a log; returns the log's tail
// (password scrubbed) on failure, nullopt on success.
std::optional<std::string> run_logged(util::ProcessSpec spec, const CallContext &ctx,
                                      const std::string &password = {}) {
  util::TempFile log("dbsafe-backup-log");
  spec.stderr_path = log.path();
  auto process = util::Process::start(spec);
  int code = process.wait(ctx);
  if (code == 0) return std::nullopt;
  std::string tail = backup::scrub(log.tail(), password);
  if (code == 127 && tail.empty()) tail = "could not execute " + spec.argv[0];
  return tail.empty() ? "exit code " + std::to_string(code) : tail;
}

// --- the pieces shared by verify and restore --------------------------------

struct Located {
  fs::path file;
  BackupManifest manifest;
};

// The newest backup in `dir` by its manifest's created_at.
fs::path newest_in(const std::string &dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw Error(ErrorCode::NotFound, "the backup directory " + dir + " does not exist")
        .with_file(dir);
  std::optional<std::pair<std::string, fs::path>> best;
  for (const auto &entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!name.ends_with(kManifestSuffix)) continue;
    try {
      auto m = read_backup_manifest(entry.path().string());
      std::pair<std::string, fs::path> key{m.created_at + " " + m.file, fs::path(dir) / m.file};
      if (!best || key.first > best->first) best = key;
    } catch (const Error &) {
      // An unreadable manifest is reported when that backup itself is verified.
    }
  }
  if (!best)
    throw Error(
        ErrorCode::NotFound,
        "no backups in " + dir + ": no file there has a dbsafe manifest (*" + kManifestSuffix + ")")
        .with_file(dir);
  return best->second;
}

fs::path backup_path(const std::string &file, const std::string &dir) {
  if (file.empty()) {
    if (dir.empty())
      throw Error(ErrorCode::Invalid,
                  "name the backup file, or a directory to take the newest from");
    return newest_in(dir);
  }
  std::string f = file;
  if (f.ends_with(kManifestSuffix)) f.resize(f.size() - std::strlen(kManifestSuffix));
  return f;
}

// Tables in `conn`'s database that belong to the application (not to the
// system or an extension).
std::vector<std::string> user_tables(pg::Connection &conn, bool leaf_only) {
  auto r = conn.exec(std::string("SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c "
                                 "JOIN pg_namespace n ON n.oid = c.relnamespace "
                                 "WHERE c.relkind IN ") +
                     (leaf_only ? "('r')" : "('r', 'p')") +
                     " AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                     "AND n.nspname NOT LIKE 'pg\\_%' "
                     "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = "
                     "'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e') "
                     "ORDER BY 1");
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(r.text(i, 0));
  return out;
}

// Objects a restore would collide with: relations, and also functions and
// types, so a database holding only those still counts as not empty.
std::uint64_t user_relations(pg::Connection &conn) {
  auto r = conn.exec(
      "SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
      "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
      "AND n.nspname NOT LIKE 'pg\\_%') + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON "
      "n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND "
      "n.nspname NOT LIKE 'pg\\_%' AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = "
      "'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'))");
  return std::stoull(r.text(0, 0));
}

// Streams the SQL of a gzipped plain dump into psql's stdin over a socket
// pair (a write to a psql that has exited fails with EPIPE instead of
// raising SIGPIPE in the caller's process).
std::optional<std::string> run_psql(const Program &psql, const fs::path &file,
                                    const ChildConnection &target, const CallContext &ctx) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    throw Error(ErrorCode::Io, "cannot create a socket pair for psql");
  util::TempFile log("dbsafe-psql-log");
  util::ProcessSpec spec;
  // -X: no ~/.psqlrc; ON_ERROR_STOP + --single-transaction: the first error
  // ends the run and rolls everything back.
  spec.argv = {psql.path,
               "-X",
               "-q",
               "--no-password",
               "-v",
               "ON_ERROR_STOP=1",
               "--single-transaction",
               "-d",
               target.conninfo,
               "-f",
               "-"};
  spec.set_env = target.set_env;
  spec.unset_env = target.unset_env;
  spec.stdin_fd = fds[1];
  spec.stderr_path = log.path();
  std::optional<util::Process> process;
  try {
    process.emplace(util::Process::start(spec));
  } catch (...) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw;
  }
  ::close(fds[1]);
  bool broken = false;
  try {
    read_gzip(file, ctx, [&](std::string_view chunk) {
      while (!chunk.empty() && !broken) {
        pollfd p{fds[0], POLLOUT, 0};
        int ready = ::poll(&p, 1, 100);
        ctx.checkpoint();
        if (ready <= 0) continue;
        ssize_t n = ::send(fds[0], chunk.data(), chunk.size(), MSG_NOSIGNAL);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n < 0) {
          broken = true;  // psql stopped reading: its log says why
          break;
        }
        chunk.remove_prefix(static_cast<std::size_t>(n));
      }
    });
  } catch (...) {
    ::close(fds[0]);
    process->terminate();
    throw;
  }
  ::shutdown(fds[0], SHUT_WR);
  int code = process->wait(ctx);
  ::close(fds[0]);
  if (code == 0 && !broken) return std::nullopt;
  std::string tail = backup::scrub(log.tail(), target.password);
  return tail.empty() ? "psql exited with code " + std::to_string(code) : tail;
}

struct RestoreRun {
  std::string program;
  std::optional<std::string> failure;
};

// Restores `file` into the database `conninfo` names, in one transaction.
RestoreRun restore_into(const Located &b, const std::string &conninfo, bool clean, bool no_owner,
                        const std::string &bindir, const CallContext &ctx) {
  auto target = backup::child_connection(conninfo);
  RestoreRun run;
  if (b.manifest.format == "custom") {
    auto pg_restore = reader_for(b.manifest, "pg_restore", bindir, ctx);
    run.program = pg_restore.path;
    util::ProcessSpec spec;
    spec.argv = {pg_restore.path, "--dbname",        target.conninfo,
                 "--no-password", "--exit-on-error", "--single-transaction"};
    if (clean) {
      spec.argv.push_back("--clean");
      spec.argv.push_back("--if-exists");
    }
    if (no_owner) {
      spec.argv.push_back("--no-owner");
      spec.argv.push_back("--no-privileges");
    }
    spec.argv.push_back(b.file.string());
    spec.set_env = target.set_env;
    spec.unset_env = target.unset_env;
    run.failure = run_logged(spec, ctx, target.password);
  } else {
    auto psql = reader_for(b.manifest, "psql", bindir, ctx);
    run.program = psql.path;
    run.failure = run_psql(psql, b.file, target, ctx);
  }
  return run;
}

BackupVerifyReport verify_located(const fs::path &file, const BackupVerifyOptions &options,
                                  const CallContext &ctx) {
  auto start = Clock::now();
  BackupVerifyReport report;
  report.path = file.string();
  auto check = [&](std::string name, bool ok, std::string detail) {
    report.checks.push_back({std::move(name), ok, std::move(detail)});
    return ok;
  };
  std::error_code ec;
  const bool exists = fs::is_regular_file(file, ec);
  BackupManifest manifest;
  try {
    manifest = read_backup_manifest(file.string());
  } catch (const Error &e) {
    if (e.code() == ErrorCode::NotFound && !exists)
      throw Error(ErrorCode::NotFound, "no backup " + file.string() + " (and no manifest for it)")
          .with_file(file.string());
    if (e.code() == ErrorCode::NotFound) throw;
    check("manifest", false, e.message());
    report.duration_ms = ms_since(start);
    return report;
  }
  report.manifest = manifest;
  check("manifest", true,
        "format " + manifest.format + ", " + std::to_string(manifest.tables) + " tables, dumped " +
            manifest.created_at + " from " + manifest.database + " (PostgreSQL " +
            manifest.server_version + ")");
  if (!exists) {
    check("size", false, "the backup file is missing; only its manifest is there");
    report.duration_ms = ms_since(start);
    return report;
  }
  ctx.log(LogLevel::Info, "backup", "verifying " + file.string());
  auto digest = digest_file(file, ctx);
  check("size", digest.bytes == manifest.bytes,
        digest.bytes == manifest.bytes
            ? std::to_string(digest.bytes) + " bytes, as in the manifest"
            : std::to_string(digest.bytes) + " bytes; the manifest says " +
                  std::to_string(manifest.bytes) + " (the file was cut short or changed)");
  check("sha256", digest.sha256 == manifest.sha256,
        digest.sha256 == manifest.sha256
            ? digest.sha256
            : "the file's SHA-256 is " + digest.sha256 + "; the manifest says " + manifest.sha256 +
                  " (the file was damaged or changed after it was written)");
  Located located{file, manifest};
  auto same_counts = [&](const Contents &c) {
    return c.tables == manifest.tables && c.table_data == manifest.table_data &&
           c.entries == manifest.entries;
  };
  auto counts = [](const Contents &c) {
    return std::to_string(c.tables) + " tables, " + std::to_string(c.table_data) + " with data, " +
           std::to_string(c.entries) + " entries";
  };
  if (manifest.format == "custom") {
    auto pg_restore = reader_for(manifest, "pg_restore", options.pg_bindir, ctx);
    util::ProcessSpec list;
    list.argv = {pg_restore.path, "--list", file.string()};
    auto out = util::run_collecting(list, ctx);
    if (out.exit_code != 0) {
      check("toc", false, "pg_restore --list cannot read the archive: " + out.err);
    } else {
      auto c = count_toc(out.out);
      check("toc", same_counts(c),
            same_counts(c)
                ? counts(c) + ", as in the manifest"
                : "the archive lists " + counts(c) + "; the manifest says " +
                      counts({manifest.tables, manifest.table_data, manifest.entries, {}}));
    }
    // The table of contents sits at the start of the file: reading every
    // data block to /dev/null is what finds a damaged or missing end.
    util::ProcessSpec read;
    read.argv = {pg_restore.path, "--file", "/dev/null", file.string()};
    auto failure = run_logged(read, ctx);
    check("read", !failure,
          failure ? "pg_restore cannot read the archive to its end: " + *failure
                  : "every entry and data block reads back");
  } else {
    try {
      auto scan = scan_plain(file, ctx);
      check("gzip", true, "the gzip stream decompresses to its end (CRC checked)");
      bool sql_ok = scan.header && scan.trailer && same_counts(scan.contents);
      std::string detail;
      if (!scan.header) detail = "it does not start like a pg_dump SQL script; ";
      if (!scan.trailer)
        detail +=
            "it does not end with pg_dump's \"dump complete\" line (the dump was cut "
            "short); ";
      if (!same_counts(scan.contents))
        detail += "it holds " + counts(scan.contents) + "; the manifest says " +
                  counts({manifest.tables, manifest.table_data, manifest.entries, {}});
      check("sql", sql_ok, sql_ok ? counts(scan.contents) + ", as in the manifest" : detail);
    } catch (const Error &e) {
      if (e.code() != ErrorCode::Parse) throw;
      check("gzip", false, e.message());
    }
  }
  const bool intact = std::all_of(report.checks.begin(), report.checks.end(),
                                  [](const BackupCheck &c) { return c.ok; });
  if (options.test_restore && !intact)
    check("test_restore", false, "not tried: the backup failed the checks above");
  if (options.test_restore && intact) {
    auto restore_start = Clock::now();
    ShadowOptions shadow_options;
    shadow_options.shadow_database_url = options.shadow_database_url;
    shadow_options.server_url = options.server_url;
    auto shadow = diff::ShadowDatabase::open(shadow_options, ctx);
    TestRestoreResult t;
    t.where = shadow->describe();
    ctx.log(LogLevel::Info, "backup", "test restore into " + t.where);
    {
      auto conn = pg::Connection::open(shadow->conninfo(), ctx);
      // A throwaway cluster has none of the source's roles; plain SQL names
      // them in OWNER TO and GRANT lines (the custom format skips owners).
      if (manifest.format == "plain-gz" && shadow->owns_server())
        for (const auto &role : scan_plain(file, ctx).contents.roles) {
          // The name comes from the backup file: asked for as a parameter and
          // created as a quoted identifier, never pasted into a DO block's
          // dollar-quoted body (a "$$" in it would end the body).
          if (conn.exec("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", {role}).rows() == 0)
            conn.exec("CREATE ROLE " + conn.quote_identifier(role));
        }
    }
    auto run = restore_into(located, shadow->conninfo(), false, true, options.pg_bindir, ctx);
    if (run.failure) {
      check("test_restore", false, "restoring into " + t.where + " failed: " + *run.failure);
    } else {
      auto conn = pg::Connection::open(shadow->conninfo(), ctx);
      t.tables = user_tables(conn, false).size();
      for (const auto &table : user_tables(conn, true)) {
        ctx.checkpoint();
        auto n = std::stoull(conn.exec("SELECT count(*) FROM " + table).text(0, 0));
        t.table_rows.push_back({table, n});
        t.rows += n;
      }
      t.duration_ms = ms_since(restore_start);
      bool ok = t.tables == manifest.tables;
      check("test_restore", ok,
            ok ? "restored " + std::to_string(t.tables) + " tables and " + std::to_string(t.rows) +
                     " rows into " + t.where + " (dropped afterwards)"
               : "the restore made " + std::to_string(t.tables) + " tables; the manifest says " +
                     std::to_string(manifest.tables));
      report.test_restore = std::move(t);
    }
  }
  report.ok = std::all_of(report.checks.begin(), report.checks.end(),
                          [](const BackupCheck &c) { return c.ok; });
  report.duration_ms = ms_since(start);
  return report;
}

void require_name(const std::string &name) {
  if (name.empty() || name.front() == '.' || name.find('/') != std::string::npos ||
      name.find('\\') != std::string::npos || name.find('\0') != std::string::npos ||
      name.size() > 200)
    throw Error(ErrorCode::Invalid,
                "backup name \"" + name + "\"" +
                    " is not a plain file name: no '/', no leading '.', at most 200 bytes");
}

// Where a new backup's file goes, refusing names in use.
fs::path new_backup_path(const fs::path &dir, const std::string &file) {
  fs::path path = dir / file;
  std::error_code ec;
  for (const fs::path &p : {path, fs::path(path.string() + kManifestSuffix)})
    if (fs::exists(p, ec))
      throw Error(ErrorCode::Invalid, p.string() +
                                          " already exists; a backup is never overwritten: "
                                          "choose another name")
          .with_file(p.string());
  return path;
}

// Writes `text` to `path` through a temporary file, fsynced and renamed.
void write_atomically(const fs::path &path, const std::string &text) {
  fs::path tmp = path.string() + ".partial";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text << "\n";
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw Error(ErrorCode::Io, "cannot write " + tmp.string()).with_file(tmp.string());
    }
  }
  fsync_path(tmp, false);
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw Error(ErrorCode::Io, "cannot rename " + tmp.string() + " to " + path.string())
        .with_file(path.string());
  }
}

}  // namespace

BackupCreateReport create_backup(const BackupCreateOptions &options, const CallOptions &call) {
  CallContext ctx(call);
  auto start = Clock::now();
  if (options.format != "custom" && options.format != "plain-gz")
    throw Error(ErrorCode::Invalid,
                "backup format \"" + options.format + "\" is not \"custom\" or \"plain-gz\"");
  if (options.compression < 0 || options.compression > 9)
    throw Error(ErrorCode::Invalid, "compression must be 0-9");
  if (options.dir.empty()) throw Error(ErrorCode::Invalid, "no backup directory: pass dir (--dir)");
  if (!options.name.empty()) require_name(options.name);
  const std::string url = resolve_url(options.database_url, "backup create");
  auto target = direct_target(url, "backup create");

  BackupManifest m;
  m.format = options.format;
  m.source = pg::redact(url);
  m.dbsafe_version = std::string(version());
  int server_major = 0;
  {
    auto conn = pg::Connection::open(target.conninfo, ctx);
    auto r = conn.exec(
        "SELECT current_database(), current_setting('server_version'), "
        "current_setting('server_version_num')::int");
    m.database = r.text(0, 0);
    m.server_version = r.text(0, 1);
    m.server_version = m.server_version.substr(0, m.server_version.find(' '));
    server_major = std::stoi(r.text(0, 2)) / 10000;
  }
  auto pg_dump = pg_tool("pg_dump", options.pg_bindir, server_major,
                         "the server runs PostgreSQL " + m.server_version, ctx);
  m.pg_dump_version = pg_dump.version;

  const std::time_t now = std::time(nullptr);
  m.created_at = utc(now, "%Y-%m-%dT%H:%M:%SZ");
  std::string name = options.name;
  if (name.empty()) {
    name = m.database + "-" + utc(now, "%Y%m%d-%H%M%S");
    // A database name may hold anything; the file name may not.
    std::replace_if(
        name.begin(), name.end(), [](char c) { return c == '/' || c == '\\' || c == '\0'; }, '_');
    if (name.front() == '.') name.front() = '_';
  }
  m.file = name + (options.format == "custom" ? ".dump" : ".sql.gz");

  fs::path dir(options.dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir, ec))
    throw Error(ErrorCode::Io, "cannot create the backup directory " + dir.string())
        .with_file(dir.string());
  fs::path path = new_backup_path(dir, m.file);
  fs::path partial = path.string() + ".partial";
  // O_EXCL: two runs choosing the same name never write one file.
  int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    throw Error(ErrorCode::Invalid,
                partial.string() +
                    (errno == EEXIST ? " exists: another backup of this name is being written, or "
                                       "an earlier one was interrupted (remove it then)"
                                     : " cannot be created: " + std::string(std::strerror(errno))))
        .with_file(partial.string());
  ::close(fd);
  struct PartialGuard {
    fs::path p;
    bool keep = false;
    ~PartialGuard() {
      std::error_code e;
      if (!keep) fs::remove(p, e);
    }
  } guard{partial};

  auto child = backup::child_connection(target.conninfo);
  ctx.log(LogLevel::Info, "backup",
          "dumping " + m.database + " (PostgreSQL " + m.server_version + ") with " + pg_dump.path +
              " " + pg_dump.version + " into " + path.string());
  util::ProcessSpec dump;
  dump.argv = {pg_dump.path,
               "--dbname",
               child.conninfo,
               "--no-password",
               "--format",
               options.format == "custom" ? "custom" : "plain",
               "--compress",
               std::to_string(options.format == "plain-gz" && options.compression == 0
                                  ? 1  // plain-gz promises a gzip file
                                  : options.compression),
               "--file",
               partial.string()};
  dump.set_env = child.set_env;
  dump.unset_env = child.unset_env;
  if (auto failure = run_logged(dump, ctx, child.password))
    throw Error(ErrorCode::Database,
                "pg_dump of " + m.database + " failed; nothing was kept: " + *failure);
  fsync_path(partial, false);

  // Read back before it is called a backup.
  Contents contents;
  if (options.format == "custom") {
    auto pg_restore = pg_tool("pg_restore", options.pg_bindir, backup::major_of(pg_dump.version),
                              "it reads what pg_dump " + pg_dump.version + " wrote", ctx);
    util::ProcessSpec list;
    list.argv = {pg_restore.path, "--list", partial.string()};
    auto out = util::run_collecting(list, ctx);
    if (out.exit_code != 0)
      throw Error(
          ErrorCode::Database,
          "pg_restore cannot read the archive pg_dump just wrote; nothing was kept: " + out.err);
    contents = count_toc(out.out);
  } else {
    auto scan = scan_plain(partial, ctx);
    if (!scan.trailer)
      throw Error(ErrorCode::Database,
                  "the SQL pg_dump wrote does not end with its \"dump complete\" line; nothing "
                  "was kept");
    contents = scan.contents;
  }
  m.tables = contents.tables;
  m.table_data = contents.table_data;
  m.entries = contents.entries;
  auto digest = digest_file(partial, ctx);
  m.bytes = digest.bytes;
  m.sha256 = digest.sha256;
  ctx.checkpoint();

  // link() refuses an existing name where rename() would replace it.
  if (::link(partial.c_str(), path.c_str()) == 0) {
    ::unlink(partial.c_str());
  } else if (errno == EEXIST) {
    throw Error(ErrorCode::Invalid, path.string() +
                                        " appeared while the dump ran; nothing was "
                                        "overwritten")
        .with_file(path.string());
  } else {
    fs::rename(partial, path, ec);
    if (ec)
      throw Error(ErrorCode::Io, "cannot rename " + partial.string() + ": " + ec.message())
          .with_file(partial.string());
  }
  guard.keep = true;
  BackupCreateReport report;
  report.path = path.string();
  report.manifest_path = path.string() + kManifestSuffix;
  try {
    write_atomically(report.manifest_path, m.to_json());
  } catch (...) {
    fs::remove(path, ec);  // without its manifest it would be nobody's backup
    throw;
  }
  fsync_path(dir, true);
  report.manifest = std::move(m);
  report.pg_dump = pg_dump.path;
  report.duration_ms = ms_since(start);
  return report;
}

BackupVerifyReport verify_backup(const BackupVerifyOptions &options, const CallOptions &call) {
  CallContext ctx(call);
  return verify_located(backup_path(options.file, options.dir), options, ctx);
}

BackupRestoreReport restore_backup(const BackupRestoreOptions &options, const CallOptions &call) {
  CallContext ctx(call);
  auto start = Clock::now();
  if (options.file.empty()) throw Error(ErrorCode::Invalid, "name the backup file to restore");
  const std::string url = resolve_url(options.database_url, "backup restore");
  auto target = direct_target(url, "backup restore");
  BackupRestoreReport report;
  report.path = backup_path(options.file, "").string();
  report.target = pg::redact(url);
  report.clean = options.clean;
  std::uint64_t existing = 0;
  {
    auto conn = pg::Connection::open(target.conninfo, ctx);
    report.database = conn.exec("SELECT current_database()").text(0, 0);
    if (options.confirm != report.database)
      throw Error(ErrorCode::Invalid,
                  (options.confirm.empty() ? "refusing to restore without a confirmation"
                                           : "the confirmation \"" + options.confirm +
                                                 "\" does not name the target database") +
                      std::string("; a restore writes into database \"") + report.database +
                      "\": to go ahead pass confirm = \"" + report.database + "\" (--confirm " +
                      report.database + ")");
    existing = user_relations(conn);
  }
  report.target_was_empty = existing == 0;

  BackupVerifyOptions v;
  v.file = report.path;
  v.pg_bindir = options.pg_bindir;
  report.verify = verify_located(report.path, v, ctx);
  if (!report.verify.ok) {
    std::string failed;
    for (const auto &c : report.verify.checks)
      if (!c.ok) failed += (failed.empty() ? "" : "; ") + c.name + ": " + c.detail;
    throw Error(ErrorCode::State,
                report.path + " fails verification, so nothing was restored (" + failed + ")")
        .with_detail_json(report.to_json())
        .with_file(report.path);
  }
  const auto &manifest = *report.verify.manifest;
  if (manifest.format == "plain-gz" && (options.clean || options.no_owner))
    throw Error(ErrorCode::Invalid,
                std::string(options.clean ? "clean" : "no_owner") +
                    " needs a custom-format backup: a plain SQL backup is replayed by psql as "
                    "written (it holds no DROP statements and names its owners); restore it into "
                    "an empty database instead")
        .with_detail_json(report.to_json());
  if (existing > 0 && !options.clean)
    throw Error(ErrorCode::State,
                "database \"" + report.database + "\" is not empty (" + std::to_string(existing) +
                    " tables, views, sequences or functions); restore into an empty database, "
                    "or pass clean (--clean) to drop and recreate the backup's objects after a "
                    "safety backup of \"" +
                    report.database + "\"")
        .with_detail_json(report.to_json());
  if (existing > 0) {
    // Seed 004's safety backup: what the restore replaces is kept first.
    BackupCreateOptions safety;
    safety.database_url = url;
    safety.dir = options.safety_backup_dir.empty() ? fs::path(report.path).parent_path().string()
                                                   : options.safety_backup_dir;
    if (safety.dir.empty()) safety.dir = ".";
    safety.name = report.database + "-pre-restore-" + utc(std::time(nullptr), "%Y%m%d-%H%M%S");
    std::replace(safety.name.begin(), safety.name.end(), '/', '_');
    safety.pg_bindir = options.pg_bindir;
    ctx.log(LogLevel::Info, "backup",
            "taking a safety backup of " + report.database + " before restoring over it");
    report.safety_backup = create_backup(safety, call);
  }
  ctx.log(LogLevel::Info, "backup",
          "restoring " + report.path + " into " + report.database + " in one transaction");
  Located located{report.path, manifest};
  auto run = restore_into(located, target.conninfo, options.clean, options.no_owner,
                          options.pg_bindir, ctx);
  report.program = run.program;
  report.duration_ms = ms_since(start);
  if (run.failure) {
    Error e(ErrorCode::Database,
            "restoring " + report.path + " into " + report.database +
                " failed and was rolled back, so the database is as it was" +
                (report.safety_backup ? " (its safety backup is " + report.safety_backup->path + ")"
                                      : std::string()) +
                ": " + *run.failure);
    e.with_detail_json(report.to_json());
    throw e;
  }
  auto conn = pg::Connection::open(target.conninfo, ctx);
  report.tables = user_tables(conn, false).size();
  report.duration_ms = ms_since(start);
  return report;
}

PruneReport prune_backups(const BackupPruneOptions &options, const CallOptions &call) {
  CallContext ctx(call);
  if (options.dir.empty()) throw Error(ErrorCode::Invalid, "no backup directory: pass dir (--dir)");
  if (options.keep_days < 0) throw Error(ErrorCode::Invalid, "keep_days must be 0 or more");
  if (options.keep_min < 0) throw Error(ErrorCode::Invalid, "keep_min must be 0 or more");
  std::error_code ec;
  if (!fs::is_directory(options.dir, ec))
    throw Error(ErrorCode::NotFound, "the backup directory " + options.dir + " does not exist")
        .with_file(options.dir);
  PruneReport report;
  report.dry_run = options.dry_run;
  struct Entry {
    BackupManifest m;
    fs::path manifest_path;
  };
  std::vector<Entry> entries;
  for (const auto &entry : fs::directory_iterator(options.dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!name.ends_with(kManifestSuffix)) continue;
    try {
      entries.push_back({read_backup_manifest(entry.path().string()), entry.path()});
    } catch (const Error &e) {
      // Not certainly a dbsafe backup any more: leave it for a person.
      report.kept.push_back(name);
      report.reasons.push_back("unreadable manifest, left alone: " + e.message());
    }
  }
  std::sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) {
    if (a.m.created_at != b.m.created_at) return a.m.created_at > b.m.created_at;
    return a.m.file > b.m.file;
  });
  // The newest backup that still matches its manifest is never deleted, so
  // a damaged newer one cannot leave the directory without a good backup.
  std::optional<std::size_t> newest_intact;
  for (std::size_t i = 0; i < entries.size() && !newest_intact; ++i) {
    fs::path file = fs::path(options.dir) / entries[i].m.file;
    if (!fs::is_regular_file(file, ec)) continue;
    auto d = digest_file(file, ctx);
    if (d.bytes == entries[i].m.bytes && d.sha256 == entries[i].m.sha256) newest_intact = i;
  }
  const std::time_t now = std::time(nullptr);
  const std::size_t keep_min = std::max(1, options.keep_min);
  const std::time_t max_age = static_cast<std::time_t>(options.keep_days) * 86400;
  std::vector<std::pair<std::string, std::string>> kept;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto &e = entries[i];
    auto created = parse_utc(e.m.created_at);
    std::string reason;
    if (i == 0)
      reason = "the newest";
    else if (i < keep_min)
      reason = "among the " + std::to_string(keep_min) + " newest";
    else if (newest_intact && i == *newest_intact)
      reason = "the newest backup that matches its manifest";
    else if (!created)
      reason = "created_at \"" + e.m.created_at + "\" is not a time; left alone";
    else if (now - *created <= max_age)
      reason = "newer than " + std::to_string(options.keep_days) + " days";
    if (!reason.empty()) {
      kept.emplace_back(e.m.file, reason);
      continue;
    }
    ctx.checkpoint();
    if (!options.dry_run) {
      // The file first: a manifest left alone still names it for the next
      // prune, while a file without its manifest would be left forever.
      fs::path file = fs::path(options.dir) / e.m.file;
      fs::remove(file, ec);
      if (ec)
        throw Error(ErrorCode::Io, "cannot delete " + file.string() + ": " + ec.message())
            .with_file(file.string());
      fs::remove(e.manifest_path, ec);
      if (ec)
        throw Error(ErrorCode::Io,
                    "cannot delete " + e.manifest_path.string() + ": " + ec.message())
            .with_file(e.manifest_path.string());
      ctx.log(LogLevel::Info, "backup", "deleted " + file.string());
    }
    report.deleted.push_back(e.m.file);
  }
  for (auto &[name, reason] : kept) {
    report.kept.push_back(name);
    report.reasons.push_back(reason);
  }
  if (!options.dry_run) fsync_path(options.dir, true);
  return report;
}

}  // namespace v1
}  // namespace dbsafe
