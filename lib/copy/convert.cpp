// Value conversion for the SQLite copy. The rule throughout: a value either
// arrives in PostgreSQL meaning what it meant in SQLite, or it is reported;
// nothing the server would round, truncate or reinterpret is sent silently.
#include "copy/convert.hpp"

#include <simdjson.h>
#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

#include "util/utf8.hpp"

namespace dbsafe::copy {

namespace {

std::string shortest(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

std::string shortest_fixed(double d) {
  char buf[400];
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = util::utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::size_t start = s[0] == '+' ? 1 : 0;
  std::int64_t v = 0;
  auto r = std::from_chars(s.data() + start, s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || start == s.size()) return std::nullopt;
  return v;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil, written from the published algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t &y, unsigned &m, unsigned &d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

constexpr std::int64_t kMicrosPerDay = 86'400'000'000LL;
// 0001-01-01 and 9999-12-31 23:59:59.999999 UTC: what every supported
// type holds and what ISO-8601 with a four-digit year can say.
const std::int64_t kMinMicros = days_from_civil(1, 1, 1) * kMicrosPerDay;
const std::int64_t kMaxMicros = days_from_civil(10000, 1, 1) * kMicrosPerDay - 1;

struct Instant {
  std::int64_t micros = 0;  // since the epoch, UTC
  int fraction_digits = 0;  // how many the text gave
  bool has_time = false;
};

int digits(std::string_view s, std::size_t &i, int n) {
  int v = 0;
  for (int k = 0; k < n; ++k, ++i) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// ISO-8601 as SQLite, Prisma's driver adapters and PostgreSQL write it:
// "YYYY-MM-DD", then optionally "T" or " ", "HH:MM[:SS[.f…]]", then
// optionally "Z", " +00:00", "+0000", "+00" (no offset: UTC, as Prisma
// writes).
std::optional<Instant> parse_instant(std::string_view s) {
  std::size_t i = 0;
  int y = digits(s, i, 4);
  if (y < 1 || i >= s.size() || s[i++] != '-') return std::nullopt;
  int mo = digits(s, i, 2);
  if (mo < 1 || mo > 12 || i >= s.size() || s[i++] != '-') return std::nullopt;
  int d = digits(s, i, 2);
  if (d < 1 || d > 31) return std::nullopt;
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > kDays[mo - 1] || (mo == 2 && d == 29 && !leap)) return std::nullopt;
  Instant out;
  std::int64_t micros = days_from_civil(y, mo, d) * kMicrosPerDay;
  if (i < s.size() && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
    ++i;
    int h = digits(s, i, 2);
    if (h < 0 || h > 23 || i >= s.size() || s[i++] != ':') return std::nullopt;
    int mi = digits(s, i, 2);
    if (mi < 0 || mi > 59) return std::nullopt;
    int sec = 0;
    std::int64_t frac = 0;
    if (i < s.size() && s[i] == ':') {
      ++i;
      sec = digits(s, i, 2);
      if (sec < 0 || sec > 59) return std::nullopt;
      if (i < s.size() && s[i] == '.') {
        ++i;
        std::size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        std::string_view f = s.substr(start, i - start);
        if (f.empty()) return std::nullopt;
        // Trailing zeros say nothing about precision that matters.
        std::size_t significant = f.find_last_not_of('0');
        f = significant == std::string_view::npos ? std::string_view()
                                                  : f.substr(0, significant + 1);
        if (f.size() > 6) return std::nullopt;  // finer than PostgreSQL keeps
        out.fraction_digits = static_cast<int>(f.size());
        for (std::size_t k = 0; k < 6; ++k) frac = frac * 10 + (k < f.size() ? f[k] - '0' : 0);
      }
    }
    out.has_time = true;
    micros += ((h * 60LL + mi) * 60 + sec) * 1'000'000 + frac;
    if (i < s.size() && s[i] == ' ') ++i;
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
      ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      int sign = s[i++] == '-' ? -1 : 1;
      int oh = digits(s, i, 2);
      if (oh < 0 || oh > 15) return std::nullopt;
      int om = 0;
      if (i < s.size() && s[i] == ':') ++i;
      if (i < s.size()) {
        om = digits(s, i, 2);
        if (om < 0 || om > 59) return std::nullopt;
      }
      micros -= sign * (oh * 60LL + om) * 60'000'000;
    }
  }
  if (i != s.size()) return std::nullopt;
  out.micros = micros;
  return out;
}

std::string format_instant(std::int64_t micros, bool with_time, bool utc_suffix) {
  std::int64_t days = micros >= 0 ? micros / kMicrosPerDay : -((-micros - 1) / kMicrosPerDay) - 1;
  std::int64_t rest = micros - days * kMicrosPerDay;
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  std::string out(buf, static_cast<std::size_t>(n));
  if (!with_time) return out;
  std::int64_t secs = rest / 1'000'000, frac = rest % 1'000'000;
  n = std::snprintf(buf, sizeof buf, " %02lld:%02lld:%02lld", static_cast<long long>(secs / 3600),
                    static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  out.append(buf, static_cast<std::size_t>(n));
  if (frac != 0) {
    n = std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(frac));
    std::string f(buf, static_cast<std::size_t>(n));
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  if (utc_suffix) out += "+00";
  return out;
}

// Numeric text: sign, integer digits, fraction digits (no exponent).
struct Decimal {
  bool negative = false;
  std::string whole, fraction;  // without leading / trailing zeros
};

std::optional<Decimal> parse_decimal(std::string_view s) {
  Decimal d;
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) d.negative = s[i++] == '-';
  std::size_t start = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  d.whole = std::string(s.substr(start, i - start));
  bool any = !d.whole.empty();
  if (i < s.size() && s[i] == '.') {
    std::size_t fs = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    d.fraction = std::string(s.substr(fs, i - fs));
    any = any || !d.fraction.empty();
  }
  if (!any || i != s.size()) return std::nullopt;
  d.whole.erase(0, std::min(d.whole.find_first_not_of('0'), d.whole.size()));
  while (!d.fraction.empty() && d.fraction.back() == '0') d.fraction.pop_back();
  if (d.whole.empty() && d.fraction.empty()) d.negative = false;
  return d;
}

std::string decimal_text(const Decimal &d) {
  std::string out = d.negative ? "-" : "";
  out += d.whole.empty() ? "0" : d.whole;
  if (!d.fraction.empty()) out += "." + d.fraction;
  return out;
}

// jsonb's notion of equal: keys sorted, the last of duplicate keys kept,
// numbers by value.
void canonical_json(simdjson::dom::element e, std::string &out) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::OBJECT: {
      std::map<std::string_view, simdjson::dom::element> fields;
      simdjson::dom::object obj;
      if (e.get_object().get(obj)) break;
      for (auto field : obj) fields[field.key] = field.value;
      out += '{';
      bool first = true;
      for (auto &[k, v] : fields) {
        if (!first) out += ',';
        first = false;
        std::string key_json = "\"";
        for (char c : k) {
          if (c == '"' || c == '\\') key_json += '\\';
          key_json += c;
        }
        out += key_json + "\":";
        canonical_json(v, out);
      }
      out += '}';
      break;
    }
    case element_type::ARRAY: {
      out += '[';
      bool first = true;
      simdjson::dom::array arr;
      if (e.get_array().get(arr)) break;
      for (auto v : arr) {
        if (!first) out += ',';
        first = false;
        canonical_json(v, out);
      }
      out += ']';
      break;
    }
    case element_type::INT64:
      out += std::to_string(e.get_int64().value_unsafe());
      break;
    case element_type::UINT64:
      out += std::to_string(e.get_uint64().value_unsafe());
      break;
    case element_type::DOUBLE: {
      double d = e.get_double().value_unsafe();
      // jsonb keeps 1.0 as 1.0 and 1e2 as 100: compare by value.
      if (d == std::floor(d) && std::fabs(d) < 1e15)
        out += std::to_string(static_cast<std::int64_t>(d));
      else
        out += shortest(d);
      break;
    }
    default:
      out += simdjson::minify(e);
      break;
  }
}

simdjson::dom::parser &json_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

bool parse_json(std::string_view text, simdjson::dom::element &out, std::string &reason) {
  simdjson::padded_string padded(text);
  // The element points into the parser's own buffers, not `padded`.
  auto err = json_parser().parse(padded).get(out);
  if (err) {
    reason = std::string("not valid JSON (") + simdjson::error_message(err) + ")";
    return false;
  }
  return true;
}

bool text_ok(std::string_view s, std::string &reason) {
  if (s.find('\0') != std::string_view::npos) {
    reason = "holds a NUL byte, which PostgreSQL text cannot store";
    return false;
  }
  if (!valid_utf8(s)) {
    reason = "is not valid UTF-8";
    return false;
  }
  return true;
}

std::string lower_hex(std::string_view bytes) {
  static const char *kHex = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::optional<std::string> uuid_hex(std::string_view s) {
  std::string hex;
  for (char c : s) {
    if (c == '-' || c == '{' || c == '}') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (hex.size() != 32) return std::nullopt;
  return hex;
}

bool integer_in_range(const TargetType &t, std::int64_t v, std::string &reason) {
  std::int64_t lo = std::numeric_limits<std::int64_t>::min(),
               hi = std::numeric_limits<std::int64_t>::max();
  if (t.kind == Kind::Int2) lo = -32768, hi = 32767;
  if (t.kind == Kind::Int4)
    lo = std::numeric_limits<std::int32_t>::min(), hi = std::numeric_limits<std::int32_t>::max();
  if (v < lo || v > hi) {
    reason = "out of range for " + t.name;
    return false;
  }
  return true;
}

bool convert_instant(const TargetType &t, const SourceValue &v, std::string &out,
                     std::string &reason) {
  Instant at;
  if (v.type == SQLITE_INTEGER) {
    // Prisma's native SQLite connector stores DateTime as milliseconds
    // since the epoch.
    if (v.integer > kMaxMicros / 1000 || v.integer < kMinMicros / 1000) {
      reason = "out of range as milliseconds since 1970";
      return false;
    }
    at.micros = v.integer * 1000;
    at.has_time = true;
    at.fraction_digits = v.integer % 1000 == 0 ? 0 : 3;
  } else if (v.type == SQLITE_TEXT) {
    auto parsed = parse_instant(v.bytes);
    if (!parsed) {
      reason = "not a date-time: expected milliseconds since 1970 or ISO-8601 text";
      return false;
    }
    at = *parsed;
  } else {
    reason = v.type == SQLITE_FLOAT
                 ? "a REAL is not a Prisma DateTime (integer milliseconds or ISO-8601 text)"
                 : "a BLOB is not a date-time";
    return false;
  }
  if (at.micros < kMinMicros || at.micros > kMaxMicros) {
    reason = "out of range (years 1 to 9999)";
    return false;
  }
  if (t.kind == Kind::Date) {
    if (at.has_time && at.micros % kMicrosPerDay != 0) {
      reason = "has a time of day, which a date column would drop";
      return false;
    }
    out = format_instant(at.micros, false, false);
    return true;
  }
  int precision = t.precision < 0 ? 6 : t.precision;
  std::int64_t unit = 1;
  for (int k = precision; k < 6; ++k) unit *= 10;
  if (at.micros % unit != 0) {
    reason = "more precise than " + t.name + " keeps (it would be rounded)";
    return false;
  }
  out = format_instant(at.micros, true, t.kind == Kind::TimestampTz);
  return true;
}

}  // namespace

TargetType classify(const std::string &typname, int typmod, bool is_enum, std::string format) {
  TargetType t;
  t.name = std::move(format);
  if (is_enum) {
    t.kind = Kind::Enum;
    return t;
  }
  static const std::map<std::string, Kind> kinds = {
      {"bool", Kind::Bool},     {"int2", Kind::Int2},           {"int4", Kind::Int4},
      {"int8", Kind::Int8},     {"numeric", Kind::Numeric},     {"float4", Kind::Float4},
      {"float8", Kind::Float8}, {"timestamp", Kind::Timestamp}, {"timestamptz", Kind::TimestampTz},
      {"date", Kind::Date},     {"json", Kind::Json},           {"jsonb", Kind::Jsonb},
      {"bytea", Kind::Bytea},   {"uuid", Kind::Uuid},           {"text", Kind::Text},
      {"varchar", Kind::Text},  {"citext", Kind::Text},         {"name", Kind::Text},
      {"bpchar", Kind::Bpchar}};
  auto it = kinds.find(typname);
  if (it != kinds.end()) t.kind = it->second;
  if ((t.kind == Kind::Text || t.kind == Kind::Bpchar) && typmod >= 4) t.length = typmod - 4;
  if (t.kind == Kind::Numeric && typmod >= 4) {
    t.precision = ((typmod - 4) >> 16) & 0xffff;
    t.scale = (typmod - 4) & 0xffff;
  }
  if ((t.kind == Kind::Timestamp || t.kind == Kind::TimestampTz) && typmod >= 0)
    t.precision = typmod;
  return t;
}

bool convert(const TargetType &t, const SourceValue &v, std::string &out, std::string &reason) {
  out.clear();
  switch (t.kind) {
    case Kind::Bool:
      if ((v.type == SQLITE_INTEGER && (v.integer == 0 || v.integer == 1)) ||
          (v.type == SQLITE_FLOAT && (v.real == 0.0 || v.real == 1.0))) {
        out = (v.type == SQLITE_INTEGER ? v.integer == 1 : v.real == 1.0) ? "t" : "f";
        return true;
      }
      if (v.type == SQLITE_TEXT && (v.bytes == "true" || v.bytes == "false")) {
        out = v.bytes == "true" ? "t" : "f";
        return true;
      }
      reason = "not a boolean: SQLite stores them as 0 and 1";
      return false;
    case Kind::Int2:
    case Kind::Int4:
    case Kind::Int8: {
      std::int64_t n;
      if (v.type == SQLITE_INTEGER) {
        n = v.integer;
      } else if (v.type == SQLITE_FLOAT && v.real == std::floor(v.real) &&
                 std::fabs(v.real) < 9.2e18) {
        n = static_cast<std::int64_t>(v.real);
      } else if (v.type == SQLITE_TEXT && parse_int(v.bytes)) {
        n = *parse_int(v.bytes);
      } else {
        reason = "not an integer";
        return false;
      }
      if (!integer_in_range(t, n, reason)) return false;
      out = std::to_string(n);
      return true;
    }
    case Kind::Numeric: {
      std::optional<Decimal> d;
      if (v.type == SQLITE_INTEGER)
        d = parse_decimal(std::to_string(v.integer));
      else if (v.type == SQLITE_FLOAT && std::isfinite(v.real))
        d = parse_decimal(shortest_fixed(v.real));
      else if (v.type == SQLITE_TEXT)
        d = parse_decimal(v.bytes);
      if (!d) {
        reason = "not a decimal number";
        return false;
      }
      if (t.precision > 0) {
        if (static_cast<int>(d->fraction.size()) > t.scale) {
          reason = "has more than " + std::to_string(t.scale) + " decimal places (" + t.name +
                   " would round it)";
          return false;
        }
        if (static_cast<int>(d->whole.size()) > t.precision - t.scale) {
          reason = "too large for " + t.name;
          return false;
        }
      }
      out = decimal_text(*d);
      return true;
    }
    case Kind::Float4:
    case Kind::Float8:
      if (v.type == SQLITE_INTEGER) {
        out = std::to_string(v.integer);
        return true;
      }
      if (v.type == SQLITE_FLOAT) {
        out = shortest(v.real);
        return true;
      }
      if (v.type == SQLITE_TEXT) {
        double d;
        auto r = std::from_chars(v.bytes.data(), v.bytes.data() + v.bytes.size(), d);
        if (r.ec == std::errc() && r.ptr == v.bytes.data() + v.bytes.size()) {
          out = shortest(d);
          return true;
        }
      }
      reason = "not a number";
      return false;
    case Kind::Timestamp:
    case Kind::TimestampTz:
    case Kind::Date:
      return convert_instant(t, v, out, reason);
    case Kind::Json:
    case Kind::Jsonb: {
      if (v.type == SQLITE_INTEGER) {
        out = std::to_string(v.integer);
        return true;
      }
      if (v.type == SQLITE_FLOAT && std::isfinite(v.real)) {
        out = shortest(v.real);
        return true;
      }
      if (v.type != SQLITE_TEXT) {
        reason = "a BLOB is not JSON";
        return false;
      }
      if (!text_ok(v.bytes, reason)) return false;
      simdjson::dom::element e;
      if (!parse_json(v.bytes, e, reason)) return false;
      if (t.kind == Kind::Jsonb && v.bytes.find("\\u0000") != std::string_view::npos) {
        reason = "holds \\u0000, which jsonb cannot store";
        return false;
      }
      out.assign(v.bytes);
      return true;
    }
    case Kind::Enum:
      if (v.type == SQLITE_TEXT && t.labels.count(std::string(v.bytes))) {
        out.assign(v.bytes);
        return true;
      }
      reason = "not a label of " + t.name;
      return false;
    case Kind::Bytea:
      if (v.type == SQLITE_BLOB || v.type == SQLITE_TEXT) {
        out = "\\x" + lower_hex(v.bytes);
        return true;
      }
      reason = "not bytes";
      return false;
    case Kind::Uuid:
      if (v.type == SQLITE_TEXT) {
        if (auto hex = uuid_hex(v.bytes)) {
          out = hex->substr(0, 8) + "-" + hex->substr(8, 4) + "-" + hex->substr(12, 4) + "-" +
                hex->substr(16, 4) + "-" + hex->substr(20);
          return true;
        }
      }
      reason = "not a UUID";
      return false;
    case Kind::Text:
    case Kind::Bpchar:
    case Kind::Other:
      if (v.type == SQLITE_INTEGER)
        out = std::to_string(v.integer);
      else if (v.type == SQLITE_FLOAT)
        out = shortest(v.real);
      else if (v.type == SQLITE_TEXT && text_ok(v.bytes, reason))
        out.assign(v.bytes);
      else if (v.type == SQLITE_TEXT)
        return false;
      else {
        reason = "a BLOB cannot go into " + t.name;
        return false;
      }
      if (t.length >= 0 && code_points(out) > static_cast<std::size_t>(t.length)) {
        reason = "longer than " + t.name + " allows";
        return false;
      }
      return true;
  }
  reason = "unsupported";
  return false;
}

std::string canonical(const TargetType &t, std::string_view text) {
  switch (t.kind) {
    case Kind::Numeric:
      if (auto d = parse_decimal(text)) return decimal_text(*d);
      return std::string(text);
    case Kind::Float4:
    case Kind::Float8: {
      if (text == "NaN" || text == "Infinity" || text == "-Infinity") return std::string(text);
      if (t.kind == Kind::Float4) {
        float f;
        auto r = std::from_chars(text.data(), text.data() + text.size(), f);
        if (r.ec == std::errc()) return shortest(static_cast<double>(f));
      } else {
        double d;
        auto r = std::from_chars(text.data(), text.data() + text.size(), d);
        if (r.ec == std::errc()) return shortest(d);
      }
      return std::string(text);
    }
    case Kind::Timestamp:
    case Kind::TimestampTz:
    case Kind::Date:
      if (auto at = parse_instant(text)) return std::to_string(at->micros);
      return std::string(text);
    case Kind::Jsonb: {
      simdjson::dom::element e;
      std::string reason;
      if (!parse_json(text, e, reason)) return std::string(text);
      std::string out;
      canonical_json(e, out);
      return out;
    }
    case Kind::Uuid:
      if (auto hex = uuid_hex(text)) return *hex;
      return std::string(text);
    case Kind::Bytea: {
      std::string out(text);
      for (char &c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return out;
    }
    case Kind::Bpchar: {
      std::size_t end = text.find_last_not_of(' ');
      return std::string(text.substr(0, end == std::string_view::npos ? 0 : end + 1));
    }
    default:
      return std::string(text);
  }
}

std::string describe(const SourceValue &v, std::size_t limit) {
  switch (v.type) {
    case SQLITE_NULL:
      return "NULL";
    case SQLITE_INTEGER:
      return std::to_string(v.integer);
    case SQLITE_FLOAT:
      return shortest(v.real);
    case SQLITE_BLOB: {
      std::string hex = lower_hex(v.bytes.substr(0, limit / 2));
      return "x'" + hex + (v.bytes.size() > limit / 2 ? "'…" : "'");
    }
    default: {
      if (v.bytes.size() <= limit) return std::string(v.bytes);
      std::size_t cut = limit;
      while (cut > 0 && (static_cast<unsigned char>(v.bytes[cut]) & 0xC0) == 0x80) --cut;
      return std::string(v.bytes.substr(0, cut)) + "…";
    }
  }
}

std::string conversion_name(const TargetType &t) {
  switch (t.kind) {
    case Kind::Bool:
      return "INTEGER 0/1 -> " + t.name;
    case Kind::Int2:
    case Kind::Int4:
    case Kind::Int8:
      return "INTEGER (range-checked) -> " + t.name;
    case Kind::Numeric:
      return "INTEGER/REAL/TEXT decimal (scale-checked) -> " + t.name;
    case Kind::Float4:
    case Kind::Float8:
      return "REAL -> " + t.name;
    case Kind::Timestamp:
    case Kind::TimestampTz:
    case Kind::Date:
      return "INTEGER unix milliseconds or ISO-8601 TEXT (Prisma DateTime) -> " + t.name;
    case Kind::Json:
    case Kind::Jsonb:
      return "TEXT, validated as JSON -> " + t.name;
    case Kind::Enum:
      return "TEXT, checked against " + std::to_string(t.labels.size()) + " labels -> " + t.name;
    case Kind::Bytea:
      return "BLOB -> " + t.name;
    case Kind::Uuid:
      return "TEXT, checked as UUID -> " + t.name;
    case Kind::Text:
    case Kind::Bpchar:
      return "TEXT (UTF-8, no NUL" + std::string(t.length >= 0 ? ", length-checked" : "") +
             ") -> " + t.name;
    case Kind::Other:
      return "TEXT as is, checked by the server -> " + t.name;
  }
  return t.name;
}

void append_copy_escaped(std::string &out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += c;
    }
  }
}

}  // namespace dbsafe::copy
