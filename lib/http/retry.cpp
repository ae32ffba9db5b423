#include "http/retry.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string>
#include <vector>

namespace dbsafe::http {

bool retryable_status(int status, bool idempotent) noexcept {
  switch (status) {
    case 423:
    case 429:
    case 503:
      return true;
    case 500:
    case 502:
    case 504:
      return idempotent;
    default:
      return false;
  }
}

std::chrono::milliseconds backoff_delay(int retry, std::chrono::milliseconds base,
                                        std::chrono::milliseconds cap, std::mt19937_64 &rng) {
  using std::chrono::milliseconds;
  if (base <= milliseconds::zero() || cap <= milliseconds::zero()) return milliseconds::zero();
  // base * 2^(retry-1), saturating at the cap before it can overflow.
  milliseconds ceiling = base;
  for (int i = 1; i < retry && ceiling < cap; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, cap);
  std::uniform_int_distribution<long long> pick(0, ceiling.count());
  return milliseconds(pick(rng));
}

namespace {

std::optional<int> number(std::string_view s) {
  int value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

std::optional<unsigned> month_number(std::string_view name) {
  static constexpr std::array<std::string_view, 12> months = {
      "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  if (name.size() != 3) return std::nullopt;
  std::string n(name);
  for (char &c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (unsigned i = 0; i < months.size(); ++i)
    if (months[i] == n) return i + 1;
  return std::nullopt;
}

// "08:49:37" -> seconds since midnight.
std::optional<int> time_of_day(std::string_view s) {
  if (s.size() != 8 || s[2] != ':' || s[5] != ':') return std::nullopt;
  auto h = number(s.substr(0, 2)), m = number(s.substr(3, 2)), sec = number(s.substr(6, 2));
  if (!h || !m || !sec || *h > 23 || *m > 59 || *sec > 60) return std::nullopt;
  return *h * 3600 + *m * 60 + *sec;
}

// The three HTTP-date forms of RFC 9110 section 5.6.7.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view value) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < value.size()) {
    while (i < value.size() && (value[i] == ' ' || value[i] == ',')) ++i;
    std::size_t start = i;
    while (i < value.size() && value[i] != ' ' && value[i] != ',') ++i;
    if (i > start) words.push_back(value.substr(start, i - start));
  }
  std::optional<int> day, year, seconds;
  std::optional<unsigned> month;
  if (words.size() == 6 && words[5] == "GMT") {  // Sun, 06 Nov 1994 08:49:37 GMT
    day = number(words[1]);
    month = month_number(words[2]);
    year = number(words[3]);
    seconds = time_of_day(words[4]);
  } else if (words.size() == 4 && words[3] == "GMT") {  // Sunday, 06-Nov-94 08:49:37 GMT
    std::string_view date = words[1];
    if (date.size() != 9 || date[2] != '-' || date[6] != '-') return std::nullopt;
    day = number(date.substr(0, 2));
    month = month_number(date.substr(3, 3));
    year = number(date.substr(7, 2));
    if (year) *year += *year < 70 ? 2000 : 1900;
    seconds = time_of_day(words[2]);
  } else if (words.size() == 5) {  // Sun Nov  6 08:49:37 1994
    month = month_number(words[1]);
    day = number(words[2]);
    seconds = time_of_day(words[3]);
    year = number(words[4]);
  }
  if (!day || !month || !year || !seconds) return std::nullopt;
  std::chrono::year_month_day date{std::chrono::year(*year), std::chrono::month(*month),
                                   std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return std::nullopt;
  return std::chrono::sys_days(date) + std::chrono::seconds(*seconds);
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(value.front()))) {
    long long seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc::result_out_of_range) return std::chrono::hours(24 * 365);
    if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
    // A year is "never" for any caller; avoid overflowing the duration.
    return std::chrono::seconds(std::min<long long>(seconds, 365LL * 24 * 3600));
  }
  auto when = parse_http_date(value);
  if (!when) return std::nullopt;
  if (*when <= now) return std::chrono::milliseconds::zero();
  return std::chrono::duration_cast<std::chrono::milliseconds>(*when - now);
}

}  // namespace dbsafe::http
