// Finding PostgreSQL's own programs on this machine (initdb, pg_ctl,
// pg_dump, ...) and reading what they wrote to a log.
#pragma once

#include <initializer_list>
#include <string>

namespace dbsafe::pg {

// The bin directory of the newest /usr/lib/postgresql/<major> that holds
// every one of `programs`; "" when none does. Newest, because pg_dump
// refuses servers newer than itself and a newer initdb reads older dumps.
std::string newest_installed_bindir(std::initializer_list<const char *> programs);

// Whether `dir` holds every one of `programs`.
bool holds_programs(const std::string &dir, std::initializer_list<const char *> programs);

// The last 1,500 bytes of a log file, without trailing blanks, for an error
// message.
std::string log_tail(const std::string &path);

}  // namespace dbsafe::pg
