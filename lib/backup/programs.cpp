#include "backup/programs.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>

#include "dbsafe/error.hpp"

namespace dbsafe::backup {

namespace fs = std::filesystem;

namespace {

// Directories matching `parent/<prefix>*<suffix>`, e.g. /usr/pgsql-*/bin.
void add_matching(std::vector<std::string> &dirs, const std::string &parent,
                  const std::string &prefix, const std::string &suffix) {
  std::error_code ec;
  for (const auto &entry : fs::directory_iterator(parent, ec))
    if (entry.path().filename().string().starts_with(prefix))
      dirs.push_back((entry.path() / suffix).string());
}

std::vector<std::string> search_dirs(const std::string &configured) {
  if (!configured.empty()) return {configured};
  if (const char *env = std::getenv("PG_BINDIR"); env && *env) return {env};
  std::vector<std::string> dirs;
  add_matching(dirs, "/usr/lib/postgresql", "", "bin");
  add_matching(dirs, "/usr", "pgsql-", "bin");
  add_matching(dirs, "/opt/homebrew/opt", "postgresql@", "bin");
  add_matching(dirs, "/usr/local/opt", "postgresql@", "bin");
  dirs.push_back("/usr/local/pgsql/bin");
  if (const char *path = std::getenv("PATH")) {
    std::string_view rest(path);
    while (!rest.empty()) {
      auto colon = rest.find(':');
      std::string dir(rest.substr(0, colon));
      if (!dir.empty()) dirs.push_back(dir);
      rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    }
  }
  return dirs;
}

}  // namespace

std::string version_from_banner(const std::string &banner) {
  auto at = banner.find("(PostgreSQL) ");
  if (at == std::string::npos) return "";
  at += 13;
  auto end = at;
  while (end < banner.size() &&
         (std::isdigit(static_cast<unsigned char>(banner[end])) || banner[end] == '.'))
    ++end;
  return banner.substr(at, end - at);
}

int major_of(const std::string &version) {
  return std::atoi(version.c_str());
}

std::vector<Program> find_programs(const char *name, const std::string &configured,
                                   const CallContext &ctx) {
  std::vector<Program> found;
  std::vector<fs::path> seen;
  for (const auto &dir : search_dirs(configured)) {
    fs::path candidate = fs::path(dir) / name;
    std::error_code ec;
    if (!fs::is_regular_file(candidate, ec) || ::access(candidate.c_str(), X_OK) != 0) continue;
    fs::path real = fs::canonical(candidate, ec);
    if (ec) real = candidate;
    if (std::find(seen.begin(), seen.end(), real) != seen.end()) continue;
    seen.push_back(real);
    util::ProcessSpec spec;
    spec.argv = {candidate.string(), "--version"};
    auto out = util::run_collecting(spec, ctx);
    std::string version = version_from_banner(out.out);
    if (out.exit_code != 0 || version.empty()) continue;
    found.push_back({candidate.string(), version, major_of(version)});
  }
  return found;
}

Program choose_program(const std::vector<Program> &found, const char *name, int need_major,
                       const std::string &why) {
  const Program *best = nullptr;
  for (const auto &p : found)
    if (p.major >= need_major && (!best || p.major < best->major)) best = &p;
  if (best) return *best;
  std::string have;
  for (const auto &p : found) have += (have.empty() ? "" : ", ") + p.path + " " + p.version;
  throw Error(
      ErrorCode::NotFound,
      std::string(name) + " " + std::to_string(need_major) + " or newer is needed: " + why +
          ", and " + name + " cannot work with a newer major version than its own. " +
          (have.empty() ? std::string("This machine has no ") + name : "This machine has " + have) +
          ". Install the PostgreSQL " + std::to_string(need_major) +
          " client tools (e.g. apt install postgresql-client-" + std::to_string(need_major) +
          ") or point PG_BINDIR (pg_bindir) at them");
}

ChildConnection child_connection(const std::string &conninfo) {
  char *parse_error = nullptr;
  PQconninfoOption *opts = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (opts == nullptr) {
    if (parse_error) PQfreemem(parse_error);
    throw Error(ErrorCode::Invalid, "the database URL is not valid");
  }
  ChildConnection c;
  // key='value' with \ and \' escaped, as libpq's conninfo syntax wants.
  for (auto *o = opts; o->keyword; ++o) {
    std::string key = o->keyword;
    if (!o->val || !*o->val) continue;
    if (key == "password") {
      c.password = o->val;
      continue;
    }
    std::string value = "'";
    for (const char *p = o->val; *p; ++p) {
      if (*p == '\\' || *p == '\'') value += '\\';
      value += *p;
    }
    c.conninfo += (c.conninfo.empty() ? "" : " ") + key + "=" + value + "'";
  }
  PQconninfoFree(opts);
  // The URL's password wins over one this process happens to have in its
  // environment; without one, PGPASSWORD / .pgpass apply as they would for psql.
  if (!c.password.empty()) c.set_env.push_back("PGPASSWORD=" + c.password);
  c.set_env.push_back("PGAPPNAME=dbsafe backup");
  // pg_restore and psql are dbsafe's own sessions too: a read-only window
  // (docs/maintenance.md) must not block a restore. Backups refuse poolers,
  // so the `options` startup parameter reaches PostgreSQL itself; a user's
  // own PGOPTIONS are kept in front.
  std::string pgoptions;
  if (const char *own = std::getenv("PGOPTIONS"); own && *own) pgoptions = std::string(own) + " ";
  c.set_env.push_back("PGOPTIONS=" + pgoptions + "-c default_transaction_read_only=off");
  return c;
}

std::string scrub(std::string text, const std::string &password) {
  if (password.size() < 3) return text;  // too short to tell from ordinary text
  for (auto at = text.find(password); at != std::string::npos; at = text.find(password, at + 3))
    text.replace(at, password.size(), "***");
  return text;
}

}  // namespace dbsafe::backup
