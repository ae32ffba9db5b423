// Whether a file name is a Flyway migration's: the detection of a
// directory's layout asks it of every .sql file, on every run.
#pragma once

#include <string_view>

namespace dbsafe::source {

// True for names matching (V[0-9][0-9._]*|R|U[0-9][0-9._]*)__.+\.sql, where
// `.` is any byte but a line break. Written out by hand: compiling that
// std::regex cost every run a millisecond.
bool is_flyway_file_name(std::string_view name);

}  // namespace dbsafe::source
