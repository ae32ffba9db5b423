// RFC 3339 timestamps as the Neon API, the audit trail and the backup
// manifests write them.
#pragma once

#include <cstdio>
#include <ctime>
#include <optional>
#include <string>

namespace dbsafe::util {

// Seconds since the epoch of an RFC 3339 UTC timestamp ("2026-01-01T09:30:00Z";
// fractions and offsets after the seconds ignored); nullopt if it is not one.
inline std::optional<std::time_t> parse_utc_time(const std::string &text) {
  std::tm tm{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (text.size() < 19 || std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &year, &month, &day,
                                      &hour, &minute, &second) != 6)
    return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return ::timegm(&tm);
}

}  // namespace dbsafe::util
