// Choosing pg_dump, pg_restore and psql by version, and handing them a
// connection without putting its password on their command line.
#pragma once

#include <string>
#include <vector>

#include "dbsafe/call.hpp"
#include "util/subprocess.hpp"

namespace dbsafe::backup {

struct Program {
  std::string path;
  std::string version;  // "15.6"
  int major = 0;        // 15
};

// Every copy of `name` on this machine with its version: `configured` (or
// PG_BINDIR) alone when set, else the PostgreSQL installations
// (/usr/lib/postgresql/*/bin, /usr/pgsql-*/bin, Homebrew's
// postgresql@*), then PATH. Copies that are the same file count once.
std::vector<Program> find_programs(const char *name, const std::string &configured,
                                   const CallContext &ctx);

// The oldest of `found` whose major version is at least `need_major`: the
// closest to the server, so its output uses nothing the server lacks.
// Throws Error(NotFound) saying which version `why` needs (e.g. "the server
// runs PostgreSQL 16.2") and what is installed.
Program choose_program(const std::vector<Program> &found, const char *name, int need_major,
                       const std::string &why);

// "16.2" from "pg_dump (PostgreSQL) 16.2 (Debian 16.2-1)"; "" when absent.
std::string version_from_banner(const std::string &banner);
int major_of(const std::string &version);  // 16 for "16.2", 9 for "9.6.24"

// A connection for a child process: key=value conninfo without the
// password, and the environment that carries the password instead.
struct ChildConnection {
  std::string conninfo;
  std::vector<std::string> set_env;
  std::vector<std::string> unset_env;
  std::string password;  // to scrub from anything the child printed
};
ChildConnection child_connection(const std::string &conninfo);

// `text` with every occurrence of the password replaced by "***".
std::string scrub(std::string text, const std::string &password);

}  // namespace dbsafe::backup
