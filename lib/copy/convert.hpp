// SQLite values converted by the PostgreSQL column they go to, and the
// normalised text both sides of a copy are hashed in. One place decides
// both, so what is written and what is verified cannot drift apart.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

namespace dbsafe::copy {

enum class Kind {
  Bool,
  Int2,
  Int4,
  Int8,
  Numeric,
  Float4,
  Float8,
  Timestamp,
  TimestampTz,
  Date,
  Json,
  Jsonb,
  Enum,
  Bytea,
  Uuid,
  Text,    // text, varchar(n)
  Bpchar,  // char(n): the server pads with blanks
  Other,   // anything else: handed to the server as text, which checks it
};

struct TargetType {
  Kind kind = Kind::Other;
  std::string name;              // format_type(), e.g. "timestamp(3) without time zone"
  int length = -1;               // varchar(n) / char(n): n
  int precision = -1;            // numeric(p, s): p; timestamp(p): p
  int scale = -1;                // numeric(p, s): s
  std::set<std::string> labels;  // enum labels
};

// Classifies a column from pg_type's name of its (base) type, its typmod,
// and whether the type is an enum.
TargetType classify(const std::string &typname, int typmod, bool is_enum, std::string format);

// One value as sqlite3_column_* hands it over. `type` is SQLITE_INTEGER,
// SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB or SQLITE_NULL.
struct SourceValue {
  int type = 0;
  std::int64_t integer = 0;
  double real = 0;
  std::string_view bytes;  // text or blob
};

// Converts `v` for a column of type `t`: on success `out` holds the value in
// PostgreSQL's text input form (not yet COPY-escaped) and true is returned;
// otherwise `reason` says why. NULL is handled by the caller.
bool convert(const TargetType &t, const SourceValue &v, std::string &out, std::string &reason);

// The normalised text of a value of type `t` given in PostgreSQL's text form
// (as convert() writes it or as the server prints it with DateStyle ISO,
// TimeZone UTC, bytea_output hex): equal values give equal text.
std::string canonical(const TargetType &t, std::string_view text);

// The value as SQLite holds it, for a failure report: at most `limit` bytes
// of text, blobs as hex.
std::string describe(const SourceValue &v, std::size_t limit = 80);

// "INTEGER 0/1 -> boolean" style names of what convert() does with a storage
// class, for the plan.
std::string conversion_name(const TargetType &t);

// Appends `text` COPY-escaped (text format).
void append_copy_escaped(std::string &out, std::string_view text);

}  // namespace dbsafe::copy
